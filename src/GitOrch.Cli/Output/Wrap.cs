namespace GitOrch.Cli.Output;

/// <summary>Word-wraps text to the terminal width with a hanging indent.</summary>
internal static class Wrap
{
    public static IEnumerable<string> Lines(string text, int width, int indent)
    {
        var room = Math.Max(20, width - indent);
        foreach (var paragraph in text.Split('\n'))
        {
            var line = new System.Text.StringBuilder();
            foreach (var word in paragraph.Split(' '))
            {
                if (line.Length > 0 && line.Length + 1 + word.Length > room)
                {
                    yield return line.ToString();
                    line.Clear();
                }

                if (line.Length > 0)
                {
                    line.Append(' ');
                }

                line.Append(word);
            }

            yield return line.ToString();
        }
    }
}

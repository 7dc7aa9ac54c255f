using System.Globalization;
using System.Text;

namespace GitOrch.Cli.Output;

/// <summary>
/// Text from a commit, a manifest, a node or a pod, made safe to print on one line of a terminal:
/// control characters (newlines and tabs too, C1 and DEL) and the bidirectional overrides that can
/// reorder what a reader sees are shown as escapes (<c>\n</c>, <c>\u001b</c>). A name with a
/// newline then cannot forge a line of output, and an escape sequence in a commit subject cannot
/// recolour, retitle or write to the clipboard of the terminal that prints it.
/// </summary>
internal static class TerminalText
{
    public static string Safe(string? text)
    {
        if (text is null)
        {
            return string.Empty;
        }

        var first = text.AsSpan().IndexOfAny(Unsafe);
        if (first < 0)
        {
            return text;
        }

        var result = new StringBuilder(text.Length + 8).Append(text, 0, first);
        foreach (var c in text.AsSpan(first))
        {
            if (!Unsafe.Contains(c))
            {
                result.Append(c);
                continue;
            }

            result.Append(c switch
            {
                '\n' => @"\n",
                '\r' => @"\r",
                '\t' => @"\t",
                _ => string.Create(CultureInfo.InvariantCulture, $@"\u{(int)c:x4}"),
            });
        }

        return result.ToString();
    }

    private static readonly System.Buffers.SearchValues<char> Unsafe = System.Buffers.SearchValues.Create(
        [.. Enumerable.Range(0, 0x20).Select(i => (char)i), (char)0x7f, .. Enumerable.Range(0x80, 0x20).Select(i => (char)i),
         '\u061c', '\u200e', '\u200f', '\u202a', '\u202b', '\u202c', '\u202d', '\u202e', '\u2066', '\u2067', '\u2068', '\u2069']);
}

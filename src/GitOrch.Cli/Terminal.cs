namespace GitOrch.Cli;

/// <summary>What the output device can do: colour only on a terminal, and never when NO_COLOR is set.</summary>
public sealed record Terminal(bool Color, int Width)
{
    public static Terminal Plain { get; } = new(false, 80);

    public static Terminal FromConsole()
    {
        var color = !Console.IsOutputRedirected && Environment.GetEnvironmentVariable("NO_COLOR") is null
            && Environment.GetEnvironmentVariable("TERM") is not (null or "dumb");
        var width = 80;
        if (!Console.IsOutputRedirected)
        {
            try
            {
                width = Math.Max(40, Console.WindowWidth);
            }
            catch (IOException)
            {
                width = 80;
            }
        }

        return new Terminal(color, width);
    }

    public string Red(string text) => Color ? $"\u001b[31m{text}\u001b[0m" : text;

    public string Yellow(string text) => Color ? $"\u001b[33m{text}\u001b[0m" : text;

    public string Green(string text) => Color ? $"\u001b[32m{text}\u001b[0m" : text;

    public string Bold(string text) => Color ? $"\u001b[1m{text}\u001b[0m" : text;
}

namespace GitOrch.Cli.Output;

/// <summary>How a verb prints: text for people, json for programs (markdown where a verb offers it).</summary>
public enum OutputFormat
{
    Text,
    Json,
    Markdown,
}

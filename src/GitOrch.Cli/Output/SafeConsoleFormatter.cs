using GitOrch.Core.Rendering;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Logging.Console;
using Microsoft.Extensions.Options;

namespace GitOrch.Cli.Output;

/// <summary>
/// The console log of <c>up</c>, <c>controller</c>, <c>replica</c> and <c>agent</c>: one line per
/// entry, as <c>HH:mm:ss info: Category[event] message</c>, with the message and any exception
/// printed through <see cref="VisibleText.OneLine"/>. Log messages carry text from commits (subjects,
/// author names), nodes and pods; a newline in a commit subject cannot forge a log line, nor an
/// escape sequence reach the operator's terminal.
/// </summary>
internal sealed class SafeConsoleFormatter(IOptionsMonitor<ConsoleFormatterOptions> options) : ConsoleFormatter(FormatterName)
{
    public const string FormatterName = "gitorch";

    public override void Write<TState>(in LogEntry<TState> logEntry, IExternalScopeProvider? scopeProvider, TextWriter textWriter)
    {
        var message = logEntry.Formatter?.Invoke(logEntry.State, logEntry.Exception);
        if (message is null && logEntry.Exception is null)
        {
            return;
        }

        var format = options.CurrentValue.TimestampFormat ?? "HH:mm:ss ";
        var now = options.CurrentValue.UseUtcTimestamp ? DateTimeOffset.UtcNow : DateTimeOffset.Now;
        textWriter.Write(now.ToString(format, System.Globalization.CultureInfo.InvariantCulture));
        textWriter.Write(Coloured(logEntry.LogLevel));
        textWriter.Write(": ");
        textWriter.Write(VisibleText.OneLine(logEntry.Category));
        textWriter.Write('[');
        textWriter.Write(logEntry.EventId.Id);
        textWriter.Write("] ");
        textWriter.Write(VisibleText.OneLine(message));
        if (logEntry.Exception is { } exception)
        {
            textWriter.Write(' ');
            textWriter.Write(VisibleText.OneLine(exception.ToString()));
        }

        textWriter.Write(Environment.NewLine);
    }

    /// <summary>The level, coloured as the console logger colours it when the output is a terminal (never with NO_COLOR).</summary>
    private static string Coloured(LogLevel level)
    {
        var terminal = Terminal.Value;
        return level switch
        {
            LogLevel.Information => terminal.Green(Level(level)),
            LogLevel.Warning => terminal.Yellow(Level(level)),
            LogLevel.Error or LogLevel.Critical => terminal.Red(Level(level)),
            _ => Level(level),
        };
    }

    private static readonly Lazy<Terminal> Terminal = new(GitOrch.Cli.Terminal.FromConsole);

    private static string Level(LogLevel level) => level switch
    {
        LogLevel.Trace => "trce",
        LogLevel.Debug => "dbug",
        LogLevel.Information => "info",
        LogLevel.Warning => "warn",
        LogLevel.Error => "fail",
        LogLevel.Critical => "crit",
        _ => "none",
    };
}

/// <summary>The console log every long-running command writes (see <see cref="SafeConsoleFormatter"/>).</summary>
internal static class SafeConsoleLogging
{
    public static ILoggingBuilder AddGitOrchConsole(this ILoggingBuilder logging) => logging
        .AddConsole(o => o.FormatterName = SafeConsoleFormatter.FormatterName)
        .AddConsoleFormatter<SafeConsoleFormatter, ConsoleFormatterOptions>(o => o.TimestampFormat = "HH:mm:ss ");
}

using GitOrch.Cli.Output;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Logging.Console;
using Microsoft.Extensions.Options;

namespace GitOrch.Cli.Tests.Output;

public sealed class SafeConsoleFormatterTests
{
    private sealed class Fixed(ConsoleFormatterOptions value) : IOptionsMonitor<ConsoleFormatterOptions>
    {
        public ConsoleFormatterOptions CurrentValue => value;

        public ConsoleFormatterOptions Get(string? name) => value;

        public IDisposable? OnChange(Action<ConsoleFormatterOptions, string?> listener) => null;
    }

    private static string Format(string message, Exception? exception = null, LogLevel level = LogLevel.Warning)
    {
        var formatter = new SafeConsoleFormatter(new Fixed(new ConsoleFormatterOptions { TimestampFormat = "'[t]' " }));
        var output = new StringWriter();
        formatter.Write(new LogEntry<string>(level, "GitOrch.Controller.Reconcile.Reconciler", new EventId(7), message, exception, (s, _) => s), null, output);
        return output.ToString();
    }

    /// <summary>A commit subject is the committer's text: it cannot add a log line or drive the operator's terminal.</summary>
    [Fact]
    public void ACommitSubjectWithANewlineAndEscapes_StaysOnItsLine_AsText()
    {
        var line = Format("Rejected 0123456789ab \"Fix\n12:00:00 info: Applied 0123456789ab \"all good\"\u001b]0;pwned\u0007\": 1 error(s)");

        Assert.Equal(
            "[t] warn: GitOrch.Controller.Reconcile.Reconciler[7] Rejected 0123456789ab \"Fix\\n12:00:00 info: Applied 0123456789ab \"all good\"\\u001b]0;pwned\\u0007\": 1 error(s)" + Environment.NewLine,
            line);
    }

    [Fact]
    public void AnException_IsPrintedOnTheSameLine()
    {
        Exception thrown;
        try
        {
            throw new InvalidOperationException("the store is\nfull");
        }
        catch (InvalidOperationException e)
        {
            thrown = e;
        }

        var line = Format("write failed", thrown, LogLevel.Error);

        Assert.StartsWith("[t] fail: GitOrch.Controller.Reconcile.Reconciler[7] write failed System.InvalidOperationException: the store is\\nfull", line, StringComparison.Ordinal);
        Assert.Equal(1, line.Count(c => c == '\n'));
    }
}

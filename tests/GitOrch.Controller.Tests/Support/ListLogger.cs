using Microsoft.Extensions.Logging;

namespace GitOrch.Controller.Tests.Support;

/// <summary>Keeps every log line (category, level, message) so tests can assert what was logged.</summary>
internal sealed class ListLogger : ILoggerProvider
{
    private readonly List<string> _lines = [];

    public IReadOnlyList<string> Lines
    {
        get
        {
            lock (_lines)
            {
                return [.. _lines];
            }
        }
    }

    public string Text => string.Join('\n', Lines);

    /// <summary>The lines logged with an exception attached (whose stack trace a console would print).</summary>
    public IReadOnlyList<string> WithExceptions
    {
        get
        {
            lock (_lines)
            {
                return [.. _withExceptions];
            }
        }
    }

    private readonly List<string> _withExceptions = [];

    public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName);

    public void Dispose()
    {
    }

    private sealed class Logger(ListLogger owner, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Information;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (!IsEnabled(logLevel))
            {
                return;
            }

            lock (owner._lines)
            {
                var line = $"{logLevel} {category}: {formatter(state, exception)}";
                owner._lines.Add(line);
                if (exception is not null)
                {
                    owner._withExceptions.Add($"{line} ({exception.GetType().Name}: {exception.Message})");
                }
            }
        }
    }
}

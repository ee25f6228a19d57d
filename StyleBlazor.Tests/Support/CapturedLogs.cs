using Microsoft.Extensions.Logging;

namespace StyleBlazor.Tests.Support;

/// <summary>What the app logged (at the app's configured levels), for tests that check what goes to the log and not to users.</summary>
public sealed class CapturedLogs : ILoggerProvider
{
    readonly List<LogEntry> _entries = [];

    public sealed record LogEntry(string Category, LogLevel Level, string Message, Exception? Exception);

    public IReadOnlyList<LogEntry> Entries { get { lock (_entries) return [.. _entries]; } }

    public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName);

    public void Dispose() { }

    sealed class Logger(CapturedLogs logs, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;
        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            lock (logs._entries) logs._entries.Add(new(category, logLevel, formatter(state, exception), exception));
        }
    }
}

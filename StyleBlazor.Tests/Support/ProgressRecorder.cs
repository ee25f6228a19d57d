using System.Collections.Concurrent;
using Microsoft.AspNetCore.SignalR.Client;
using StyleBlazor.Hubs;

namespace StyleBlazor.Tests.Support;

/// <summary>One message a watcher received, flattened for assertions.</summary>
public sealed record Received(string Kind, int Iteration = -1, int Count = 0, string? Text = null, int Width = 0, int Height = 0, byte[]? Bytes = null, double J = 0)
{
    public LossEntry[] History { get; init; } = [];
}

/// <summary>Records everything a hub connection receives as an <see cref="IProgressClient"/>.</summary>
public sealed class ProgressRecorder
{
    readonly ConcurrentQueue<Received> _messages = new();
    readonly TaskCompletionSource<Received> _ended = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public ProgressRecorder(HubConnection connection)
    {
        Connection = connection;
        connection.On<int>(nameof(IProgressClient.Queued), p => Add(new("Queued", Count: p)));
        connection.On(nameof(IProgressClient.Started), () => Add(new("Started")));
        connection.On<int, double, double, double, Dictionary<string, double>, double, double, double>(nameof(IProgressClient.Progress),
            (it, j, jc, js, perLayer, elapsed, rate, eta) => Add(new("Progress", it, perLayer.Count, J: j)));
        connection.On<int, int, int, byte[]>(nameof(IProgressClient.Frame), (it, w, h, bytes) => Add(new("Frame", it, Width: w, Height: h, Bytes: bytes)));
        connection.On<LossEntry[]>(nameof(IProgressClient.History), h => Add(new("History", Count: h.Length) { History = h }));
        connection.On<string>(nameof(IProgressClient.Completed), link => End(new("Completed", Text: link)));
        connection.On<string>(nameof(IProgressClient.Failed), message => End(new("Failed", Text: message)));
        connection.On(nameof(IProgressClient.Cancelled), () => End(new("Cancelled")));
    }

    public HubConnection Connection { get; }

    public IReadOnlyList<Received> Messages => [.. _messages];

    public IReadOnlyList<Received> OfKind(string kind) => [.. _messages.Where(m => m.Kind == kind)];

    /// <summary>The final message (Completed, Failed or Cancelled).</summary>
    public Task<Received> Ended => _ended.Task;

    public async Task<Received> WaitForEndAsync(double seconds = 60) => await _ended.Task.WaitAsync(TimeSpan.FromSeconds(seconds));

    public Task<bool> WatchAsync(string jobId) => Connection.InvokeAsync<bool>(nameof(ProgressHub.Watch), jobId);

    public Task<bool> CancelAsync(string jobId) => Connection.InvokeAsync<bool>(nameof(ProgressHub.Cancel), jobId);

    public Task<SubmitReply> SubmitAsync(SubmitRequest request) => Connection.InvokeAsync<SubmitReply>(nameof(ProgressHub.Submit), request);

    void Add(Received m) => _messages.Enqueue(m);

    void End(Received m)
    {
        _messages.Enqueue(m);
        _ended.TrySetResult(m);
    }
}

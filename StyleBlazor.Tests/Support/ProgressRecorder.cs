using System.Collections.Concurrent;
using Microsoft.AspNetCore.SignalR.Client;
using StyleBlazor.Hubs;
using StyleBlazor.Jobs;

namespace StyleBlazor.Tests.Support;

/// <summary>
/// One message a watcher received, flattened for assertions. An end's kind is the job's final state (Completed, Failed,
/// Cancelled, Interrupted) and its text the share link of a completed job, else the message.
/// </summary>
public sealed record Received(string Kind, int Iteration = -1, int Count = 0, string? Text = null, int Width = 0, int Height = 0, byte[]? Bytes = null, double J = 0)
{
    public LossRecord[] History { get; init; } = [];
    public JobUpdate.Ended? End { get; init; }
}

/// <summary>Records everything a hub connection receives as an <see cref="IProgressClient"/>.</summary>
public sealed class ProgressRecorder
{
    readonly ConcurrentQueue<Received> _messages = new();
    readonly TaskCompletionSource<Received> _ended = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public ProgressRecorder(HubConnection connection)
    {
        Connection = connection;
        connection.On<JobUpdate.Queued>(nameof(IProgressClient.Queued), q => Add(new("Queued", Count: q.Position)));
        connection.On<JobUpdate.Started>(nameof(IProgressClient.Started), s => Add(new("Started", Count: s.Attempt)));
        connection.On<JobUpdate.Progress>(nameof(IProgressClient.Progress), p => Add(new("Progress", p.Loss.Iteration, p.Loss.StyleLayers.Count, J: p.Loss.Total)));
        connection.On<JobUpdate.Frame>(nameof(IProgressClient.Frame), f => Add(new("Frame", f.Iteration, Width: f.Width, Height: f.Height, Bytes: f.Bytes)));
        connection.On<LossRecord[]>(nameof(IProgressClient.History), h => Add(new("History", Count: h.Length) { History = h }));
        connection.On<JobUpdate.Ended>(nameof(IProgressClient.Ended), e =>
            End(new(e.State.ToString(), Text: e.State == JobState.Completed ? e.ShareLink : e.Message) { End = e }));
    }

    public HubConnection Connection { get; }

    public IReadOnlyList<Received> Messages => [.. _messages];

    public IReadOnlyList<Received> OfKind(string kind) => [.. _messages.Where(m => m.Kind == kind)];

    /// <summary>The final message (its kind: Completed, Failed, Cancelled or Interrupted).</summary>
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

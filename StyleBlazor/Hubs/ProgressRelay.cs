using Microsoft.AspNetCore.SignalR;
using StyleBlazor.Jobs;

namespace StyleBlazor.Hubs;

public enum WatchOutcome { Watching, AlreadyWatching, UnknownJob, TooManyWatches }

/// <summary>
/// Forwards the job feed (<see cref="IJobFeed"/>) to hub connections: one loop per connection and job, sending one
/// message at a time, so each client goes at its own pace (its feed buffer coalesces frames) and a slow one never holds
/// up the others. Watches are de-duplicated per connection and capped, and a watch ends with its job, so watching a
/// finished job again and again leaves nothing behind.
/// </summary>
public sealed class ProgressRelay(IJobFeed feed, IHubContext<ProgressHub, IProgressClient> hub, FrameStatistics statistics, ILogger<ProgressRelay> logger)
{
    /// <summary>Jobs one connection may watch at once.</summary>
    public const int MaxWatchesPerConnection = 16;

    readonly Lock _gate = new();
    readonly Dictionary<string, Dictionary<string, CancellationTokenSource>> _watches = new(StringComparer.Ordinal);

    /// <summary>Watches running now, over all connections.</summary>
    public int WatcherCount { get { lock (_gate) return _watches.Values.Sum(w => w.Count); } }

    /// <summary>
    /// Starts sending <paramref name="jobId"/>'s updates to a connection: the history and newest frame, the state, then
    /// live updates until the job ends.
    /// </summary>
    public async Task<WatchOutcome> WatchAsync(string connectionId, string jobId) =>
        await WatchAsync(connectionId, jobId, hub.Clients.Client(connectionId));

    internal async Task<WatchOutcome> WatchAsync(string connectionId, string jobId, IProgressClient client)
    {
        var stop = new CancellationTokenSource();
        lock (_gate)
        {
            if (!_watches.TryGetValue(connectionId, out var watches)) _watches[connectionId] = watches = new(StringComparer.Ordinal);
            if (watches.ContainsKey(jobId)) { stop.Dispose(); return WatchOutcome.AlreadyWatching; }
            if (watches.Count >= MaxWatchesPerConnection) { stop.Dispose(); return WatchOutcome.TooManyWatches; }
            watches[jobId] = stop;
        }
        var updates = feed.WatchAsync(jobId, stop.Token).GetAsyncEnumerator(stop.Token);
        bool known;
        try { known = await updates.MoveNextAsync(); }
        catch
        {
            await EndAsync(connectionId, jobId, stop, updates);
            throw;
        }
        if (!known)
        {
            await EndAsync(connectionId, jobId, stop, updates);
            return WatchOutcome.UnknownJob;
        }
        _ = PumpAsync(connectionId, jobId, client, stop, updates);
        return WatchOutcome.Watching;
    }

    public void Unwatch(string connectionId, string jobId)
    {
        lock (_gate)
            if (_watches.GetValueOrDefault(connectionId)?.GetValueOrDefault(jobId) is { } stop) stop.Cancel();
    }

    public void Disconnected(string connectionId)
    {
        lock (_gate)
            foreach (var stop in _watches.GetValueOrDefault(connectionId)?.Values ?? Enumerable.Empty<CancellationTokenSource>())
                stop.Cancel();
    }

    async Task PumpAsync(string connectionId, string jobId, IProgressClient client, CancellationTokenSource stop,
        IAsyncEnumerator<JobUpdate> updates)
    {
        try
        {
            do await SendAsync(client, updates.Current);
            while (await updates.MoveNextAsync());
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested) { }
        catch (Exception ex) { logger.LogDebug(ex, "Sending job {JobId} to connection {ConnectionId} failed", jobId, connectionId); }
        finally { await EndAsync(connectionId, jobId, stop, updates); }
    }

    async Task SendAsync(IProgressClient client, JobUpdate update)
    {
        switch (update)
        {
            case JobUpdate.Snapshot s:
                await client.History([.. s.History]);
                if (s.LatestFrame is { } frame) await SendAsync(client, frame);
                if (s.State == JobState.Queued) await client.Queued(new JobUpdate.Queued(s.Position));
                else if (s.State == JobState.Running) await client.Started(new JobUpdate.Started(s.Attempt));
                if (s.IsFinished) await client.Ended(new JobUpdate.Ended(s.State, s.Message, s.ShareLink));
                break;
            case JobUpdate.Queued q: await client.Queued(q); break;
            case JobUpdate.Started s: await client.Started(s); break;
            case JobUpdate.Progress p: await client.Progress(p); break;
            case JobUpdate.Frame f:
                await client.Frame(f);
                statistics.AddSent();
                break;
            case JobUpdate.Ended e: await client.Ended(e); break;
        }
    }

    async Task EndAsync(string connectionId, string jobId, CancellationTokenSource stop, IAsyncEnumerator<JobUpdate> updates)
    {
        lock (_gate)
        {
            if (_watches.TryGetValue(connectionId, out var watches) && watches.TryGetValue(jobId, out var current) && current == stop)
            {
                watches.Remove(jobId);
                if (watches.Count == 0) _watches.Remove(connectionId);
            }
        }
        await updates.DisposeAsync();
        stop.Dispose();
    }
}

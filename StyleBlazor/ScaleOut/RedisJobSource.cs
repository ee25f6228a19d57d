using Microsoft.Extensions.Options;
using StackExchange.Redis;
using StyleBlazor.Jobs;

namespace StyleBlazor.ScaleOut;

/// <summary>
/// A worker's side of the shared queue: each torch thread reads the stream as its own consumer of the <c>workers</c>
/// group, and first takes over any entry whose worker stopped renewing its claim for <see cref="EngineOptions.LeaseTimeout"/>
/// (the worker died: the job runs again from the start, as a new attempt), but not in the first lease after this node
/// connects or reconnects to Redis. A job started more than
/// <see cref="EngineOptions.MaxAttempts"/> times ends as Failed. Workers poll (StackExchange.Redis has no blocking reads)
/// and are woken by a nudge on each new job.
/// </summary>
public sealed class RedisJobSource(
    RedisJobStore store,
    JobRegistry jobs,
    JobFeed localFeed,
    IConnectionMultiplexer redis,
    IOptions<NodeOptions> node,
    IOptions<EngineOptions> engine,
    ILogger<RedisJobSource> logger) : IJobSource
{
    static readonly TimeSpan Poll = TimeSpan.FromMilliseconds(500);

    // No job is taken over until a whole lease after this node (re)connects: a live worker that was cut off from Redis
    // as long as this one renews its claims in that time, while the entries' idle times in Redis say it is gone.
    DateTime _takeOverFrom = DateTime.UtcNow + engine.Value.LeaseTimeout;

    readonly SemaphoreSlim _subscribing = new(1, 1);
    readonly Lock _gate = new();
    TaskCompletionSource _nudged = new(TaskCreationOptions.RunContinuationsAsynchronously);
    bool _subscribed;
    volatile bool _closed;

    public async Task<JobLease> NextAsync(int slot, CancellationToken cancellationToken)
    {
        await SubscribeAsync();
        var consumer = $"{node.Value.NodeName}-{slot}";
        var lease = engine.Value.LeaseTimeout;
        var nextTakeOver = DateTime.UtcNow;
        while (true)
        {
            if (_closed) throw new OperationCanceledException("This node is stopping.");
            cancellationToken.ThrowIfCancellationRequested();
            Task nudged;
            lock (_gate) nudged = _nudged.Task;
            try
            {
                StreamEntry? entry = null;
                if (DateTime.UtcNow >= nextTakeOver && DateTime.UtcNow >= _takeOverFrom)
                {
                    // Entries whose worker has not renewed its claim for a whole lease: that worker is gone.
                    nextTakeOver = DateTime.UtcNow + lease / 4;
                    var claimed = await store.Db.StreamAutoClaimAsync(store.Stream, RedisJobStore.Group, consumer,
                        (long)lease.TotalMilliseconds, "0-0", count: 1);
                    // (Entries deleted meanwhile come back without fields; there is nothing to run for them.)
                    entry = claimed.ClaimedEntries.Where(e => !e["job"].IsNull).Select(e => (StreamEntry?)e).FirstOrDefault();
                }
                if (entry is null)
                {
                    var read = await store.Db.StreamReadGroupAsync(store.Stream, RedisJobStore.Group, consumer, StreamPosition.NewMessages, count: 1);
                    if (read.Length > 0 && !read[0]["job"].IsNull) entry = read[0];
                }
                if (entry is { } taken)
                {
                    if (await LeaseAsync(taken, consumer, cancellationToken) is { } leased) return leased;
                    continue;
                }
            }
            catch (RedisServerException e) when (e.Message.StartsWith("NOGROUP", StringComparison.Ordinal))
            {
                await store.EnsureGroupAsync(); // Redis lost its data (a restart without persistence)
                continue;
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                // Whatever Redis answers, the loop goes on: one bad entry or a lost connection must not stop the worker.
                logger.LogWarning(e, "The shared queue cannot be read ({Message}); trying again", e.Message);
                await Task.Delay(TimeSpan.FromSeconds(1), cancellationToken);
                continue;
            }
            await Task.WhenAny(nudged, Task.Delay(Poll, cancellationToken));
        }
    }

    async Task<JobLease?> LeaseAsync(StreamEntry entry, string consumer, CancellationToken cancellationToken)
    {
        if (await store.StartAsync(entry.Id, consumer) is not var (jobId, attempt, cancelReason))
        {
            await AcknowledgeAsync(entry.Id); // no one waiting (a job cancelled while it waited), its job ended, or forgotten
            return null;
        }
        var maxAttempts = engine.Value.MaxAttempts;
        if (attempt > maxAttempts)
        {
            logger.LogWarning("Job {JobId} given up after {Attempts} attempts", jobId, maxAttempts);
            await store.PublishAsync(jobId, new JobUpdate.Ended(JobState.Failed,
                $"This job was started {maxAttempts} times, and each time the server running it stopped before it ended; it was given up.", null), null);
            await AcknowledgeAsync(entry.Id);
            return null;
        }
        if (await store.TicketAsync(jobId) is not { } ticket)
        {
            await store.PublishAsync(jobId, new JobUpdate.Ended(JobState.Failed, "The job's pictures were lost before it could run.", null), null);
            await AcknowledgeAsync(entry.Id);
            return null;
        }
        var job = new StyleTransferJob(ticket);
        jobs.Add(job);
        if (cancelReason is not null) job.RequestCancel(cancelReason);
        // Subscribed before the runner records anything, so every update of this run reaches Redis.
        var updates = localFeed.WatchAsync(job.Id, CancellationToken.None).GetAsyncEnumerator(CancellationToken.None);
        await updates.MoveNextAsync(); // the snapshot of a job that has not started: nothing to forward
        logger.LogInformation("Job {JobId} taken by {Consumer} (attempt {Attempt})", jobId, consumer, attempt);
        return new RedisJobLease(store, jobs, job, attempt, entry.Id, consumer, updates, engine.Value, logger);
    }

    Task AcknowledgeAsync(RedisValue entryId) => store.AcknowledgeAsync(entryId);

    async Task SubscribeAsync()
    {
        if (_subscribed) return;
        await _subscribing.WaitAsync();
        try
        {
            if (_subscribed) return;
            await store.EnsureGroupAsync();
            redis.ConnectionRestored += (_, _) => _takeOverFrom = DateTime.UtcNow + engine.Value.LeaseTimeout;
            await store.Subscriber.SubscribeAsync(store.Nudge, (_, _) =>
            {
                // Waiters hold the task they saw; a new one is handed out for the next nudge.
                TaskCompletionSource woken;
                lock (_gate) (woken, _nudged) = (_nudged, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));
                woken.TrySetResult();
            });
            await store.Subscriber.SubscribeAsync(store.Cancels, (_, message) =>
            {
                var parts = ((string)message!).Split('|', 2);
                if (jobs.Find(parts[0]) is { } running) running.RequestCancel(parts.Length > 1 ? parts[1] : "Cancelled.");
            });
            _subscribed = true;
        }
        finally
        {
            _subscribing.Release();
        }
    }

    /// <summary>Stops taking jobs; those still waiting stay in the shared queue for other workers.</summary>
    public void Close() => _closed = true;
}

/// <summary>
/// A job this worker runs from the shared queue: forwards each of its updates to Redis, renews the claim on its entry so
/// nobody takes a live job, and when it ends acknowledges the entry; if this node stops first, puts the job back in line.
/// </summary>
sealed class RedisJobLease : JobLease
{
    readonly RedisJobStore _store;
    readonly JobRegistry _jobs;
    readonly RedisValue _entryId;
    readonly string _consumer;
    readonly EngineOptions _engine;
    readonly ILogger _logger;
    readonly CancellationTokenSource _stop = new();
    readonly Task _forwarding, _renewing;

    public RedisJobLease(RedisJobStore store, JobRegistry jobs, StyleTransferJob job, int attempt, RedisValue entryId, string consumer,
        IAsyncEnumerator<JobUpdate> updates, EngineOptions engine, ILogger logger) : base(job, attempt)
    {
        (_store, _jobs, _entryId, _consumer, _engine, _logger) = (store, jobs, entryId, consumer, engine, logger);
        _forwarding = ForwardAsync(updates);
        _renewing = RenewAsync();
    }

    public override bool ResumesElsewhere => true;

    async Task ForwardAsync(IAsyncEnumerator<JobUpdate> updates)
    {
        await using var _ = updates;
        try
        {
            while (await updates.MoveNextAsync().AsTask().WaitAsync(_stop.Token))
            {
                var update = updates.Current;
                if (update is JobUpdate.Ended ended)
                {
                    await PublishEndAsync(ended);
                    return;
                }
                if (update is JobUpdate.Started) continue; // published by the start script, with the job's state
                // While Redis is away, progress and frames are dropped: nobody could receive them, and the job runs on.
                try { await _store.PublishAsync(Job.Id, update, null); }
                catch (Exception e) when (e is RedisException or TimeoutException) { _logger.LogDebug("An update of job {JobId} was not shared: {Message}", Job.Id, e.Message); }
            }
        }
        catch (OperationCanceledException) when (_stop.IsCancellationRequested) { }
    }

    // The end must reach the others: tried until Redis answers (a restarted Redis must not lose a finished job).
    async Task PublishEndAsync(JobUpdate.Ended ended)
    {
        var wait = TimeSpan.FromMilliseconds(500);
        for (var giveUp = DateTime.UtcNow + _engine.FinishedJobRetention; ; )
        {
            try
            {
                if (ended is { State: JobState.Completed, ShareLink: null } && Job.Result is { } result)
                    await _store.KeepUnstoredPngAsync(Job.Id, FrameEncoder.EncodePng(result.BestImage));
                await _store.PublishAsync(Job.Id, ended, Job.ResultId);
                return;
            }
            catch (Exception e) when ((e is RedisException or TimeoutException) && DateTime.UtcNow < giveUp)
            {
                _logger.LogWarning("The end of job {JobId} could not be shared yet ({Message}); trying again", Job.Id, e.Message);
                await Task.Delay(wait);
                wait = TimeSpan.FromSeconds(Math.Min(wait.TotalSeconds * 2, 10));
            }
        }
    }

    // Re-claiming its own entry (JUSTID: no new delivery) resets its idle time, so no other worker takes it over.
    async Task RenewAsync()
    {
        using var timer = new PeriodicTimer(_engine.LeaseTimeout / 3);
        try
        {
            while (await timer.WaitForNextTickAsync(_stop.Token))
            {
                try { await _store.Db.StreamClaimIdsOnlyAsync(_store.Stream, RedisJobStore.Group, _consumer, 0, [_entryId]); }
                catch (Exception e) when (e is RedisException or TimeoutException) { _logger.LogWarning("The claim on job {JobId} could not be renewed: {Message}", Job.Id, e.Message); }
            }
        }
        catch (OperationCanceledException) { }
    }

    public override async ValueTask DisposeAsync()
    {
        if (!Job.IsFinished)
        {
            // This node stops before the job ended: another worker runs it again.
            await _stop.CancelAsync();
            await _forwarding;
            try { await _store.RequeueAsync(Job.Id); }
            catch (Exception e) when (e is RedisException or TimeoutException) { _logger.LogWarning("Job {JobId} could not be handed back; another worker takes it over after the lease", Job.Id); }
        }
        else
        {
            await _forwarding;
            await _stop.CancelAsync();
        }
        await _renewing;
        // Acknowledged last: a worker that dies before this leaves the entry for another to take over.
        try { await _store.AcknowledgeAsync(_entryId); }
        catch (Exception e) when (e is RedisException or TimeoutException) { _logger.LogWarning("The entry of job {JobId} stays pending: {Message}", Job.Id, e.Message); }
        _jobs.Remove(Job);
        _stop.Dispose();
    }
}

using System.Threading.Channels;

namespace StyleBlazor.Jobs;


/// <summary>
/// The jobs waiting for the engine, in the fair order of <see cref="FairTurns"/> (round-robin across client addresses).
/// The ordered waiting list gives each job its position (every change recorded on the job and announced,
/// <see cref="JobRegistry.Record"/>) and lets a cancelled job leave at once; a bounded channel holds one token per
/// waiting job, so workers wait asynchronously and the channel can never hold more than the queue's capacity.
/// </summary>
public sealed class JobQueue
{
    readonly Lock _gate = new();
    readonly List<StyleTransferJob> _waiting = [];
    // Each waiting job's place in the fair order: its turn, then its arrival.
    readonly Dictionary<StyleTransferJob, (long Turn, long Arrival)> _order = [];
    readonly FairTurns _turns = new();
    long _arrivals;
    // Tokens are interchangeable: removing a job removes any one token. Invariant: tokens ≤ waiting jobs.
    readonly Channel<bool> _tokens;
    readonly JobRegistry _jobs;
    bool _closed;

    public JobQueue(JobRegistry jobs, Microsoft.Extensions.Options.IOptions<EngineOptions> options)
        : this(jobs, options.Value.QueueCapacity, options.Value.MaxQueuedPerOwner, options.Value.MaxQueuedPerAddress) { }

    public JobQueue(JobRegistry jobs, int capacity, int maxQueuedPerOwner, int maxQueuedPerAddress = int.MaxValue)
    {
        _jobs = jobs;
        Capacity = capacity;
        MaxQueuedPerOwner = maxQueuedPerOwner;
        MaxQueuedPerAddress = maxQueuedPerAddress;
        _tokens = Channel.CreateBounded<bool>(new BoundedChannelOptions(capacity) { FullMode = BoundedChannelFullMode.Wait });
    }

    public int Capacity { get; }
    public int MaxQueuedPerOwner { get; }
    public int MaxQueuedPerAddress { get; }

    public int Count { get { lock (_gate) return _waiting.Count; } }

    /// <summary>Adds a job at the end, or says why not; never waits.</summary>
    public EnqueueOutcome TryEnqueue(StyleTransferJob job)
    {
        lock (_gate)
        {
            if (_closed) return EnqueueOutcome.Closed;
            if (_waiting.Count(j => j.OwnerId == job.OwnerId) >= MaxQueuedPerOwner) return EnqueueOutcome.OwnerLimit;
            // One address with many sessions (a script, or cookies cleared) must not fill the queue for everyone.
            if (job.Owner.ClientAddress is { } address && _waiting.Count(j => j.Owner.ClientAddress == address) >= MaxQueuedPerAddress)
                return EnqueueOutcome.AddressLimit;
            if (_waiting.Count >= Capacity || !_tokens.Writer.TryWrite(true)) return EnqueueOutcome.QueueFull;
            var place = (_turns.Next(FairTurns.ClientOf(job.Owner)), ++_arrivals);
            _order[job] = place;
            int index = _waiting.FindIndex(j => _order[j].CompareTo(place) > 0);
            _waiting.Insert(index < 0 ? _waiting.Count : index, job);
            Renumber();
        }
        return EnqueueOutcome.Accepted;
    }

    /// <summary>Waits for the first waiting job and takes it out of line.</summary>
    public async ValueTask<StyleTransferJob> DequeueAsync(CancellationToken cancellationToken)
    {
        while (true)
        {
            await _tokens.Reader.ReadAsync(cancellationToken);
            lock (_gate)
            {
                if (_waiting.Count == 0) continue; // its job was taken out of line meanwhile
                var job = _waiting[0];
                _waiting.RemoveAt(0);
                _turns.Started(_order[job].Turn);
                _order.Remove(job);
                Renumber();
                return job;
            }
        }
    }

    /// <summary>Takes a waiting job out of line (it was cancelled); false when it is not waiting.</summary>
    public bool TryRemove(StyleTransferJob job)
    {
        lock (_gate)
        {
            if (!_waiting.Remove(job)) return false;
            _order.Remove(job);
            _tokens.Reader.TryRead(out _);
            Renumber();
        }
        return true;
    }
    /// <summary>1-based position of a waiting job, or 0.</summary>
    public int PositionOf(StyleTransferJob job) { lock (_gate) return _waiting.IndexOf(job) + 1; }

    public IReadOnlyList<StyleTransferJob> Waiting() { lock (_gate) return [.. _waiting]; }

    /// <summary>Refuses new jobs and hands back those still waiting (at shutdown).</summary>
    public IReadOnlyList<StyleTransferJob> Close()
    {
        lock (_gate)
        {
            _closed = true;
            _tokens.Writer.TryComplete();
            var left = _waiting.ToArray();
            _waiting.Clear();
            _order.Clear();
            return left;
        }
    }

    // Records inside the lock so that a job's positions are announced in the order they changed (a job records only
    // a change, and its watchers' handlers only hand work off, see JobEvents).
    void Renumber()
    {
        for (int i = 0; i < _waiting.Count; i++) _jobs.Record(_waiting[i], new JobUpdate.Queued(i + 1));
    }
}

using StyleBlazor.Jobs;

namespace StyleBlazor.Hubs;

/// <summary>
/// What one hub connection still has to receive about one job. Messages go out in order, one at a time, on the thread
/// pool (never on the publisher's thread). Every message is kept, except frames: a frame not yet sent is dropped when
/// a newer one arrives, so a slow client gets the newest frame instead of a growing backlog.
/// </summary>
public sealed class WatcherOutbox(IProgressClient client, FrameStatistics statistics, ILogger logger)
{
    readonly Lock _gate = new();
    readonly Queue<object> _items = new();
    FrameSlot? _unsentFrame;
    bool _pumping;
    bool _closed;
    Task _pump = Task.CompletedTask;

    // Guards used by ProgressRelay (under its lock) so a watcher that joins mid-run never gets a message twice.
    internal int LastIteration { get; set; } = -1;
    internal int LastFrameIteration { get; set; } = -1;
    internal bool StartedSent { get; set; }
    internal bool EndSent { get; set; }

    /// <summary>Queues a message that must arrive.</summary>
    public void Post(Func<IProgressClient, Task> send) => Enqueue(send);

    /// <summary>Queues a frame; an earlier frame still waiting here is dropped (counted as coalesced).</summary>
    public void PostFrame(EncodedFrame frame)
    {
        lock (_gate)
        {
            if (_closed) return;
            if (_unsentFrame is { Frame: not null } older)
            {
                older.Frame = null;
                statistics.AddCoalesced();
            }
            _unsentFrame = new FrameSlot { Frame = frame };
            EnqueueLocked(_unsentFrame);
        }
    }

    /// <summary>Completes when everything queued so far has been sent (or the outbox closed).</summary>
    public Task WhenIdleAsync() { lock (_gate) return _pump; }

    /// <summary>Stops sending; what is still queued is dropped (the connection went away).</summary>
    public void Close()
    {
        lock (_gate)
        {
            _closed = true;
            _items.Clear();
            _unsentFrame = null;
        }
    }

    void Enqueue(object item) { lock (_gate) EnqueueLocked(item); }

    void EnqueueLocked(object item)
    {
        if (_closed) return;
        _items.Enqueue(item);
        if (_pumping) return;
        _pumping = true;
        _pump = Task.Run(PumpAsync);
    }

    async Task PumpAsync()
    {
        while (true)
        {
            Func<IProgressClient, Task>? send = null;
            EncodedFrame? frame = null;
            lock (_gate)
            {
                if (_closed || !_items.TryDequeue(out var item))
                {
                    _pumping = false;
                    return;
                }
                if (item is FrameSlot slot)
                {
                    (frame, slot.Frame) = (slot.Frame, null);
                    if (ReferenceEquals(_unsentFrame, slot)) _unsentFrame = null;
                    if (frame is null) continue; // superseded
                }
                else send = (Func<IProgressClient, Task>)item;
            }
            try
            {
                if (frame is not null)
                {
                    await client.Frame(frame.Iteration, frame.Width, frame.Height, frame.Bytes);
                    statistics.AddSent();
                }
                else await send!(client);
            }
            catch (Exception ex)
            {
                logger.LogDebug(ex, "Sending to a watcher failed");
            }
        }
    }

    sealed class FrameSlot
    {
        public EncodedFrame? Frame;
    }
}

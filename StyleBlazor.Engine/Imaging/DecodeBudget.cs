namespace StyleBlazor.Engine.Imaging;

/// <summary>
/// Megapixels being decoded at once, over the whole process (one <see cref="ImageIntake"/> serves the Studio, the hub
/// and the HTTP API alike). A decode holds about 8 bytes a pixel until it ends (the decoder's RGBA frame and the RGB copy
/// kept), so this bounds what many uploads at the same moment can cost. A decode that finds no room waits, first come
/// first served, for <see cref="Wait"/>, and is then refused (<see cref="ImageRejection.ServerBusy"/>).
/// </summary>
public sealed class DecodeBudget
{
    readonly Lock _gate = new();
    readonly LinkedList<Waiter> _waiters = new();
    readonly TimeProvider _time;
    int _available;
    int _waitingMegapixels;

    public DecodeBudget(double megapixels, TimeSpan wait, TimeProvider? time = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(megapixels, 1);
        Megapixels = _available = (int)Math.Ceiling(megapixels);
        Wait = wait;
        _time = time ?? TimeProvider.System;
    }

    /// <summary>Megapixels decoded at once at most (a picture larger than this counts as this).</summary>
    public int Megapixels { get; }

    public TimeSpan Wait { get; }

    /// <summary>Whole megapixels free now.</summary>
    public int Available { get { lock (_gate) return _available; } }

    /// <summary>Takes <paramref name="megapixels"/> (rounded up) from the budget until the returned room is disposed.</summary>
    /// <exception cref="ImageRejectedException">No room within <see cref="Wait"/> (<see cref="ImageRejection.ServerBusy"/>).</exception>
    public async ValueTask<IDisposable> AcquireAsync(double megapixels, CancellationToken cancellationToken)
    {
        int needed = (int)Math.Clamp(Math.Ceiling(megapixels), 1, Megapixels);
        LinkedListNode<Waiter> node;
        lock (_gate)
        {
            if (_waiters.Count == 0 && _available >= needed)
            {
                _available -= needed;
                return new Room(this, needed);
            }
            // Waiters hold their upload's bytes: more than a few budgets' worth waiting is refused at once.
            if (_waitingMegapixels + needed > 4 * Megapixels) throw ImageRejectedException.ServerBusy(Wait);
            node = _waiters.AddLast(new Waiter(needed));
            _waitingMegapixels += needed;
        }

        using var patience = new CancellationTokenSource(Wait, _time);
        using var either = CancellationTokenSource.CreateLinkedTokenSource(patience.Token, cancellationToken);
        using (either.Token.Register(() => GiveUp(node)))
        {
            try { return await node.Value.Granted.Task.ConfigureAwait(false); }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                throw ImageRejectedException.ServerBusy(Wait);
            }
        }
    }

    void GiveUp(LinkedListNode<Waiter> node)
    {
        lock (_gate)
        {
            if (node.List is null) return; // granted meanwhile: the caller gets its room
            _waiters.Remove(node);
            _waitingMegapixels -= node.Value.Needed;
            GrantInOrder(); // the next in line may fit now
        }
        node.Value.Granted.TrySetCanceled();
    }

    void Release(int megapixels)
    {
        lock (_gate)
        {
            _available += megapixels;
            GrantInOrder();
        }
    }

    // Under the lock: first come, first served, so a large picture is not passed over for ever by small ones.
    void GrantInOrder()
    {
        while (_waiters.First is { } first && first.Value.Needed <= _available)
        {
            _waiters.RemoveFirst();
            _available -= first.Value.Needed;
            _waitingMegapixels -= first.Value.Needed;
            first.Value.Granted.TrySetResult(new Room(this, first.Value.Needed)); // continuations run elsewhere
        }
    }

    sealed class Waiter(int needed)
    {
        public int Needed { get; } = needed;
        public TaskCompletionSource<IDisposable> Granted { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }

    sealed class Room(DecodeBudget budget, int megapixels) : IDisposable
    {
        int _released;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _released, 1) == 0) budget.Release(megapixels);
        }
    }
}

namespace StyleBlazor.Explore;

/// <summary>
/// What the explorer has computed, by key, within a memory budget: the least recently used entries go first once the
/// finished ones hold more than <paramref name="budgetBytes"/>. One computation per key, however many viewers ask at
/// once; a failed one is forgotten, so asking again tries again.
/// </summary>
public sealed class ExploreCache(long budgetBytes)
{
    sealed class Entry(string key, Task task)
    {
        public string Key { get; } = key;
        public Task Task { get; } = task;
        public long Bytes { get; set; }
        public LinkedListNode<Entry>? Node { get; set; }
    }

    readonly Lock _gate = new();
    readonly Dictionary<string, Entry> _entries = new(StringComparer.Ordinal);
    readonly LinkedList<Entry> _recent = new(); // least recently used first
    long _bytes;

    /// <summary>Bytes held by finished entries.</summary>
    public long Bytes { get { lock (_gate) return _bytes; } }

    public int Count { get { lock (_gate) return _entries.Count; } }

    /// <summary>
    /// The value under <paramref name="key"/>, computed by <paramref name="compute"/> if it is not there; <paramref name="size"/>
    /// says how many bytes a value holds. <paramref name="compute"/> runs once for all callers, so it takes no caller's
    /// cancellation: each caller stops waiting on its own.
    /// </summary>
    public Task<T> GetOrAddAsync<T>(string key, Func<Task<T>> compute, Func<T, long> size)
    {
        TaskCompletionSource<T> started;
        Entry entry;
        lock (_gate)
        {
            if (_entries.TryGetValue(key, out var found))
            {
                _recent.Remove(found.Node!);
                _recent.AddLast(found.Node!);
                return (Task<T>)found.Task;
            }
            started = new TaskCompletionSource<T>(TaskCreationOptions.RunContinuationsAsynchronously);
            entry = new Entry(key, started.Task);
            entry.Node = _recent.AddLast(entry);
            _entries[key] = entry;
        }
        _ = RunAsync(entry, started, compute, size);
        return started.Task;
    }

    async Task RunAsync<T>(Entry entry, TaskCompletionSource<T> started, Func<Task<T>> compute, Func<T, long> size)
    {
        try
        {
            var value = await compute();
            lock (_gate)
            {
                if (_entries.TryGetValue(entry.Key, out var current) && ReferenceEquals(current, entry))
                {
                    entry.Bytes = size(value);
                    _bytes += entry.Bytes;
                    Evict();
                }
            }
            started.SetResult(value);
        }
        catch (Exception ex)
        {
            lock (_gate) Remove(entry);
            started.SetException(ex);
        }
    }

    // The newest entry may be evicted too when it alone is over the budget: its callers still get their value.
    void Evict()
    {
        for (var node = _recent.First; node is not null && _bytes > budgetBytes;)
        {
            var next = node.Next;
            if (node.Value.Task.IsCompleted || node.Value.Bytes > 0) Remove(node.Value);
            node = next;
        }
    }

    void Remove(Entry entry)
    {
        if (!_entries.TryGetValue(entry.Key, out var current) || !ReferenceEquals(current, entry)) return;
        _entries.Remove(entry.Key);
        _recent.Remove(entry.Node!);
        _bytes -= entry.Bytes;
    }
}

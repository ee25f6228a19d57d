using System.Collections.Concurrent;

namespace StyleBlazor.Jobs;

/// <summary>
/// One long-lived thread that runs torch work items in order. Dispose scopes and grad mode are thread-local, so all of
/// a job's torch work goes through one of these and never hops across thread-pool continuations.
/// </summary>
public sealed class TorchThread : IDisposable
{
    readonly BlockingCollection<Action> _work = [];
    readonly ConcurrentQueue<Action> _between = new();
    readonly Thread _thread;

    public TorchThread(string name)
    {
        _thread = new Thread(Loop) { IsBackground = true, Name = name };
        _thread.Start();
    }

    public string Name => _thread.Name ?? "";

    /// <summary>Runs <paramref name="work"/> on this thread after what is queued; continuations of the result never run on it.</summary>
    public Task<T> InvokeAsync<T>(Func<T> work)
    {
        var (item, task) = Item(work);
        _work.Add(item);
        return task;
    }

    /// <summary>
    /// Runs short <paramref name="work"/> on this thread as soon as possible: between two iterations of the job it is
    /// running (that job calls <see cref="RunWorkBetweenIterations"/>), or right away when it is idle. The work must make
    /// its own dispose scope and grad mode, and leave nothing in the job's.
    /// </summary>
    public Task<T> InvokeBetweenIterationsAsync<T>(Func<T> work)
    {
        var (item, task) = Item(work);
        _between.Enqueue(item);
        _work.Add(RunWorkBetweenIterations); // when idle, the loop gets to it at once
        return task;
    }

    /// <summary>Runs what <see cref="InvokeBetweenIterationsAsync"/> queued; call only on this thread.</summary>
    public void RunWorkBetweenIterations()
    {
        while (_between.TryDequeue(out var item)) item();
    }

    static (Action Item, Task<T> Task) Item<T>(Func<T> work)
    {
        var done = new TaskCompletionSource<T>(TaskCreationOptions.RunContinuationsAsynchronously);
        return (() =>
        {
            try { done.SetResult(work()); }
            catch (Exception ex) { done.SetException(ex); }
        }, done.Task);
    }

    void Loop()
    {
        foreach (var item in _work.GetConsumingEnumerable()) item();
    }

    /// <summary>Lets queued work finish, then ends the thread.</summary>
    public void Dispose()
    {
        if (_work.IsAddingCompleted) return;
        _work.CompleteAdding();
        if (Thread.CurrentThread != _thread) _thread.Join(TimeSpan.FromSeconds(30));
    }
}

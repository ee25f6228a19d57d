using System.Collections.Concurrent;

namespace StyleBlazor.Jobs;

/// <summary>
/// One long-lived thread that runs torch work items in order. Dispose scopes and grad mode are thread-local, so all of
/// a job's torch work goes through one of these and never hops across thread-pool continuations.
/// </summary>
public sealed class TorchThread : IDisposable
{
    readonly BlockingCollection<Action> _work = [];
    readonly Thread _thread;

    public TorchThread(string name)
    {
        _thread = new Thread(Loop) { IsBackground = true, Name = name };
        _thread.Start();
    }

    public string Name => _thread.Name ?? "";

    /// <summary>Runs <paramref name="work"/> on this thread; continuations of the result never run on it.</summary>
    public Task<T> InvokeAsync<T>(Func<T> work)
    {
        var done = new TaskCompletionSource<T>(TaskCreationOptions.RunContinuationsAsynchronously);
        _work.Add(() =>
        {
            try { done.SetResult(work()); }
            catch (Exception ex) { done.SetException(ex); }
        });
        return done.Task;
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

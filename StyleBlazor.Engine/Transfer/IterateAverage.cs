using static TorchSharp.torch;

namespace StyleBlazor.Engine.Transfer;

/// <summary>
/// An exponential moving average of the iterates (Polyak–Ruppert averaging), on the image's device. A jittered run's
/// iterates scatter around the optimum: each step follows the gradient at one random shift. Their average over the last
/// <c>n</c> steps keeps the strokes they share and drops that scatter. Each new iterate weighs 1/n, or 1/count while fewer
/// than n have been added, so the average starts as the plain mean and is never pulled towards its first iterate.
/// </summary>
sealed class IterateAverage : IDisposable
{
    readonly int _steps;
    Tensor? _average;
    int _count;

    public IterateAverage(int steps)
    {
        if (steps < 1) throw new ArgumentOutOfRangeException(nameof(steps), steps, "An average needs at least one step.");
        _steps = steps;
    }

    /// <summary>How many iterates have been added.</summary>
    public int Count => _count;

    /// <summary>The average so far; null before the first <see cref="Add"/>.</summary>
    public Tensor? Average => _average;

    public void Add(Tensor iterate)
    {
        using var noGrad = no_grad();
        using var detached = iterate.detach();
        _count++;
        if (_average is null) _average = detached.clone().DetachFromDisposeScope();
        else _average.lerp_(detached, 1.0 / Math.Min(_count, _steps));
    }

    public void Dispose() => _average?.Dispose();
}

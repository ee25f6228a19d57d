using StyleBlazor.Engine.Transfer;

namespace StyleBlazor.Results;

/// <summary>An improved frame of a run, encoded for the replay (JPEG or WebP, see <see cref="ResultsOptions"/>).</summary>
public sealed record ProgressionFrame(int Iteration, byte[] Encoded);

/// <summary>
/// Collects a running job's improved frames for its replay, within bounded memory: each frame is shrunk and encoded
/// as it arrives, and when twice the frame limit is reached every other frame is dropped, so what is kept stays spread
/// over the whole run. Thread-safe; encoding is CPU work, so call <see cref="Add"/> off the optimisation thread.
/// </summary>
public sealed class ProgressionRecorder(ResultsOptions options)
{
    private readonly Lock _gate = new();
    private readonly List<ProgressionFrame> _frames = [];
    private int _stride = 1; // after thinning, only every _stride-th improved frame is recorded
    private int _seen;

    public void Add(int iteration, RgbFrame frame)
    {
        lock (_gate)
            if (_seen++ % _stride != 0) return;
        var size = ResultEncoder.Fit(frame.Width, frame.Height, options.ProgressionMaxSide);
        var encoded = new ProgressionFrame(iteration, ResultEncoder.Frame(frame, size, options.ProgressionFormat, options.ProgressionQuality));
        lock (_gate)
        {
            _frames.Add(encoded);
            if (_frames.Count < 2 * options.MaxProgressionFrames) return;
            var kept = _frames.Where((_, i) => i % 2 == 0).ToList();
            _frames.Clear();
            _frames.AddRange(kept);
            _stride *= 2;
        }
    }

    /// <summary>The frames kept so far, in the order they came.</summary>
    public IReadOnlyList<ProgressionFrame> Frames
    {
        get { lock (_gate) return [.. _frames]; }
    }
}

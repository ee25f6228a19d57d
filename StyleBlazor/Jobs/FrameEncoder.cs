using Microsoft.Extensions.Options;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.Formats;
using SixLabors.ImageSharp.Formats.Jpeg;
using SixLabors.ImageSharp.Formats.Webp;
using SixLabors.ImageSharp.Processing;
using StyleBlazor.Engine.Transfer;

namespace StyleBlazor.Jobs;

/// <summary>Counts of what happened to frames, for /api/diagnostics and the load command.</summary>
public sealed class FrameStatistics
{
    long _encoded, _supersededBeforeEncoding, _sent, _coalesced;

    /// <summary>Frames read back from the engine and encoded.</summary>
    public long Encoded => Interlocked.Read(ref _encoded);

    /// <summary>Frames read back but replaced by a newer one before the encoder got to them.</summary>
    public long SupersededBeforeEncoding => Interlocked.Read(ref _supersededBeforeEncoding);

    /// <summary>Frames delivered to watchers (hub connections and components).</summary>
    public long Sent => Interlocked.Read(ref _sent);

    /// <summary>Frames a watcher did not get because a newer frame arrived before it read the older one.</summary>
    public long Coalesced => Interlocked.Read(ref _coalesced);

    internal void AddEncoded() => Interlocked.Increment(ref _encoded);
    internal void AddSupersededBeforeEncoding() => Interlocked.Increment(ref _supersededBeforeEncoding);
    internal void AddSent() => Interlocked.Increment(ref _sent);
    internal void AddCoalesced() => Interlocked.Increment(ref _coalesced);
}

/// <summary>Encodes RGB frames as JPEG or WebP at the configured quality, scaled to the configured maximum side.</summary>
public sealed class FrameEncoder(IOptions<FrameOptions> options, FrameStatistics statistics)
{
    public FrameOptions Options => options.Value;

    /// <summary>What happened to frames, from encoding to delivery.</summary>
    public FrameStatistics Statistics => statistics;

    public JobUpdate.Frame Encode(RgbFrame frame, int iteration)
    {
        var o = options.Value;
        using var image = frame.ToImage();
        if (Math.Max(image.Width, image.Height) > o.MaxSide)
        {
            var size = ImageTensors.WorkingSize(image.Width, image.Height, o.MaxSide);
            image.Mutate(c => c.Resize(size));
        }
        (IImageEncoder encoder, string contentType) = o.Format switch
        {
            FrameFormat.Webp => ((IImageEncoder)new WebpEncoder { Quality = o.Quality, FileFormat = WebpFileFormatType.Lossy }, "image/webp"),
            _ => (new JpegEncoder { Quality = o.Quality }, "image/jpeg"),
        };
        using var stream = new MemoryStream();
        image.Save(stream, encoder);
        return new JobUpdate.Frame(iteration, image.Width, image.Height, contentType, stream.ToArray());
    }

    /// <summary>A lossless PNG at full size (what a result link serves).</summary>
    public static byte[] EncodePng(RgbFrame frame)
    {
        using var image = frame.ToImage();
        using var stream = new MemoryStream();
        image.SaveAsPng(stream);
        return stream.ToArray();
    }
}

/// <summary>
/// A job's frames between the torch thread and watchers: it tells the engine when a frame is wanted (the rate limit),
/// takes frames without blocking, and encodes the newest one on the thread pool, so the loop never waits.
/// <paramref name="record"/>, when given, also sees every submitted frame on the thread pool (the stored replay).
/// </summary>
public sealed class JobFramePump(StyleTransferJob job, FrameEncoder encoder, JobRegistry jobs, TimeProvider time, ILogger logger,
    Action<int, RgbFrame>? record = null)
{
    readonly FrameStatistics statistics = encoder.Statistics;
    readonly Lock _gate = new();
    readonly TimeSpan _interval = TimeSpan.FromSeconds(1 / encoder.Options.MaxFramesPerSecond);
    long _lastAcceptedAt = long.MinValue;
    (int Iteration, RgbFrame Frame)? _pending;
    Task _encoding = Task.CompletedTask;
    bool _encoderRunning;

    /// <summary>The engine's <c>wantsFrame</c>: true when a frame now would respect the maximum frame rate.</summary>
    public bool WantsFrame(int iteration)
    {
        long last = Interlocked.Read(ref _lastAcceptedAt);
        return last == long.MinValue || time.GetElapsedTime(last) >= _interval;
    }

    /// <summary>The newest frame submitted (the best image so far: frames come only on improvement).</summary>
    public (int Iteration, RgbFrame Frame)? LastSubmitted { get { lock (_gate) return _lastSubmitted; } }
    (int Iteration, RgbFrame Frame)? _lastSubmitted;
    readonly List<(int, RgbFrame)> _toRecord = [];

    /// <summary>Called on the torch thread with a read-back frame; returns at once.</summary>
    public void Submit(int iteration, RgbFrame frame)
    {
        Interlocked.Exchange(ref _lastAcceptedAt, time.GetTimestamp());
        lock (_gate)
        {
            if (_pending is not null) statistics.AddSupersededBeforeEncoding();
            _pending = (iteration, frame);
            _lastSubmitted = _pending;
            if (record is not null) _toRecord.Add((iteration, frame));
            if (!_encoderRunning)
            {
                _encoderRunning = true;
                _encoding = Task.Run(EncodePending);
            }
        }
    }

    /// <summary>Completes when every submitted frame has been encoded (or superseded) and announced.</summary>
    public Task FlushAsync() { lock (_gate) return _encoding; }

    void EncodePending()
    {
        while (true)
        {
            (int Iteration, RgbFrame Frame) next;
            (int, RgbFrame)[] toRecord;
            lock (_gate)
            {
                toRecord = [.. _toRecord];
                _toRecord.Clear();
                if (_pending is null && toRecord.Length == 0)
                {
                    _encoderRunning = false;
                    return;
                }
                next = _pending ?? default;
                _pending = null;
            }
            foreach (var (iteration, frame) in toRecord)
            {
                try { record!(iteration, frame); }
                catch (Exception ex) { logger.LogWarning(ex, "Recording frame {Iteration} of job {JobId} failed", iteration, job.Id); }
            }
            if (next.Frame is null) continue;
            try
            {
                var encoded = encoder.Encode(next.Frame, next.Iteration);
                statistics.AddEncoded();
                jobs.Record(job, encoded);
            }
            catch (Exception ex)
            {
                logger.LogWarning(ex, "Encoding frame {Iteration} of job {JobId} failed", next.Iteration, job.Id);
            }
        }
    }
}

using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;
using System.Threading.Channels;
using Microsoft.Extensions.Options;
using StyleBlazor.Engine;
using StyleBlazor.Engine.Backbones;
using StyleBlazor.Engine.Imaging;
using StyleBlazor.Engine.Transfer;
using StyleBlazor.Results;
using TorchSharp;
using static TorchSharp.torch;

namespace StyleBlazor.Jobs;

/// <summary>
/// Owns the device: warms up the default backbone before the app serves, then runs queued jobs, each entirely on one
/// long-lived torch thread (one per concurrent slot). A job's failure is recorded on the job and never stops the
/// service; at shutdown running and waiting jobs end as Interrupted.
/// </summary>
public sealed class StyleEngineService(
    JobQueue queue,
    JobRegistry jobs,
    JobEvents events,
    IBackboneCatalog catalog,
    FrameEncoder encoder,
    FrameStatistics frameStatistics,
    ImageIntake intake,
    IJobResultSink results,
    IOptions<EngineOptions> options,
    TimeProvider time,
    ILogger<StyleEngineService> logger) : BackgroundService
{
    readonly Lock _backboneGate = new();
    readonly Dictionary<string, IBackbone> _backbones = [];
    TorchThread[] _threads = [];
    Device _device = CPU;
    int _released;
    readonly Lock _idleGate = new();
    int _running;
    ITimer? _idleRelease;
    int _memoryReleases;

    /// <summary>The device jobs run on (set at start).</summary>
    public Device Device => _device;

    /// <summary>How many times freed native memory was handed back after the engine went idle.</summary>
    public int MemoryReleases => Volatile.Read(ref _memoryReleases);

    /// <summary>Backbones loaded so far (the default one after start).</summary>
    public IReadOnlyCollection<string> LoadedBackbones { get { lock (_backboneGate) return [.. _backbones.Keys]; } }

    public override async Task StartAsync(CancellationToken cancellationToken)
    {
        var o = options.Value;
        bool reuse = o.ReuseFreedMemory && NativeHeap.ReuseFreedMemory(); // before libtorch allocates
        logger.LogInformation("Native memory: {Allocator}; freed memory {Policy}", NativeHeap.Describe(),
            reuse ? $"kept for reuse while jobs run, handed back after {o.ReleaseFreedMemoryAfterIdle} idle" : "returned as the allocator decides");
        _device = TorchRuntime.SelectDevice(o.Device);
        _threads = [.. Enumerable.Range(0, o.MaxConcurrentJobs).Select(i => new TorchThread($"torch-{i}"))];
        // Warm-up belongs here, not in ExecuteAsync: the app should not serve before the default backbone is ready.
        // It runs what the first user's job runs, so that job is not the one that pays for compiling it all
        // (its first frame came ~0.8 s later than the next jobs' with only the backbone loaded).
        using var picture = await WarmUpPictureAsync();
        await _threads[0].InvokeAsync(() =>
        {
            TorchRuntime.Configure(_device, o.CpuThreads);
            if (_device.type == DeviceType.CPU)
                logger.LogInformation("Matrix products: {MatrixLibrary}; VGG19's blocks 3-5 by {Algorithm}", MatrixLibrary.Describe(),
                    TorchRuntime.WinogradConvolutions ? "Winograd F(4x4,3x3)" : "oneDNN's direct convolution");
            WarmUp(picture);
            return true;
        });
        ScheduleIdleRelease(); // the warm-up's memory too, if no job comes
        await base.StartAsync(cancellationToken);
    }

    /// <summary>A small picture, through the upload path: PNG and JPEG bytes decoded by the intake.</summary>
    async Task<Image<Rgb24>> WarmUpPictureAsync()
    {
        using var drawn = new Image<Rgb24>(64, 64);
        drawn.ProcessPixelRows(rows =>
        {
            for (int y = 0; y < rows.Height; y++)
            {
                var row = rows.GetRowSpan(y);
                for (int x = 0; x < row.Length; x++) row[x] = new Rgb24((byte)(4 * x), (byte)(4 * y), (byte)(2 * (x + y)));
            }
        });
        using var png = new MemoryStream();
        await drawn.SaveAsPngAsync(png);
        using var jpeg = new MemoryStream();
        await drawn.SaveAsJpegAsync(jpeg);
        (await intake.DecodeAsync(jpeg.ToArray())).Dispose();
        return await intake.DecodeAsync(png.ToArray());
    }

    void WarmUp(Image<Rgb24> picture)
    {
        var info = catalog.Available.FirstOrDefault(b => b.Name == options.Value.DefaultBackbone) ?? catalog.Available.FirstOrDefault();
        if (info is null)
        {
            logger.LogWarning("No backbone is available; submissions will be refused until one is configured");
            return;
        }
        var started = time.GetTimestamp();
        var backbone = GetBackbone(info.Name);
        // A two-step transfer with frames, as a job runs it.
        int side = backbone.SizeMultiple * Math.Max(2, 64 / backbone.SizeMultiple);
        var warmUp = info.Defaults.WithIterations(2) with { MaxSide = side };
        var result = StyleTransfer.Run(backbone, picture, [picture], warmUp, _ => { }, _ => true);
        encoder.Encode(result.BestImage, result.BestIteration);
        logger.LogInformation("Backbone {Backbone} loaded and warmed up on {Device} in {Elapsed}", info.Name, _device, time.GetElapsedTime(started));
    }

    IBackbone GetBackbone(string name)
    {
        lock (_backboneGate)
        {
            if (!_backbones.TryGetValue(name, out var backbone))
                _backbones[name] = backbone = catalog.Load(name, _device);
            return backbone;
        }
    }

    protected override Task ExecuteAsync(CancellationToken stoppingToken) =>
        Task.WhenAll(_threads.Select(thread => WorkAsync(thread, stoppingToken)));

    async Task WorkAsync(TorchThread thread, CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            StyleTransferJob job;
            try { job = await queue.DequeueAsync(stoppingToken); }
            catch (Exception ex) when (ex is OperationCanceledException or ChannelClosedException) { return; }

            Interlocked.Increment(ref _running);
            try { await RunAsync(job, thread, stoppingToken); }
            catch (Exception ex)
            {
                // RunAsync records failures itself; this is the last guard so that nothing escapes ExecuteAsync.
                logger.LogError(ex, "Job {JobId} broke the worker loop", job.Id);
                jobs.Finish(job, JobState.Failed, "The server could not run this job.");
            }
            finally
            {
                if (Interlocked.Decrement(ref _running) == 0) ScheduleIdleRelease();
            }
            jobs.Prune();
        }
    }

    // Freed memory is kept while jobs run (no page is faulted twice); once nothing has run or waited for a while it
    // goes back to the kernel, so an idle server does not hold its largest job's peak. Back-to-back jobs (a classroom
    // demo) keep it. A job starting during the release only faults its pages in again.
    void ScheduleIdleRelease()
    {
        var delay = options.Value.ReleaseFreedMemoryAfterIdle;
        if (!options.Value.ReuseFreedMemory || delay <= TimeSpan.Zero) return;
        lock (_idleGate)
        {
            _idleRelease?.Dispose();
            _idleRelease = time.CreateTimer(_ => ReleaseIfIdle(), null, delay, Timeout.InfiniteTimeSpan);
        }
    }

    void ReleaseIfIdle()
    {
        if (Volatile.Read(ref _running) > 0 || queue.Count > 0) return; // the next job's end schedules again
        if (NativeHeap.ReleaseFreedMemory()) Interlocked.Increment(ref _memoryReleases);
        logger.LogDebug("Engine idle: freed native memory handed back");
    }

    async Task RunAsync(StyleTransferJob job, TorchThread thread, CancellationToken stoppingToken)
    {
        if (!job.TryStart(time.GetUtcNow())) return; // cancelled while a worker was picking it up
        events.Publish(new JobStartedEvent(job));
        logger.LogInformation("Job {JobId} started on {Thread} ({Backbone}, {Iterations} iterations)", job.Id, thread.Name, job.Backbone, job.Options.Iterations);

        using var timeout = new CancellationTokenSource(options.Value.JobTimeout, time);
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken, job.CancellationToken, timeout.Token);
        var recorder = results.CreateRecorder();
        var frames = new JobFramePump(job, encoder, events, frameStatistics, time, logger, recorder.Add);
        try
        {
            var result = await thread.InvokeAsync(() => StyleTransfer.Run(
                GetBackbone(job.Backbone), job.Content, job.Styles, job.Options,
                progress => OnProgress(job, progress, frames),
                frames.WantsFrame,
                stop.Token));
            await frames.FlushAsync();
            var best = encoder.Encode(result.BestImage, result.BestIteration);
            // The best image is the last word for watchers, unless they already have that very iteration.
            if (best.Iteration > (job.LatestFrame?.Iteration ?? -1))
            {
                job.SetLatestFrame(best);
                events.Publish(new JobFrameEvent(job, best));
            }
            var link = await StoreAsync(job, ResultOutcome.Completed, result.BestImage, result.BestIteration, result.IterationsRun, result.Elapsed, recorder);
            jobs.Complete(job, result, best, link);
            logger.LogInformation("Job {JobId} completed: best J {Loss} at iteration {Iteration} in {Elapsed}", job.Id, result.BestLoss.Total, result.BestIteration, result.Elapsed);
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
            await frames.FlushAsync();
            // A stopped run that painted something keeps its best frame so far, like a finished one.
            var outcome = job.CancellationToken.IsCancellationRequested ? ResultOutcome.Cancelled
                : stoppingToken.IsCancellationRequested ? ResultOutcome.Interrupted : (ResultOutcome?)null;
            string? link = outcome is { } o && frames.LastSubmitted is { } last
                ? await StoreAsync(job, o, last.Frame, last.Iteration, job.LossCount, time.GetUtcNow() - (job.StartedAt ?? job.CreatedAt), recorder)
                : null;
            if (job.CancellationToken.IsCancellationRequested)
                jobs.Finish(job, JobState.Cancelled, job.CancelReason ?? "Cancelled.", resultLink: link);
            else if (stoppingToken.IsCancellationRequested)
                jobs.Finish(job, JobState.Interrupted, "The server shut down while this job was running.", resultLink: link);
            else
                jobs.Finish(job, JobState.Failed, $"The job ran longer than this server's limit of {options.Value.JobTimeout}.");
            logger.LogInformation("Job {JobId} stopped: {State} ({Reason})", job.Id, job.State, job.Error);
        }
        catch (Exception ex) when (IsOutOfMemory(ex))
        {
            // The run's dispose scopes have released its tensors by now; name a size that should fit (memory grows
            // with the square of the side, so half the side needs about a quarter).
            await frames.FlushAsync();
            int fits = Math.Max(16, job.Options.MaxSide / 2);
            logger.LogWarning(ex, "Job {JobId} ran out of memory at {Side} px", job.Id, job.Options.MaxSide);
            jobs.Finish(job, JobState.Failed,
                $"The server ran out of memory for this job at {job.Options.MaxSide} px; try {fits} px or smaller.");
        }
        catch (Exception ex)
        {
            await frames.FlushAsync();
            logger.LogWarning(ex, "Job {JobId} failed", job.Id);
            jobs.Finish(job, JobState.Failed, $"The transfer failed: {ex.Message}");
        }
    }

    /// <summary>.NET's own, or libtorch's (surfaced by TorchSharp as an ExternalException saying "out of memory").</summary>
    internal static bool IsOutOfMemory(Exception? ex)
    {
        for (; ex is not null; ex = ex.InnerException)
            if (ex is OutOfMemoryException
                || (ex is System.Runtime.InteropServices.ExternalException && ex.Message.Contains("out of memory", StringComparison.OrdinalIgnoreCase)))
                return true;
        return false;
    }

    /// <summary>Stores the result for its share link; a storage fault is logged and never fails the job.</summary>
    async Task<string?> StoreAsync(StyleTransferJob job, ResultOutcome outcome, RgbFrame image, int bestIteration, int iterationsRun,
        TimeSpan elapsed, ProgressionRecorder recorder)
    {
        try
        {
            var link = await results.SaveAsync(new NewResult(job.OwnerId, outcome, job.Backbone, job.Options, image, bestIteration,
                iterationsRun, elapsed, job.Content, job.Styles[0], job.LossHistory(), recorder.Frames));
            return link.Path;
        }
        catch (Exception ex)
        {
            logger.LogError(ex, "Job {JobId} could not be stored; its result stays reachable in memory only", job.Id);
            return null;
        }
    }

    // On the torch thread, once per iteration: record, announce, hand the frame off. Never blocks.
    void OnProgress(StyleTransferJob job, TransferProgress p, JobFramePump frames)
    {
        double seconds = p.Elapsed.TotalSeconds;
        double perSecond = p.Iteration > 0 && seconds > 0 ? p.Iteration / seconds : 0;
        double eta = perSecond > 0 ? (p.TotalIterations - p.Iteration) / perSecond : 0;
        var record = new LossRecord(p.Iteration, p.Loss.Total, p.Loss.Content, p.Loss.Style, p.Loss.TotalVariation,
            p.Loss.StyleLayers, seconds, perSecond, eta);
        job.AddLoss(record);
        events.Publish(new JobProgressEvent(job, record));
        if (p.Frame is { } frame) frames.Submit(p.Iteration, frame);
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        foreach (var waiting in queue.Close())
            jobs.Finish(waiting, JobState.Interrupted, "The server shut down before this job started.", onlyIfQueued: true);
        try
        {
            await base.StopAsync(cancellationToken); // cancels running jobs (they end as Interrupted) and waits for them
        }
        finally
        {
            // The host may stop a service more than once (WebApplicationFactory does); release only once.
            if (_threads.Length > 0 && Interlocked.Exchange(ref _released, 1) == 0)
            {
                try
                {
                    await _threads[0].InvokeAsync(() =>
                    {
                        lock (_backboneGate)
                        {
                            foreach (var b in _backbones.Values) b.Dispose();
                            _backbones.Clear();
                        }
                        return true;
                    }).WaitAsync(cancellationToken);
                }
                catch (OperationCanceledException) { logger.LogWarning("Shutdown timed out before the backbones were released"); }
                foreach (var t in _threads) t.Dispose();
                lock (_idleGate) _idleRelease?.Dispose();
            }
        }
    }
}

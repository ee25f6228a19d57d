using System.Runtime;
using Microsoft.Extensions.Options;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;
using StyleBlazor.Engine;
using StyleBlazor.Engine.Backbones;
using StyleBlazor.Engine.Imaging;
using StyleBlazor.Engine.Transfer;
using TorchSharp;
using static TorchSharp.torch;

namespace StyleBlazor.Jobs;

/// <summary>
/// Owns the device: picks it, runs one long-lived torch thread per concurrent job, loads and caches backbones, keeps
/// content targets between jobs, warms the default backbone up before the app serves, and hands freed native memory
/// back once no torch work has run for a while.
/// All torch work goes through <see cref="RunAsync{T}"/> (a job), <see cref="RunBetweenIterationsAsync{T}"/> (short work
/// beside a running job) or <see cref="PrepareContentTargetsAsync"/> (a picked photo's targets, while no job runs).
/// </summary>
public sealed class BackboneHost(
    IBackboneCatalog catalog,
    FrameEncoder encoder,
    ImageIntake intake,
    IOptions<EngineOptions> options,
    TimeProvider time,
    OpenMpWaits.Outcome waits,
    PaceMemory pace,
    ILogger<BackboneHost> logger) : IHostedService
{
    readonly Lock _gate = new();
    readonly Dictionary<string, IBackbone> _backbones = [];
    TorchThread[] _threads = [];
    int _busy;
    ITimer? _idleRelease;
    int _memoryReleases;
    int _released;
    int _preparations; // the newest preparation's number: an older one stops when a newer one comes

    /// <summary>The device jobs run on (set at start).</summary>
    public Device Device { get; private set; } = CPU;

    /// <summary>Content targets kept between jobs on the same photo (<see cref="EngineOptions.ContentTargetCacheMiB"/>).</summary>
    public ContentTargetCache ContentTargets { get; private set; } = new(0);

    /// <summary>Jobs that can run at once: one torch thread each.</summary>
    public int Slots => _threads.Length;

    /// <summary>How many times freed native memory was handed back after the engine went idle.</summary>
    public int MemoryReleases => Volatile.Read(ref _memoryReleases);

    /// <summary>Backbones loaded so far (the default one after start).</summary>
    public IReadOnlyCollection<string> LoadedBackbones { get { lock (_gate) return [.. _backbones.Keys]; } }

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var o = options.Value;
        logger.LogInformation("{OpenMpWaits}", waits.Description);
        bool reuse = o.ReuseFreedMemory && NativeHeap.ReuseFreedMemory(); // before libtorch allocates
        logger.LogInformation("Native memory: {Allocator}; freed memory {Policy}", NativeHeap.Describe(),
            reuse ? $"kept for reuse while jobs run, handed back after {o.ReleaseFreedMemoryAfterIdle} idle" : "returned as the allocator decides");
        Device = TorchRuntime.SelectDevice(o.Device);
        ContentTargets = new ContentTargetCache((long)o.ContentTargetCacheMiB << 20);
        _threads = [.. Enumerable.Range(0, o.MaxConcurrentJobs).Select(i => new TorchThread($"torch-{i}"))];
        // Warm-up belongs before the app serves. It runs what the first user's job runs, so that job is not the one
        // that pays for compiling it all (its first frame came ~0.8 s later than the next jobs' with only the backbone loaded).
        using var picture = await WarmUpPictureAsync();
        await _threads[0].InvokeAsync(() =>
        {
            TorchRuntime.Configure(Device, o.CpuThreads);
            if (Device.type == DeviceType.CPU)
                logger.LogInformation("Matrix products: {MatrixLibrary}; VGG19's blocks 3-5 by {Algorithm}", MatrixLibrary.Describe(),
                    TorchRuntime.WinogradConvolutions ? "Winograd F(4x4,3x3)" : "oneDNN's direct convolution");
            WarmUp(picture);
            return true;
        });
        ScheduleIdleRelease(); // the warm-up's memory too, if no job comes
    }

    /// <summary>
    /// Runs <paramref name="work"/> with the named backbone (loaded on first use) on torch thread <paramref name="slot"/>;
    /// the whole of it on that one thread.
    /// </summary>
    public async Task<T> RunAsync<T>(int slot, string backbone, Func<IBackbone, TorchThread, T> work)
    {
        Interlocked.Increment(ref _busy);
        try
        {
            var thread = _threads[slot];
            IBackbone? used = null;
            var result = await thread.InvokeAsync(() => work(used = GetBackbone(backbone), thread));
            pace.Keep(backbone, Device, used!); // what the job's ETA learned, for the next start
            return result;
        }
        finally
        {
            if (Interlocked.Decrement(ref _busy) == 0) ScheduleIdleRelease();
        }
    }

    /// <summary>
    /// Runs short torch work (an inspection of a layer, say) with the named backbone as soon as a torch thread can take it:
    /// at once on an idle thread, else between two iterations of a running job, which it delays by that work alone.
    /// </summary>
    public Task<T> RunBetweenIterationsAsync<T>(string backbone, Func<IBackbone, T> work)
    {
        // Slot 0 also warms up and releases; any thread would do, and one keeps the order of requests.
        var thread = _threads.Length > 0 ? _threads[0] : throw new InvalidOperationException("The engine has not started.");
        return thread.InvokeBetweenIterationsAsync(() => work(GetBackbone(backbone)));
    }

    /// <summary>
    /// Makes the content targets of a job of <paramref name="options"/> on <paramref name="content"/> while no job runs
    /// (the Studio asks when a photo is picked, and the user then picks a style), so that the job starts with them made.
    /// Stops before the next target as soon as a job comes or a newer preparation is asked for. The picture is handed
    /// over. Returns how many it made: 0 at once when targets are not kept or a job is running, and 0 for a run without
    /// jitter (<see cref="StyleTransfer.PrepareContentTargets"/>).
    /// Never throws: a failure costs only the time the job then spends making them.
    /// </summary>
    public async Task<int> PrepareContentTargetsAsync(string backbone, Image<Rgb24> content, StyleTransferOptions options)
    {
        using (content)
        {
            if (_threads.Length == 0 || ContentTargets.CapacityBytes == 0 || Volatile.Read(ref _busy) > 0) return 0;
            int number = Interlocked.Increment(ref _preparations);
            bool Superseded() => Volatile.Read(ref _busy) > 0 || Volatile.Read(ref _preparations) != number || Volatile.Read(ref _released) != 0;
            int made = 0;
            try
            {
                var started = time.GetTimestamp();
                made = await _threads[0].InvokeAsync(() => Superseded() ? 0
                    : StyleTransfer.PrepareContentTargets(GetBackbone(backbone), content, options, ContentTargets, Superseded));
                logger.LogInformation("Made {Made} content targets before a job, in {Elapsed}", made, time.GetElapsedTime(started));
            }
            catch (Exception ex)
            {
                logger.LogWarning(ex, "Making content targets before a job failed");
            }
            if (Volatile.Read(ref _busy) == 0) ScheduleIdleRelease();
            return made;
        }
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
        if (catalog.Default is not { } info)
        {
            logger.LogWarning("No backbone is available; submissions will be refused until one is configured");
            return;
        }
        var started = time.GetTimestamp();
        var backbone = GetBackbone(info.Name);
        // A two-step transfer with frames, as a job runs it: both of the recipe's sizes.
        int side = backbone.SizeMultiple * Math.Max(2, 64 / backbone.SizeMultiple);
        var warmUp = info.Defaults.WithIterations(2) with { MaxSide = side };
        var result = StyleTransfer.Run(backbone, picture, [picture], warmUp, _ => { }, _ => true);
        encoder.Encode(result.BestImage, result.BestIteration);
        int steps = options.Value.WarmUpSteps;
        string jit = "";
        if (steps > 2)
        {
            // The rest at one size: a run timed at one size measures no fixed part, so the first job's ETA still starts
            // from the app's prior, not from a step cost at 64 px.
            var more = info.Defaults.WithIterations(steps - 2) with { MaxSide = side, CoarseIterations = 0 };
            StyleTransfer.Run(backbone, picture, [picture], more, _ => { }, _ => true);
            jit = WaitForTheJit(TimeSpan.FromSeconds(5)) ? "; the JIT went quiet" : "; the JIT still compiling after 5 s";
        }
        logger.LogInformation("Backbone {Backbone} loaded and warmed up on {Device} in {Elapsed} ({Steps} steps{Jit})",
            info.Name, Device, time.GetElapsedTime(started), steps, jit);
    }

    /// <summary>
    /// Waits until .NET has compiled no method for 300 ms (the background recompilation of the methods the warm-up made
    /// hot), or <paramref name="limit"/> has passed; true when it went quiet.
    /// </summary>
    static bool WaitForTheJit(TimeSpan limit)
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        long last = JitInfo.GetCompiledMethodCount();
        for (int quietPolls = 0; clock.Elapsed < limit;)
        {
            Thread.Sleep(100);
            long now = JitInfo.GetCompiledMethodCount();
            quietPolls = now == last ? quietPolls + 1 : 0;
            if (quietPolls == 3) return true;
            last = now;
        }
        return false;
    }

    IBackbone GetBackbone(string name)
    {
        lock (_gate)
        {
            if (!_backbones.TryGetValue(name, out var backbone))
            {
                _backbones[name] = backbone = catalog.Load(name, Device);
                pace.Recall(name, Device, backbone);
            }
            return backbone;
        }
    }

    // Freed memory is kept while jobs run (no page is faulted twice); once no torch work has run for a while it goes
    // back to the kernel, so an idle server does not hold its largest job's peak. Back-to-back jobs (a classroom demo)
    // keep it. A job starting during the release only faults its pages in again.
    void ScheduleIdleRelease()
    {
        var delay = options.Value.ReleaseFreedMemoryAfterIdle;
        if (!options.Value.ReuseFreedMemory || delay <= TimeSpan.Zero) return;
        lock (_gate)
        {
            _idleRelease?.Dispose();
            _idleRelease = time.CreateTimer(_ => ReleaseIfIdle(), null, delay, Timeout.InfiniteTimeSpan);
        }
    }

    void ReleaseIfIdle()
    {
        if (Volatile.Read(ref _busy) > 0) return; // the work's end schedules again
        if (NativeHeap.ReleaseFreedMemory()) Interlocked.Increment(ref _memoryReleases);
        logger.LogDebug("Engine idle: freed native memory handed back");
    }

    /// <summary>Releases the backbones and ends the threads; the job runner has stopped by now (it stops first).</summary>
    public async Task StopAsync(CancellationToken cancellationToken)
    {
        // The host may stop a service more than once (WebApplicationFactory does); release only once.
        if (_threads.Length == 0 || Interlocked.Exchange(ref _released, 1) != 0) return;
        try
        {
            await _threads[0].InvokeAsync(() =>
            {
                lock (_gate)
                {
                    ContentTargets.Dispose();
                    foreach (var b in _backbones.Values) b.Dispose();
                    _backbones.Clear();
                }
                return true;
            }).WaitAsync(cancellationToken);
        }
        catch (OperationCanceledException) { logger.LogWarning("Shutdown timed out before the backbones were released"); }
        foreach (var t in _threads) t.Dispose();
        lock (_gate) _idleRelease?.Dispose();
    }
}

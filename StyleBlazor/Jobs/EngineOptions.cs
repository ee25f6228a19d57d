using System.ComponentModel.DataAnnotations;
using StyleBlazor.Engine;

namespace StyleBlazor.Jobs;

/// <summary>What happens to a job when its owner's browser goes away mid-run.</summary>
public enum OwnerDisconnectPolicy
{
    /// <summary>The job runs to the end, so its result can still be opened by link.</summary>
    Finish,

    /// <summary>The job is cancelled once the owner has had no connection for <see cref="EngineOptions.OwnerGracePeriod"/>.</summary>
    Cancel,
}

/// <summary>The hosted engine: device, concurrency, queue limits and per-job limits (section <c>Engine</c>).</summary>
public sealed class EngineOptions
{
    public const string Section = "Engine";

    /// <summary>"auto" (CUDA when available, else CPU), "cpu", or "cuda"/"cuda:N".</summary>
    [Required, RegularExpression("^(auto|cpu|cuda(:[0-9]+)?)$", ErrorMessage = "Engine:Device must be auto, cpu or cuda[:N].")]
    public string Device { get; set; } = "auto";

    /// <summary>Intra-op CPU threads for torch; 0 = all cores.</summary>
    [Range(0, 1024)]
    public int CpuThreads { get; set; }

    /// <summary>
    /// Keep freed native memory for reuse instead of returning it to the kernel (<see cref="NativeHeap.ReuseFreedMemory"/>).
    /// Page faults on freshly mapped activations were the largest cost per iteration here (docs/performance.md).
    /// With jemalloc preloaded (the Docker image) the peak is steady and below glibc's default; with glibc it is
    /// 100–400 MiB higher than without this, varying from run to run (heap fragmentation).
    /// </summary>
    public bool ReuseFreedMemory { get; set; } = true;

    /// <summary>
    /// With <see cref="ReuseFreedMemory"/>: how long nothing must run or wait before the kept memory is handed back
    /// to the kernel (the next job faults its pages in once more). Zero keeps it for good.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00", "1.00:00:00")]
    public TimeSpan ReleaseFreedMemoryAfterIdle { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>
    /// How libtorch's OpenMP threads wait for work (<see cref="OpenMpWait"/>). A brief spin by default: it catches the
    /// gaps between a step's parallel regions and sleeps through anything longer, so a browser on the same cores (a
    /// teacher's machine) or the app's own threads still get them. With Chromium watching the Studio on 2 cores it took
    /// 0.80–0.98 of sleeping's time in 22 of 26 pairs; libgomp's full spin had taken 51 s against sleeping's 22 s
    /// (docs/performance.md). <see cref="OpenMpWait.Sleep"/> suits a machine busy with other work. Set before libtorch
    /// loads; an <c>OMP_WAIT_POLICY</c> in the environment wins.
    /// </summary>
    public OpenMpWait OpenMpWait { get; set; } = OpenMpWait.SpinBriefly;

    /// <summary>
    /// Steps of the warm-up transfer the app runs at 64 px before it serves. Past 2, the rest run at one size (so their
    /// pace is not learned as the backbone's) and the app then waits, at most 5 s, until .NET's JIT has gone quiet: after
    /// 30 calls a method is compiled again, optimised, on a background thread, which otherwise shared the two cores with
    /// the first job's early steps and threw its ETA off (the first job's largest error 87 → 44 % on average over eight
    /// fresh apps; docs/performance.md). Costs about a second at start-up. The steps' own methods are not optimised by
    /// then: .NET counts no calls while the app is still compiling, and a second pass that did count them gained nothing.
    /// </summary>
    [Range(2, 1000)]
    public int WarmUpSteps { get; set; } = 40;

    /// <summary>
    /// MiB of content targets kept between jobs (<see cref="ContentTargetCache"/>): a job on a photo an earlier job used at
    /// the same size (another style, other weights, a class on one sample photo) makes none of its ~110 targets again,
    /// on two CPU cores 1.4–2.3 s of a ~12 s default job. A 512 px photo's take ~50 MiB at its two sizes, float32 on the
    /// device, so 256 keeps five. 0 keeps none.
    /// </summary>
    [Range(0, 1 << 20)]
    public int ContentTargetCacheMiB { get; set; } = 256;

    /// <summary>Jobs running at once on the device; each gets its own long-lived torch thread.</summary>
    [Range(1, 8)]
    public int MaxConcurrentJobs { get; set; } = 1;

    /// <summary>Jobs waiting at most; a submission beyond this is refused, never left hanging.</summary>
    [Range(1, 10_000)]
    public int QueueCapacity { get; set; } = 20;

    /// <summary>Queued (not yet running) jobs one browser session may have.</summary>
    [Range(1, 1000)]
    public int MaxQueuedPerOwner { get; set; } = 3;

    /// <summary>Waiting jobs from one client address (all its browser sessions together).</summary>
    [Range(1, 10_000)]
    public int MaxQueuedPerAddress { get; set; } = 10;

    /// <summary>A running job is stopped (and reported as failed) after this long.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "1.00:00:00")]
    public TimeSpan JobTimeout { get; set; } = TimeSpan.FromMinutes(15);

    /// <summary>What happens when the owner's browser goes away; default: the job finishes.</summary>
    public OwnerDisconnectPolicy OnOwnerDisconnect { get; set; } = OwnerDisconnectPolicy.Finish;

    /// <summary>With <see cref="OwnerDisconnectPolicy.Cancel"/>: how long an owner may be gone (a reload) before their jobs stop.</summary>
    [Range(typeof(TimeSpan), "00:00:00", "01:00:00")]
    public TimeSpan OwnerGracePeriod { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Finished jobs (and their result image) stay in memory this long.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "7.00:00:00")]
    public TimeSpan FinishedJobRetention { get; set; } = TimeSpan.FromHours(2);

    /// <summary>Server-side ceiling on iterations, whatever a client asks for (protects a shared CPU).</summary>
    [Range(1, 100_000)]
    public int MaxIterations { get; set; } = 2000;

    /// <summary>Server-side ceiling on the working size (longest side, px).</summary>
    [Range(16, 8192)]
    public int MaxSide { get; set; } = 1024;

    /// <summary>
    /// With several nodes: a running job's worker renews its claim on the job every third of this; a job whose worker
    /// has not for this long is taken over by another worker and run again from the start.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:01", "01:00:00")]
    public TimeSpan LeaseTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>With several nodes: a job started this many times without ending (its worker went away each time) ends as Failed.</summary>
    [Range(1, 100)]
    public int MaxAttempts { get; set; } = 3;

    /// <summary>Style images one job may blend at most (the Studio, the hub and the HTTP API alike).</summary>
    [Range(1, 16)]
    public int MaxStyles { get; set; } = 4;
}

/// <summary>Encoded frames pushed to watchers (section <c>Frames</c>).</summary>
public enum FrameFormat { Jpeg, Webp }

/// <summary>How improved frames are encoded and how often they are read back and pushed.</summary>
public sealed class FrameOptions
{
    public const string Section = "Frames";

    public FrameFormat Format { get; set; } = FrameFormat.Jpeg;

    /// <summary>Encoder quality, 1–100.</summary>
    [Range(1, 100)]
    public int Quality { get; set; } = 80;

    /// <summary>Frames are scaled down so their longest side is at most this many pixels.</summary>
    [Range(16, 8192)]
    public int MaxSide { get; set; } = 512;

    /// <summary>At most this many frames per second per job; every iteration's losses are still sent.</summary>
    [Range(0.1, 60)]
    public double MaxFramesPerSecond { get; set; } = 4;
}

using System.Runtime.CompilerServices;

namespace StyleBlazor.Engine.Transfer;

/// <summary>
/// The time left of a run whose stages differ in size, from the pace measured so far. Iterations per second mislead
/// there: a coarse-to-fine run's first steps are many times cheaper than its last. A step at a stage of P pixels is
/// modelled as costing r·(P + P₀): proportional to the pixels (a step at half the side costs about a quarter) plus a
/// fixed part, the calls and small maps a step makes whatever its size, worth P₀ pixels. r comes from the stage
/// running now; once two stages have run, P₀ is fitted to them as well. A stage's set-up (its targets, new kernels) is
/// scaled from the last one's the same way.
/// <para>
/// Before the second stage, P₀ can only be a prior: the first stage's pace says nothing about how the cost grows with
/// the size. So every run leaves the P₀ it measured with its backbone (<see cref="Learn"/>), and the next run on that
/// backbone starts from it (<see cref="For"/>): in the web app, where a backbone serves job after job, only the first
/// job after a start relies on <see cref="FixedPixels"/>.
/// </para>
/// </summary>
public sealed class RemainingTimeEstimate
{
    /// <summary>
    /// The prior fixed part of a step in pixels, for a backbone that has not finished a run yet. The default ResNet18
    /// run's steps fit about 38 000 on one CPU thread (61 and 152 ms at 256×192 and 512×352) and about 70 000 on two
    /// (35 and 75 ms: the threads' hand-offs are a fixed cost), so the full-size step is foreseen within 10 % either way
    /// (docs/performance.md, "Time to a good picture").
    /// </summary>
    public const double FixedPixels = 50_000;

    static readonly ConditionalWeakTable<object, StrongBox<double>> Learned = new();

    readonly IReadOnlyList<TransferStage> _stages;
    readonly double _fixedPixels;
    readonly double[] _started, _firstReport, _lastReport;
    readonly List<double>[] _recentSteps;
    readonly int[] _reports;

    public RemainingTimeEstimate(IReadOnlyList<TransferStage> stages, double fixedPixels = FixedPixels)
    {
        _stages = stages;
        _fixedPixels = fixedPixels;
        _started = new double[stages.Count];
        _firstReport = new double[stages.Count];
        _lastReport = new double[stages.Count];
        _recentSteps = [.. stages.Select(_ => new List<double>())];
        _reports = new int[stages.Count];
    }

    /// <summary>An estimate for a run on <paramref name="backbone"/>, starting from the P₀ its last run measured, if any.</summary>
    public static RemainingTimeEstimate For(object backbone, IReadOnlyList<TransferStage> stages) =>
        new(stages, Learned.TryGetValue(backbone, out var box) ? Volatile.Read(ref box.Value) : FixedPixels);

    /// <summary>Leaves the P₀ this run measured with <paramref name="backbone"/>, for its next run (nothing when fewer than two sizes were timed).</summary>
    public void Learn(object backbone)
    {
        if (MeasuredFixedPixels() is not { } measured) return;
        var box = Learned.GetValue(backbone, _ => new StrongBox<double>(FixedPixels));
        Volatile.Write(ref box.Value, measured);
    }

    /// <summary>
    /// P₀ from every stage of this run that timed a step: t = a + b·P fitted by least squares over the stages, P₀ = a / b.
    /// Null with fewer than two sizes.
    /// </summary>
    public double? MeasuredFixedPixels()
    {
        var timed = Enumerable.Range(0, _stages.Count).Where(i => _reports[i] >= 2)
            .Select(i => (P: (double)_stages[i].Pixels, T: StepSeconds(i))).ToArray();
        if (timed.Select(x => x.P).Distinct().Count() < 2) return null;
        double meanP = timed.Average(x => x.P), meanT = timed.Average(x => x.T);
        double b = timed.Sum(x => (x.P - meanP) * (x.T - meanT)) / timed.Sum(x => (x.P - meanP) * (x.P - meanP));
        if (b <= 0) return null;
        double a = meanT - b * meanP;
        return Math.Clamp(a / b, 0, 4 * timed.Max(x => x.P));
    }

    /// <summary>Stage <paramref name="stage"/> begins its set-up at <paramref name="at"/>.</summary>
    public void StageStarted(int stage, TimeSpan at) => _started[stage] = at.TotalSeconds;

    /// <summary>
    /// An iteration of <paramref name="stage"/> was evaluated at <paramref name="at"/> (its step not yet taken). Returns
    /// the time left until the final image, or null until a step of this run has been timed.
    /// </summary>
    public TimeSpan? Reported(int stage, int iteration, TimeSpan at)
    {
        double now = at.TotalSeconds;
        if (_reports[stage] == 0) _firstReport[stage] = now;
        else
        {
            // The pace as it is now: the mean of the last 20 step times less the slowest, from the stage's second step on
            // (its first makes the new size's kernels: on the 2-core CPU the first steps at 512×352 ran 1.3× slower than
            // the rest, and the stage's mean kept the estimate 25–35 % high). The slowest is left out because one step
            // in the web app can take a second (a collection, the first frame's path); a median would be too hopeful,
            // as step times are skewed (a run's median step was ~0.75 of its mean).
            var recent = _recentSteps[stage];
            if (_reports[stage] == 2 && recent.Count == 1) recent.Clear();
            recent.Add(now - _lastReport[stage]);
            if (recent.Count > RecentSteps) recent.RemoveAt(0);
        }
        _reports[stage]++;
        _lastReport[stage] = now;
        // The pace comes from this stage once one of its steps is timed, else from the last stage that had one.
        int reference = stage;
        while (reference >= 0 && _reports[reference] < MinimumReports) reference--;
        if (reference < 0)
        {
            // Nothing has run that long yet (the run's first steps, or stages of a few steps): any timed step will do.
            reference = stage;
            while (reference >= 0 && _reports[reference] < 2) reference--;
        }
        if (reference < 0) return null;

        var measured = _stages[reference];
        double step = StepSeconds(reference);
        double fixedPixels = FittedFixedPixels(reference);
        double rate = step / (measured.Pixels + fixedPixels);
        double setUpSteps = SetUpSteps(reference);

        // This stage's steps left (the step of this iteration included), then every later stage whole, then the final
        // evaluation (about half a step).
        var current = _stages[stage];
        int done = iteration - current.FirstIteration;
        double left = (current.Steps - done) * rate * (current.Pixels + fixedPixels);
        foreach (var later in _stages.Skip(stage + 1))
            left += (later.Steps + setUpSteps) * rate * (later.Pixels + fixedPixels);
        left += rate * (_stages[^1].Pixels + fixedPixels) / 2;
        return TimeSpan.FromSeconds(Math.Max(0, left));
    }

    /// <summary>
    /// A stage's set-up (its targets, and the first pass at a new size, where oneDNN makes its kernels) in steps of its
    /// own size. The first stage's is no guide: it also pays for the process's first pass of all, which took several of
    /// its steps (a 128×96 stage's first report came ~1 s after its start on the 2-core CPU), so it is measured from the
    /// later stages only and taken as <see cref="SetUpStepsPrior"/> until one has run.
    /// </summary>
    double SetUpSteps(int stage)
    {
        if (stage == 0) return SetUpStepsPrior;
        double step = StepSeconds(stage);
        // From the stage's start to its first report, less the half step that is that report's own evaluation.
        return Math.Clamp((_firstReport[stage] - _started[stage]) / step - 0.5, 0, 10);
    }

    /// <summary>A stage's set-up in its own steps before one has been measured: the content's and the style's forward passes and the new kernels.</summary>
    public const double SetUpStepsPrior = 2;

    /// <summary>How many of a stage's latest step times its pace is taken from.</summary>
    const int RecentSteps = 20;

    /// <summary>
    /// A stage's own pace is used from its fourth report on (two step times besides the first, slow one); until then the
    /// previous stage's pace, scaled to this size, is the better guess, if it has one.
    /// </summary>
    const int MinimumReports = 4;

    double StepSeconds(int stage)
    {
        var recent = _recentSteps[stage];
        return recent.Count < 3 ? recent.Average() : (recent.Sum() - recent.Max()) / (recent.Count - 1);
    }

    /// <summary>P₀ fitted to <paramref name="stage"/> and the one before it when both were timed at different sizes, else the prior.</summary>
    double FittedFixedPixels(int stage)
    {
        if (stage == 0 || _reports[stage - 1] < 2) return _fixedPixels;
        double t1 = StepSeconds(stage - 1), t2 = StepSeconds(stage);
        double p1 = _stages[stage - 1].Pixels, p2 = _stages[stage].Pixels;
        // t = r·(P + P₀) at both sizes: P₀ = (t₂·P₁ − t₁·P₂) / (t₁ − t₂), kept within reason.
        if (p1 >= p2 || t1 <= 0 || t2 <= t1) return _fixedPixels;
        return Math.Clamp((t2 * p1 - t1 * p2) / (t1 - t2), 0, 4 * p2);
    }
}

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
/// backbone starts from it (<see cref="For"/>): in the web app, where a backbone serves job after job and what was
/// learned is kept across restarts (<see cref="LearnedBy"/>, <see cref="Recall"/>), only its first job ever relies on
/// a prior: <see cref="FixedPixels"/>, measured on the CLI, or what the host assumed (<see cref="Assume"/>).
/// </para>
/// <para>
/// A step that meets a jitter shift for the first time in its stage also makes that shift's content target (a forward
/// pass of the content): ~60 of a stage's steps, most of them early, each about a third of a full-size step dearer. Given
/// the run's <see cref="JitterPlan"/>, the pace is taken from the steps with each target's share taken out, that share
/// is measured once enough steps of both kinds are, and the targets still to come are counted; mixed together, the early
/// steps' pace promised a full-size stage 25–30 % too long, then too short.
/// </para>
/// </summary>
public sealed class RemainingTimeEstimate
{
    /// <summary>
    /// The prior fixed part of a step in pixels, for a backbone that has not finished a run yet. On two CPU threads the
    /// default ResNet18 run's steps without a content target cost 2.55–2.9 times as much at 512 px as at 256 px over the
    /// runs of 2026-12-04 (P₀ from 35 000 to 19 000 px on the cat's 256×192 and 512×352); 26 000 is the middle of that
    /// spread, so the full-size stage foreseen from the half-size one is off by at most ~6 % either way
    /// (docs/performance.md, "Time to a good picture").
    /// </summary>
    public const double FixedPixels = 26_000;

    /// <summary>
    /// A content target's extra cost as a share of its stage's step, until the stage has timed its own (21 of 57–66 ms at
    /// 512×352). At other sizes it scales like the step, with the same fixed part: its pass is the step's forward half
    /// (7–8 ms at 256×192 against ~20 ms at 512×352, the ratio of the steps themselves).
    /// </summary>
    public const double TargetShare = 0.35;

    static readonly ConditionalWeakTable<object, LearnedFixedPixels> Learned = new();

    readonly IReadOnlyList<TransferStage> _stages;
    readonly double _fixedPixels;
    readonly JitterPlan? _jitter;
    readonly double[] _started, _firstReport, _lastReport;
    readonly double?[] _firstStep;
    readonly List<double>[] _plainSteps, _targetSteps;
    readonly List<(double Seconds, bool Target)>[] _recentSteps;
    readonly int[] _reports;

    /// <param name="jitter">The run's shifts, to tell the steps that make a content target; null: no step is told apart.</param>
    public RemainingTimeEstimate(IReadOnlyList<TransferStage> stages, double fixedPixels = FixedPixels, JitterPlan? jitter = null)
    {
        _stages = stages;
        _fixedPixels = fixedPixels;
        _jitter = jitter;
        _started = new double[stages.Count];
        _firstReport = new double[stages.Count];
        _lastReport = new double[stages.Count];
        _firstStep = new double?[stages.Count];
        _plainSteps = [.. stages.Select(_ => new List<double>())];
        _targetSteps = [.. stages.Select(_ => new List<double>())];
        _recentSteps = [.. stages.Select(_ => new List<(double, bool)>())];
        _reports = new int[stages.Count];
    }

    /// <summary>An estimate for a run on <paramref name="backbone"/>, starting from the P₀ its last run measured, if any.</summary>
    public static RemainingTimeEstimate For(object backbone, IReadOnlyList<TransferStage> stages, JitterPlan? jitter = null) =>
        new(stages, StartingFixedPixels(backbone), jitter);

    /// <summary>The P₀ the next run on <paramref name="backbone"/> starts from: its latest runs' median, else what its host assumed, else <see cref="FixedPixels"/>.</summary>
    internal static double StartingFixedPixels(object backbone) =>
        Learned.TryGetValue(backbone, out var learned) ? learned.Median() : FixedPixels;

    /// <summary>
    /// Starts <paramref name="backbone"/>'s runs from <paramref name="fixedPixels"/> instead of <see cref="FixedPixels"/>
    /// until it has learned its own: the prior of a host whose steps carry more fixed cost than the CLI's.
    /// </summary>
    public static void Assume(object backbone, double fixedPixels)
    {
        if (!double.IsFinite(fixedPixels) || fixedPixels < 0)
            throw new ArgumentOutOfRangeException(nameof(fixedPixels), fixedPixels, "A fixed part in pixels is finite and not negative.");
        Learned.GetOrCreateValue(backbone).Assume(fixedPixels);
    }

    /// <summary>Leaves the P₀ this run measured with <paramref name="backbone"/>, for its next runs (nothing when fewer than two sizes were timed).</summary>
    public void Learn(object backbone)
    {
        if (MeasuredFixedPixels() is { } measured) Learned.GetOrCreateValue(backbone).Add(measured);
    }

    /// <summary>The P₀ of <paramref name="backbone"/>'s latest runs, oldest first (none before its first), for a host to keep across restarts.</summary>
    public static IReadOnlyList<double> LearnedBy(object backbone) =>
        Learned.TryGetValue(backbone, out var learned) ? learned.Latest() : [];

    /// <summary>Starts <paramref name="backbone"/> from P₀ values that an earlier process learned (<see cref="LearnedBy"/>), oldest first.</summary>
    public static void Recall(object backbone, IEnumerable<double> fixedPixels)
    {
        var learned = Learned.GetOrCreateValue(backbone);
        foreach (var value in fixedPixels)
            if (double.IsFinite(value) && value >= 0) learned.Add(value);
    }

    /// <summary>
    /// The P₀ of a backbone's latest runs; the next run starts from their median. One run's alone misled the next: in the
    /// web app a run whose 256 px steps a warming process or a busy browser slowed by half measured P₀ = 125 000, and the
    /// next job's half-size stage then foresaw its full-size stage 12–18 % short (2026-12-05).
    /// </summary>
    sealed class LearnedFixedPixels
    {
        const int Kept = 5;
        readonly Queue<double> _latest = new();
        double _assumed = FixedPixels;

        public void Assume(double fixedPixels)
        {
            lock (_latest) _assumed = fixedPixels;
        }

        public void Add(double fixedPixels)
        {
            lock (_latest)
            {
                if (_latest.Count == Kept) _latest.Dequeue();
                _latest.Enqueue(fixedPixels);
            }
        }

        /// <summary>The median of the latest runs; what was assumed before the first (a Recall of nothing usable included).</summary>
        public double Median()
        {
            lock (_latest) return _latest.Count == 0 ? _assumed : RemainingTimeEstimate.Median(_latest);
        }

        public double[] Latest()
        {
            lock (_latest) return [.. _latest];
        }
    }

    /// <summary>
    /// P₀ from every stage of this run that timed a step: t = a + b·P fitted by least squares over the stages, P₀ = a / b.
    /// Null with fewer than two sizes.
    /// </summary>
    public double? MeasuredFixedPixels()
    {
        var timed = Enumerable.Range(0, _stages.Count).Where(Timed)
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
    /// the time left until the final image, or null until a step of this run besides its first has been timed.
    /// </summary>
    public TimeSpan? Reported(int stage, int iteration, TimeSpan at)
    {
        double now = at.TotalSeconds;
        var current = _stages[stage];
        int done = iteration - current.FirstIteration;
        if (_reports[stage] == 0) _firstReport[stage] = now;
        else if (_reports[stage] == 1)
        {
            // The stage's first step makes the new size's kernels (on the 2-core CPU the first steps at 512×352 ran 1.3×
            // slower than the rest): its pace only until another step is timed.
            _firstStep[stage] = now - _lastReport[stage];
        }
        else
        {
            // Since the last report: the step of the last iteration and this one's evaluation, which made this shift's
            // content target if it is new.
            bool target = _jitter?.MakesContentTarget(stage, done) == true;
            double seconds = now - _lastReport[stage];
            var kind = target ? _targetSteps[stage] : _plainSteps[stage];
            kind.Add(seconds);
            if (kind.Count > StepsOfEachKind) kind.RemoveAt(0);
            var recent = _recentSteps[stage];
            recent.Add((seconds, target));
            if (recent.Count > RecentSteps) recent.RemoveAt(0);
        }
        _reports[stage]++;
        _lastReport[stage] = now;
        // The pace comes from this stage once it has made MinimumReports reports, else from the last stage that has.
        int reference = stage;
        while (reference >= 0 && _reports[reference] < MinimumReports) reference--;
        if (reference < 0)
        {
            // Nothing has run that long yet (the run's first steps, or stages of a few steps): any stage that has timed a
            // step besides its first will do. A first step alone also made the size's kernels: the default run's took
            // 0.05–0.17 s against 0.015–0.035 s later, and the estimate from it promised up to 7× the time left.
            reference = stage;
            while (reference >= 0 && _recentSteps[reference].Count == 0) reference--;
        }
        if (reference < 0) return null;

        var measured = _stages[reference];
        double fixedPixels = FittedFixedPixels(reference);
        double rate = StepSeconds(reference) / (measured.Pixels + fixedPixels);
        double targetRate = TargetShareAt(reference) * rate; // what a content target adds, per pixel like the step
        double setUpSteps = SetUpSteps(reference);
        double Steps(TransferStage s, double count) => count * rate * (s.Pixels + fixedPixels);
        double Targets(TransferStage s, int from) => (_jitter?.ContentTargetsFrom(s.Index, from) ?? 0) * targetRate * (s.Pixels + fixedPixels);

        // This stage's steps left (the step of this iteration included) and the targets its later steps will make, then
        // every later stage whole, then the final evaluation (about half a step).
        double left = Steps(current, current.Steps - done) + Targets(current, done + 1);
        foreach (var later in _stages.Skip(stage + 1))
            left += Steps(later, later.Steps + setUpSteps) + Targets(later, 0);
        left += Steps(_stages[^1], 0.5);
        return TimeSpan.FromSeconds(Math.Max(0, left));
    }

    /// <summary>
    /// What this estimate says over a run recorded elsewhere (each report's iteration and its time on the run's clock, in
    /// order, the final evaluation last): to judge a change to the estimate on the same runs rather than on new draws of
    /// a machine's pace (the bench's <c>eta-replay</c>, and tests from real runs). A stage is taken to start one step
    /// after the last report of the stage before, where the engine starts it.
    /// </summary>
    public TimeSpan?[] Replay(IReadOnlyList<(int Iteration, double Elapsed)> reports)
    {
        int last = _stages[^1].FirstIteration + _stages[^1].Steps;
        var left = new TimeSpan?[reports.Count];
        int stage = -1;
        for (int i = 0; i < reports.Count; i++)
        {
            var (iteration, elapsed) = reports[i];
            int now = _stages.Last(s => s.FirstIteration <= Math.Min(iteration, last - 1)).Index;
            if (now != stage)
            {
                double started = i < 2 ? 0 : 2 * reports[i - 1].Elapsed - reports[i - 2].Elapsed;
                StageStarted(now, TimeSpan.FromSeconds(Math.Min(started, elapsed)));
                stage = now;
            }
            left[i] = iteration == last ? TimeSpan.Zero : Reported(stage, iteration, TimeSpan.FromSeconds(elapsed));
        }
        return left;
    }

    bool Timed(int stage) => _firstStep[stage] is not null;

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

    /// <summary>
    /// How many of a stage's latest steps its pace is taken from, with and without a content target together. Replayed
    /// over 32 recorded runs (<c>styleblazor-bench eta-replay</c>, 2026-12-05), 60 did better than 20, 30 or 40: a burst
    /// of ten or more slow steps (the JIT, a collection, a busy neighbour) is outvoted, and a stage's pace still follows a
    /// machine that stays slower within ~40 steps (the <see cref="PaceQuantile"/> of 60).
    /// </summary>
    const int RecentSteps = 60;

    /// <summary>
    /// How many of a stage's latest steps of each kind measure what a content target adds; until the stage has timed
    /// that many of each, it is taken as <see cref="TargetShare"/> (of 5, 10 and 20, 20 did best in the same replay).
    /// </summary>
    const int StepsOfEachKind = 20;

    /// <summary>
    /// A stage's own pace is used from its eighth report on (six step times besides the first, slow one); until then the
    /// previous stage's pace, scaled to this size, is the better guess, if it has one. From the fourth, the 512 px stage's
    /// second and third steps (still 10–15 % slower than the rest while the new size's memory is first touched) put the
    /// estimate 20–22 % over on the 2-core CPU.
    /// </summary>
    const int MinimumReports = 8;

    /// <summary>
    /// A step's time at <paramref name="stage"/> without a content target: the <see cref="PaceQuantile"/> of its latest
    /// steps, each that made a target counted without its share, which a step that takes a second longer (a collection,
    /// the first frame's path in the web app) does not move. The two kinds are pooled because early in a stage nearly
    /// every step makes a target: the median of the first three or four steps without one, taken alone, fell in a burst
    /// of slow steps and set the pace at 2–3× the rest of the run (an ETA of 40 s with 16 s left in the web app) until a
    /// dozen more had come.
    /// </summary>
    double StepSeconds(int stage)
    {
        var recent = _recentSteps[stage];
        if (recent.Count == 0) return _firstStep[stage]!.Value;
        double share = TargetShareAt(stage);
        return Quantile(recent.Select(s => s.Target ? s.Seconds / (1 + share) : s.Seconds), PaceQuantile);
    }

    /// <summary>
    /// Which of a stage's recent step times is its pace, as a quantile. A neighbour, the JIT or a collection only ever
    /// makes a step slower, and the first ~40 steps of a run are 15–35 % slower than the rest while the process warms, so
    /// the run's later steps look like the faster part of its early ones. Chosen on 32 recorded runs and judged on 60 more
    /// (docs/bench/eta-replay-20261205.txt): over all 92, the runs more than 20 % off from the 10 % mark 25 with the median
    /// of the same 60 steps, 9 with the 30th percentile, the mean error 5.3 and 5.1 %. Where small steps spread widely
    /// (7–10 ms at 128 px) it runs ~10 % short through a stage.
    /// </summary>
    const double PaceQuantile = 0.3;

    /// <summary>
    /// A content target's extra cost as a share of a plain step at <paramref name="stage"/>: measured once the stage has
    /// timed <see cref="StepsOfEachKind"/> steps of each kind, else <see cref="TargetShare"/>.
    /// </summary>
    double TargetShareAt(int stage)
    {
        var (plain, targets) = (_plainSteps[stage], _targetSteps[stage]);
        return plain.Count >= StepsOfEachKind && targets.Count >= StepsOfEachKind
            ? Math.Clamp(Median(targets) / Median(plain) - 1, 0, 2)
            : TargetShare;
    }

    /// <summary>The value <paramref name="q"/> of the way up the sorted <paramref name="values"/> (nearest rank below).</summary>
    static double Quantile(IEnumerable<double> values, double q)
    {
        var sorted = values.Order().ToArray();
        return sorted[(int)(q * (sorted.Length - 1))];
    }

    static double Median(IEnumerable<double> values)
    {
        var sorted = values.Order().ToArray();
        int middle = sorted.Length / 2;
        return sorted.Length % 2 == 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
    }

    /// <summary>P₀ fitted to <paramref name="stage"/> and the one before it when both were timed at different sizes, else the prior.</summary>
    double FittedFixedPixels(int stage)
    {
        if (stage == 0 || !Timed(stage - 1)) return _fixedPixels;
        double t1 = StepSeconds(stage - 1), t2 = StepSeconds(stage);
        double p1 = _stages[stage - 1].Pixels, p2 = _stages[stage].Pixels;
        // t = r·(P + P₀) at both sizes: P₀ = (t₂·P₁ − t₁·P₂) / (t₁ − t₂), kept within reason.
        if (p1 >= p2 || t1 <= 0 || t2 <= t1) return _fixedPixels;
        return Math.Clamp((t2 * p1 - t1 * p2) / (t1 - t2), 0, 4 * p2);
    }
}

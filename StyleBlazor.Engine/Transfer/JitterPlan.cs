namespace StyleBlazor.Engine.Transfer;

/// <summary>
/// The jitter shifts of a run, drawn from its seed when it starts: the same sequence as drawing (dy, dx) step after
/// step. Known ahead, they also say which steps meet a shift for the first time in their stage. Those steps pay for
/// the shift's content target, a forward pass of the shifted content (<see cref="TransferObjective"/>): about a third of
/// a full-size step on the 2-core CPU, on ~60 of a stage's steps, so the time left has to count them, less those an
/// earlier run on the same content left made (<see cref="ContentTargetCache"/>).
/// </summary>
public sealed class JitterPlan
{
    readonly (int Dy, int Dx)[][] _shifts;
    /// <summary>Per stage, the content targets made from each step on (one more entry, 0, past the last step).</summary>
    readonly int[][] _targetsFrom;
    /// <summary>Per stage, the targets made before the run that it uses.</summary>
    readonly int[] _reused;

    JitterPlan((int Dy, int Dx)[][] shifts, IReadOnlyList<IReadOnlySet<(int Dy, int Dx)>>? made)
    {
        _shifts = shifts;
        _reused = shifts.Select((stage, s) => made is null ? 0
            : stage.Where(shift => shift != (0, 0)).Distinct().Count(made[s].Contains)).ToArray();
        _targetsFrom = shifts.Select((stage, s) =>
        {
            // The unshifted target is made with the objective; each stage has its own objective, so its own targets.
            var seen = new HashSet<(int, int)> { (0, 0) };
            if (made is not null) seen.UnionWith(made[s]);
            var isNew = stage.Select(seen.Add).ToArray();
            var from = new int[stage.Length + 1];
            for (int i = stage.Length - 1; i >= 0; i--) from[i] = from[i + 1] + (isNew[i] ? 1 : 0);
            return from;
        }).ToArray();
    }

    /// <summary>
    /// The shifts of every step of <paramref name="stages"/>, 0–<paramref name="jitterPixels"/> each way; per stage,
    /// <paramref name="made"/> has the shifts whose content targets are already made.
    /// </summary>
    public static JitterPlan Draw(IReadOnlyList<TransferStage> stages, int jitterPixels, int seed, IReadOnlyList<IReadOnlySet<(int Dy, int Dx)>>? made = null)
    {
        if (made is not null && made.Count != stages.Count)
            throw new ArgumentException($"{stages.Count} stages need {stages.Count} sets of made targets (got {made.Count}).", nameof(made));
        var random = new Random(seed);
        return new JitterPlan(stages.Select(stage => Enumerable.Range(0, stage.Steps).Select(_ => jitterPixels > 0
            ? (random.Next(jitterPixels + 1), random.Next(jitterPixels + 1)) // dy, then dx
            : (0, 0)).ToArray()).ToArray(), made);
    }

    public (int Dy, int Dx) Shift(int stage, int step) => _shifts[stage][step];

    /// <summary>The content targets of <paramref name="stage"/> that were made before the run and that it will use.</summary>
    public int ContentTargetsReused(int stage) => _reused[stage];

    /// <summary>Whether <paramref name="step"/> of <paramref name="stage"/> is the first to use its shift in that stage.</summary>
    public bool MakesContentTarget(int stage, int step) => _targetsFrom[stage][step] > _targetsFrom[stage][step + 1];

    /// <summary>The content targets still to make in <paramref name="stage"/> from <paramref name="step"/> on (that step included).</summary>
    public int ContentTargetsFrom(int stage, int step)
    {
        var from = _targetsFrom[stage];
        return from[Math.Clamp(step, 0, from.Length - 1)];
    }
}

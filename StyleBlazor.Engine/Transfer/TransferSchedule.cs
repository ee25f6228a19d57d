using Size = SixLabors.ImageSharp.Size;

namespace StyleBlazor.Engine.Transfer;

/// <summary>
/// One size a run optimises at: <paramref name="Index"/> of <paramref name="Count"/> stages (the last is the final
/// size), its working size, its steps, and the run's iteration number of its first step.
/// </summary>
public sealed record TransferStage(int Index, int Count, int Width, int Height, int Steps, int FirstIteration)
{
    public long Pixels => (long)Width * Height;
}

/// <summary>The stages of a run: the coarse stages of <see cref="StyleTransferOptions.CoarseStages"/>, then the final size.</summary>
public static class TransferSchedule
{
    public static IReadOnlyList<TransferStage> For(Size finalSize, int multiple, StyleTransferOptions options)
    {
        var plan = new List<(Size Size, int Steps)>();
        if (options.CoarseIterations > 0)
        {
            int longest = Math.Max(finalSize.Width, finalSize.Height);
            var steps = Split(options.CoarseIterations, options.CoarseStages.Select(s => s.Share).ToArray());
            for (int i = 0; i < steps.Length; i++)
            {
                if (steps[i] == 0) continue;
                int side = (int)Math.Round(longest * options.CoarseStages[i].Scale);
                plan.Add((ImageTensors.WorkingSize(finalSize.Width, finalSize.Height, side, multiple), steps[i]));
            }
        }
        plan.Add((finalSize, options.Iterations - options.CoarseIterations));
        int first = 0;
        return plan.Select((p, i) =>
        {
            var stage = new TransferStage(i, plan.Count, p.Size.Width, p.Size.Height, p.Steps, first);
            first += p.Steps;
            return stage;
        }).ToArray();
    }

    /// <summary><paramref name="total"/> split in proportion to <paramref name="shares"/>, rounded so the parts sum to it (largest remainders).</summary>
    static int[] Split(int total, double[] shares)
    {
        double sum = shares.Sum();
        var exact = shares.Select(s => total * s / sum).ToArray();
        var parts = exact.Select(e => (int)Math.Floor(e)).ToArray();
        foreach (var i in Enumerable.Range(0, parts.Length).OrderByDescending(i => exact[i] - parts[i]).Take(total - parts.Sum()))
            parts[i]++;
        return parts;
    }
}

using StyleBlazor.Engine.Transfer;
using Size = SixLabors.ImageSharp.Size;

namespace StyleBlazor.Tests.Engine.Transfer;

public class JitterPlanTests
{
    static readonly IReadOnlyList<TransferStage> Stages =
        TransferSchedule.For(new Size(512, 352), 32, new StyleTransferOptions { Iterations = 350, CoarseIterations = 200 });

    [Fact]
    public void TheShiftsAreTheSeedsSequenceDrawnStepAfterStep()
    {
        var plan = JitterPlan.Draw(Stages, 7, seed: 3);

        // What the loop drew before the plan: dy then dx at every step, one Random for the whole run.
        var random = new Random(3);
        foreach (var stage in Stages)
            for (int step = 0; step < stage.Steps; step++)
                Assert.Equal((random.Next(8), random.Next(8)), plan.Shift(stage.Index, step));
    }

    [Fact]
    public void AStepMakesAContentTargetOnlyForAShiftNewToItsStage()
    {
        var plan = JitterPlan.Draw(Stages, 7, seed: 0);

        foreach (var stage in Stages)
        {
            var shifts = Enumerable.Range(0, stage.Steps).Select(k => plan.Shift(stage.Index, k)).ToArray();
            for (int k = 0; k < stage.Steps; k++)
            {
                bool seenBefore = shifts[..k].Contains(shifts[k]) || shifts[k] == (0, 0); // (0, 0) comes with the objective
                Assert.Equal(!seenBefore, plan.MakesContentTarget(stage.Index, k));
            }
            int distinct = shifts.Where(s => s != (0, 0)).Distinct().Count();
            Assert.Equal(distinct, plan.ContentTargetsFrom(stage.Index, 0));
            Assert.InRange(distinct, 50, 63); // 64 shifts, ~60 of them met in 150–200 draws
            Assert.Equal(Enumerable.Range(100, stage.Steps - 100).Count(k => plan.MakesContentTarget(stage.Index, k)), plan.ContentTargetsFrom(stage.Index, 100));
        }
        // Each stage has its own targets: the full-size stage makes one for a shift the half-size stage already met.
        var halfSize = Enumerable.Range(0, Stages[0].Steps).Select(k => plan.Shift(0, k)).ToHashSet();
        int firstFull = Enumerable.Range(0, Stages[1].Steps).First(k => plan.Shift(1, k) != (0, 0));
        Assert.Contains(plan.Shift(1, firstFull), halfSize);
        Assert.True(plan.MakesContentTarget(1, firstFull));
    }

    [Fact]
    public void WithoutJitterEveryStepIsUnshiftedAndMakesNoTarget()
    {
        var plan = JitterPlan.Draw(Stages, 0, seed: 0);

        Assert.All(Stages, stage =>
        {
            Assert.All(Enumerable.Range(0, stage.Steps), k => Assert.Equal((0, 0), plan.Shift(stage.Index, k)));
            Assert.Equal(0, plan.ContentTargetsFrom(stage.Index, 0));
        });
    }

    [Fact]
    public void TargetsMadeBeforeTheRunAreNeitherMadeAgainNorCountedAsToMake()
    {
        var fresh = JitterPlan.Draw(Stages, 7, seed: 4);
        var halfSize = Enumerable.Range(0, Stages[0].Steps).Select(k => fresh.Shift(0, k)).ToArray();
        // An earlier run on the same content left the first ten shifts of this run's half-size stage, and (1, 1),
        // which this run may or may not meet; nothing at full size.
        var made = halfSize.Where(s => s != (0, 0)).Distinct().Take(10).Append((1, 1)).ToHashSet();

        var plan = JitterPlan.Draw(Stages, 7, seed: 4, [made, new HashSet<(int, int)>()]);

        int distinct = halfSize.Where(s => s != (0, 0)).Distinct().Count();
        int reused = made.Count(halfSize.Contains);
        Assert.InRange(reused, 10, 11);
        Assert.Equal(reused, plan.ContentTargetsReused(0));
        Assert.Equal(distinct - reused, plan.ContentTargetsFrom(0, 0));
        for (int k = 0; k < Stages[0].Steps; k++)
        {
            Assert.Equal(fresh.Shift(0, k), plan.Shift(0, k)); // the same draw
            if (made.Contains(plan.Shift(0, k))) Assert.False(plan.MakesContentTarget(0, k));
        }
        Assert.Equal(0, plan.ContentTargetsReused(1));
        Assert.Equal(fresh.ContentTargetsFrom(1, 0), plan.ContentTargetsFrom(1, 0));
        Assert.Throws<ArgumentException>(() => JitterPlan.Draw(Stages, 7, seed: 4, [made]));
    }
}

using StyleBlazor.Engine.Transfer;
using TorchSharp;
using static StyleBlazor.Tests.Engine.Transfer.TestImages;

namespace StyleBlazor.Tests.Engine.Transfer;

/// <summary>The transfer loop with <see cref="TransferOptimizer.Lbfgs"/>: what Adam's loop promises holds for it too.</summary>
public class LbfgsRunTests
{
    static readonly StyleTransferOptions TinyOptions = new()
    {
        Iterations = 30,
        MaxSide = 32,
        ContentLayer = "conv3",
        StyleLayers = [new("conv1", 0.5), new("conv2", 0.5)],
        Optimizer = TransferOptimizer.Lbfgs,
    };

    [Fact]
    public void ThirtyIterationsLowerJAndEachIterationIsReportedOnce()
    {
        using var backbone = new TinyConvBackbone();
        using var content = Gradient(40, 30, 1);
        using var style = Gradient(30, 30, 2);
        var progress = new List<TransferProgress>();

        var result = StyleTransfer.Run(backbone, content, [style], TinyOptions, progress.Add);

        Assert.Equal(Enumerable.Range(0, 31), progress.Select(p => p.Iteration));
        Assert.True(result.BestLoss.Total < progress[0].Loss.Total * 0.5, $"best {result.BestLoss.Total} vs initial {progress[0].Loss.Total}");
        // The best is the lowest J reported, and its frame is the picture returned.
        var lowest = progress.MinBy(p => p.Loss.Total)!;
        Assert.Equal((lowest.Iteration, lowest.Loss.Total), (result.BestIteration, result.BestLoss.Total));
        Assert.Equal(lowest.Frame!.Pixels, result.BestImage.Pixels);
    }

    [Fact]
    public void LbfgsGoesFurtherThanAdamInAsManyEvaluationsOnTheTinyNetwork()
    {
        using var backbone = new TinyConvBackbone();
        using var content = Gradient(40, 30, 1);
        using var style = Gradient(30, 30, 2);

        var lbfgs = StyleTransfer.Run(backbone, content, [style], TinyOptions);
        var adam = StyleTransfer.Run(backbone, content, [style], TinyOptions with { Optimizer = TransferOptimizer.Adam, LearningRate = 10 });

        Assert.True(lbfgs.BestLoss.Total < adam.BestLoss.Total, $"L-BFGS {lbfgs.BestLoss.Total} vs Adam {adam.BestLoss.Total}");
    }

    [Fact]
    public void CoarseToFineStagesEachStartTheirOwnHistoryAndFramesComeAtTheFinalSize()
    {
        using var backbone = new RecordingBackbone(new TinyConvBackbone());
        using var content = Gradient(40, 30, 1);
        using var style = Gradient(30, 30, 2);
        var progress = new List<TransferProgress>();

        var result = StyleTransfer.Run(backbone, content, [style], TinyOptions with { Iterations = 12, CoarseIterations = 6 }, progress.Add);

        Assert.Equal(Enumerable.Range(0, 13), progress.Select(p => p.Iteration));
        Assert.All(progress.Where(p => p.Frame is not null), p => Assert.Equal((32, 24), (p.Frame!.Width, p.Frame.Height)));
        Assert.Equal([(16L, 12L), (32L, 24L)], backbone.Inputs.Select(i => (i.Shape[3], i.Shape[2])).Distinct());
        // The fine stage's best (its losses are not comparable with the coarse stage's).
        var fine = progress.Where(p => p.Iteration >= 6).MinBy(p => p.Loss.Total)!;
        Assert.Equal(fine.Iteration, result.BestIteration);
        Assert.Equal(fine.Frame!.Pixels, result.BestImage.Pixels);
    }

    [Fact]
    public void CancellingFromTheThirdIterationsProgressStopsBeforeTheNextIterationAndLeavesNoTensorAlive()
    {
        using var backbone = new TinyConvBackbone();
        using var content = Gradient(40, 30, 1);
        using var style = Gradient(30, 30, 2);
        using var cancellation = new CancellationTokenSource();
        var seen = new List<int>();
        var statistics = DisposeScopeManager.Statistics;

        long before = statistics.ThreadTotalLiveCount;
        Assert.ThrowsAny<OperationCanceledException>(() => StyleTransfer.Run(backbone, content, [style], TinyOptions, p =>
            {
                seen.Add(p.Iteration);
                if (p.Iteration == 3) cancellation.Cancel();
            },
            cancellationToken: cancellation.Token));
        long after = statistics.ThreadTotalLiveCount;

        Assert.Equal([0, 1, 2, 3], seen);
        Assert.Equal(before + 4 * HandedToLibtorchPerStep, after);
    }

    /// <summary>
    /// What the live count rises by per L-BFGS step: TorchSharp hands the closure's J to libtorch with
    /// <c>DecoupleFromNativeHandle</c>, which takes it out of the statistics' reach for good; ImageLbfgs then frees that
    /// handle natively (without that, libtorch kept ~500 bytes a step). Anything else left alive shows above this.
    /// </summary>
    const long HandedToLibtorchPerStep = 1;

    /// <summary>As <see cref="StyleTransferMemoryTests"/> for Adam: libtorch's optimiser, its history and the closure's tensors are all freed.</summary>
    [Fact]
    public void LiveTensorCountStaysFlatAcrossFiftyIterationsAndReturnsToTheStartAfterTheRun()
    {
        using var backbone = new TinyConvBackbone();
        using var content = Gradient(20, 16, 1);
        using var style = Gradient(16, 16, 2);
        var statistics = DisposeScopeManager.Statistics;
        var liveAtProgress = new List<long>();

        long before = statistics.ThreadTotalLiveCount;
        StyleTransfer.Run(backbone, content, [style], TinyOptions with { Iterations = 50, MaxSide = 16 },
            _ => liveAtProgress.Add(statistics.ThreadTotalLiveCount));
        long after = statistics.ThreadTotalLiveCount;

        // Iterations 0..49 each report after their step; iteration 50 is the final evaluation, without a step.
        Assert.Equal(51, liveAtProgress.Count);
        Assert.All(liveAtProgress.Take(50).Zip(liveAtProgress.Skip(1).Take(49)), p => Assert.Equal(HandedToLibtorchPerStep, p.Second - p.First));
        Assert.Equal(before + 50 * HandedToLibtorchPerStep, after);
    }
}

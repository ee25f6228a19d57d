using StyleBlazor.Engine.Transfer;
using TorchSharp;
using Xunit.Abstractions;
using static StyleBlazor.Tests.Engine.Transfer.TestImages;

namespace StyleBlazor.Tests.Engine.Transfer;

public class StyleTransferMemoryTests(ITestOutputHelper output)
{
    /// <summary>
    /// TorchSharp 0.107's <c>DisposeScopeManager.Statistics.ThreadTotalLiveCount</c> is exact for this thread: every
    /// tensor created on it (inside a dispose scope or not) counts +1 and every dispose of one counts −1 (checked by
    /// hand: a tensor made outside any scope raises it, disposing it lowers it). A tensor the run forgets to dispose,
    /// left to the GC's finalizer, stays counted, so the count is a native-leak detector. Run is synchronous, so all of
    /// its torch work happens on this test's thread.
    /// </summary>
    [Fact]
    public void LiveTensorCountStaysFlatAcrossFiftyIterationsAndReturnsToTheStartAfterTheRun()
    {
        using var backbone = new TinyConvBackbone();
        using var content = Gradient(20, 16, 1);
        using var style = Gradient(16, 16, 2);
        var options = new StyleTransferOptions
        {
            Iterations = 50,
            MaxSide = 16,
            ContentLayer = "conv3",
            StyleLayers = [new("conv1", 0.5), new("conv2", 0.5)],
            LearningRate = 10,
        };
        var statistics = DisposeScopeManager.Statistics;
        var liveAtProgress = new List<long>();

        long before = statistics.ThreadTotalLiveCount;
        StyleTransfer.Run(backbone, content, [style], options, _ => liveAtProgress.Add(statistics.ThreadTotalLiveCount));
        long after = statistics.ThreadTotalLiveCount;

        output.WriteLine($"before {before}, during {string.Join(",", liveAtProgress.Distinct())}, after {after}");
        // Iterations 0..49 report from inside the step's dispose scope at the same point, so the count must be the same
        // every time; iteration 50 is the final evaluation, from a scope of its own.
        Assert.Equal(51, liveAtProgress.Count);
        Assert.Single(liveAtProgress.Take(50).Distinct());
        Assert.Equal(before, after);
    }
}

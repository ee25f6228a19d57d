using StyleBlazor.Engine.Transfer;
using StyleBlazor.Tests.Support;
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

    /// <summary>
    /// What the app reports as "live tensors" (<c>/api/diagnostics</c>, the load tool) is TorchSharp's process-wide
    /// <see cref="torch.Tensor.TotalCount"/>, not the thread's statistics above. TorchSharp 0.107 makes a
    /// <c>Parameter</c> by moving the handle out of another tensor and never counts that emptied tensor off, so a run
    /// that made its image a Parameter at each stage raised the count by two a default job for good: 61 → 107 over 25
    /// jobs of the app, with nothing leaked, which is how a leak would have looked. Only an L-BFGS stage's image is a
    /// Parameter now (libtorch's optimiser must own it). The count is process-wide, so this runs alone, and the GC's
    /// finalizers run before each reading.
    /// </summary>
    [Collection(MeasuredAlone.Name)]
    public class ProcessWideCount
    {
        [Fact]
        public void RunsWithAdamLeaveTheAppsLiveTensorCountWhereTheyFoundIt()
        {
            using var backbone = new TinyConvBackbone();
            using var content = Gradient(40, 30, 1);
            using var style = Gradient(30, 30, 2);
            // Two stages, jitter and the averaged last iterates, as the ResNet18 recipe runs.
            var options = new StyleTransferOptions
            {
                Iterations = 12,
                CoarseIterations = 4,
                MaxSide = 32,
                ContentLayer = "conv3",
                StyleLayers = [new("conv1", 0.5), new("conv2", 0.5)],
                JitterPixels = 3,
                AveragedIterates = 3,
            };

            var counts = new List<long>();
            for (int run = 0; run < 4; run++)
            {
                StyleTransfer.Run(backbone, content, [style], options, _ => { });
                GC.Collect();
                GC.WaitForPendingFinalizers();
                counts.Add(torch.Tensor.TotalCount);
            }

            // The first run may leave what is made once per process; each run after it leaves nothing.
            Assert.True(counts.Skip(1).Distinct().Count() == 1, $"live tensors after each run: {string.Join(", ", counts)}");
        }
    }
}

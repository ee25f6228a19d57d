using StyleBlazor.Engine.Transfer;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace StyleBlazor.Tests.Engine.Transfer;

public class BestImageTrackerTests(ITestOutputHelper output)
{
    /// <summary>An image whose every pixel is <paramref name="tag"/>, so the kept image says which observation it was.</summary>
    static Tensor Tagged(int tag) => full([1, 3, 2, 2], (float)tag, ScalarType.Float32);

    static float Tag(Tensor image) => image.mean().item<float>();

    [Fact]
    public void KeepsTheImageWithTheLowestLoss()
    {
        using var scope = NewDisposeScope();
        using var tracker = new BestImageTracker(Tagged(-1));
        float[] losses = [5, 3, 4, 3, 1, 2];
        var improved = losses.Select((loss, i) => tracker.Observe(tensor(loss), Tagged(i)).item<bool>()).ToArray();

        Assert.Equal(new[] { true, true, false, false, true, false }, improved); // a tie (3 after 3) is not an improvement
        Assert.Equal(1f, tracker.BestLoss.item<float>());
        Assert.Equal(4f, Tag(tracker.BestImage));
    }

    [Fact]
    public void DeviceSideTrackingAgreesWithASimpleHostSideVersionOverARandomLossSequence()
    {
        var rng = new Random(42);
        // A drifting, noisy sequence with repeated values, so improvements, regressions and ties all occur.
        var losses = Enumerable.Range(0, 200).Select(i => (float)Math.Round(100 - i * 0.3 + rng.Next(-15, 16), 0)).ToArray();

        float hostBest = float.PositiveInfinity;
        int hostBestIndex = -1;
        var hostImproved = new bool[losses.Length];
        for (int i = 0; i < losses.Length; i++)
            if (losses[i] < hostBest)
                (hostBest, hostBestIndex, hostImproved[i]) = (losses[i], i, true);

        var deviceImproved = new bool[losses.Length];
        using var tracker = new BestImageTracker(Tagged(-1));
        for (int i = 0; i < losses.Length; i++)
        {
            using var scope = NewDisposeScope();
            deviceImproved[i] = tracker.Observe(tensor(losses[i]), Tagged(i)).item<bool>();
        }

        Assert.Equal(hostImproved, deviceImproved);
        Assert.InRange(hostImproved.Count(x => x), 5, 100);
        Assert.Equal(hostBest, tracker.BestLoss.item<float>());
        using var bestTag = tracker.BestImage.mean();
        Assert.Equal(hostBestIndex, bestTag.item<float>());
    }

    [Fact]
    public void InARunAFrameArrivesExactlyOnTheIterationsWhoseLossIsANewMinimum()
    {
        using var backbone = new TinyConvBackbone();
        using var content = TestImages.Gradient(20, 16, 1);
        using var style = TestImages.Gradient(16, 16, 2);
        var options = new StyleTransferOptions
        {
            Iterations = 15,
            MaxSide = 16,
            ContentLayer = "conv3",
            StyleLayers = [new("conv1", 0.5), new("conv2", 0.5)],
            LearningRate = 60, // large enough that the loss goes up as well as down
        };
        var progress = new List<TransferProgress>();

        var result = StyleTransfer.Run(backbone, content, [style], options, progress.Add);

        double runningMin = double.PositiveInfinity;
        foreach (var p in progress)
        {
            double bestBefore = runningMin;
            bool newMinimum = p.Loss.Total < bestBefore;
            runningMin = Math.Min(runningMin, p.Loss.Total);
            Assert.True(newMinimum == p.Improved, $"iteration {p.Iteration}: loss {p.Loss.Total}, best before {bestBefore}, Improved {p.Improved}");
            Assert.Equal(newMinimum, p.Frame is not null);
        }
        output.WriteLine(string.Join(" ", progress.Select(p => $"{p.Iteration}:{p.Loss.Total:G4}{(p.Improved ? "*" : "")}")));
        Assert.Contains(progress, p => !p.Improved);
        Assert.True(progress.Count(p => p.Improved) >= 2);

        var best = progress.MinBy(p => p.Loss.Total)!;
        Assert.Equal(best.Iteration, result.BestIteration);
        Assert.Equal(best.Loss.Total, result.BestLoss.Total);
        Assert.Equal(best.Frame!.Pixels, result.BestImage.Pixels);
    }
}

using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;
using StyleBlazor.Engine;
using StyleBlazor.Engine.Backbones;
using StyleBlazor.Engine.Losses;
using StyleBlazor.Engine.Transfer;
using static TorchSharp.torch;

namespace StyleBlazor.Tests.Engine.Transfer;

/// <summary>Tests that flip the process-wide <see cref="TorchRuntime.ChannelsLast"/> switch run alone.</summary>
[CollectionDefinition(nameof(TorchRuntimeSwitches), DisableParallelization = true)]
public sealed class TorchRuntimeSwitches;

/// <summary>
/// The loop changes of issue 8 (no host read per iteration when nobody reports, best image kept on the device,
/// channels-last layout) leave a run's outcome unchanged.
/// </summary>
[Collection(nameof(TorchRuntimeSwitches))]
public class GpuReadyLoopTests
{
    static readonly StyleTransferOptions Options = new()
    {
        Iterations = 25,
        MaxSide = 32,
        ContentLayer = "conv3",
        StyleLayers = [new("conv1", 0.5), new("conv2", 0.5)],
        // Large steps with little momentum, so the loss turns up before the end and the best is not simply the last.
        LearningRate = 60,
        Beta1 = 0.5,
    };

    static Image<Rgb24> Picture(int w, int h, int seed)
    {
        var rng = new Random(seed);
        var img = new Image<Rgb24>(w, h);
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++)
                img[x, y] = new Rgb24((byte)(x * 255 / w), (byte)rng.Next(256), (byte)(y * 255 / h));
        return img;
    }

    static TransferResult Run(IBackbone backbone, StyleTransferOptions options, Action<TransferProgress>? onProgress, Func<int, bool>? wantsFrame = null)
    {
        using var content = Picture(40, 30, 1);
        using var style = Picture(30, 30, 2);
        return StyleTransfer.Run(backbone, content, [style], options, onProgress, wantsFrame);
    }

    [Fact]
    public void DeviceSideBestTrackingReturnsWhatTheSimpleHostVersionWould()
    {
        using var backbone = new TinyConvBackbone();
        var progress = new List<TransferProgress>();
        var result = Run(backbone, Options, progress.Add);

        // The simple version: read every loss back, keep the frame of the first strict minimum.
        TransferProgress? simple = null;
        foreach (var p in progress)
            if (simple is null || p.Loss.Total < simple.Loss.Total) simple = p;

        Assert.True(progress.Count(p => p.Improved) < progress.Count, "the test needs iterations that do not improve");
        Assert.Equal(simple!.Iteration, result.BestIteration);
        Assert.Equal(simple.Loss.Total, result.BestLoss.Total);
        Assert.True(simple.Improved);
        Assert.Equal(simple.Frame!.Pixels, result.BestImage.Pixels);
        Assert.Equal(progress.Where(p => p.Improved).Select(p => p.Iteration),
            progress.Where((p, i) => progress.Take(i).All(q => p.Loss.Total < q.Loss.Total)).Select(p => p.Iteration));
    }

    [Theory]
    [InlineData(0, 0)]
    [InlineData(10, 0)] // coarse-to-fine: the best of the second stage
    [InlineData(5, 4)] // jittered, the last iterates averaged on the device (two: a tenth of the 20 full-size steps)
    public void WithoutAProgressCallbackNothingIsReadPerIterationAndTheResultIsTheSame(int coarseIterations, int averagedIterates)
    {
        using var backbone = new TinyConvBackbone();
        var options = Options with
        {
            CoarseIterations = coarseIterations,
            JitterPixels = averagedIterates > 0 ? 3 : 0,
            AveragedIterates = averagedIterates,
        };
        var reported = Run(backbone, options, _ => { }, wantsFrame: _ => false);
        var silent = Run(backbone, options, onProgress: null);

        Assert.Equal(reported.BestIteration, silent.BestIteration);
        Assert.Equal(reported.IterationsRun, silent.IterationsRun);
        Assert.Equal(reported.BestLoss.Total, silent.BestLoss.Total);
        Assert.Equal(reported.BestLoss.Content, silent.BestLoss.Content);
        Assert.Equal(reported.BestLoss.Style, silent.BestLoss.Style);
        Assert.Equal(reported.BestLoss.TotalVariation, silent.BestLoss.TotalVariation);
        Assert.Equal(reported.BestLoss.StyleLayers, silent.BestLoss.StyleLayers);
        Assert.Equal(reported.BestImage.Pixels, silent.BestImage.Pixels);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(10)] // coarse-to-fine: each stage flushes what waits before its best is used
    public void LossValuesReadInBatchesReachTheCallbackAsTheyWouldOneByOne(int coarseIterations)
    {
        using var backbone = new LayoutRecorder(new TinyConvBackbone());
        var options = Options with { CoarseIterations = coarseIterations };
        using var content = Picture(40, 30, 1);
        using var style = Picture(30, 30, 2);
        // Frames wanted every 7th iteration: a wanted frame flushes the queue so the frame is the image now on the device.
        bool Wanted(int iteration) => iteration % 7 == 3;
        var oneByOne = new List<TransferProgress>();
        var single = StyleTransfer.Run(backbone, content, [style], options, oneByOne.Add, Wanted, progressBatch: 1, default);
        var batched = new List<(TransferProgress Progress, int ForwardsSoFar)>();
        var inBatches = StyleTransfer.Run(backbone, content, [style], options, p => batched.Add((p, backbone.InputsWereChannelsLast.Count)),
            Wanted, progressBatch: 5, default);

        Assert.Equal(oneByOne.Count, batched.Count);
        for (int i = 0; i < oneByOne.Count; i++)
        {
            var (a, b) = (oneByOne[i], batched[i].Progress);
            Assert.Equal((a.Iteration, a.Improved, a.Loss.Total, a.Loss.Content, a.Loss.Style), (b.Iteration, b.Improved, b.Loss.Total, b.Loss.Content, b.Loss.Style));
            Assert.Equal(a.Frame?.Pixels, b.Frame?.Pixels);
        }
        Assert.Contains(batched, p => p.Progress.Frame is not null);
        Assert.Equal((single.BestIteration, single.BestLoss.Total), (inBatches.BestIteration, inBatches.BestLoss.Total));
        Assert.Equal(single.BestImage.Pixels, inBatches.BestImage.Pixels);
        // Reported in batches: iteration 0 reached the callback only after later iterations had run.
        int forwardsAtFirstReport = batched[0].ForwardsSoFar;
        Assert.True(batched.Count(p => p.ForwardsSoFar == forwardsAtFirstReport) > 1, "several iterations per read");
    }

    [Fact]
    public void ChannelsLastFeedsTheBackboneNhwcAndGivesTheSameRun()
    {
        using var tiny = new TinyConvBackbone();
        // The rolled image and the average of the last iterates must stay channels-last too. A jittered run returns its
        // last iterates, so use calm steps: with the large steps above, rounding differences between the layouts grow
        // along the trajectory.
        var options = Options with { JitterPixels = 3, AveragedIterates = 4, LearningRate = 5, Beta1 = 0.9 };
        var plain = Run(tiny, options, null);
        var recorder = new LayoutRecorder(tiny);
        TransferResult nhwc;
        TorchRuntime.ChannelsLast = true;
        try { nhwc = Run(recorder, options, null); }
        finally { TorchRuntime.ChannelsLast = false; }

        Assert.NotEmpty(recorder.InputsWereChannelsLast);
        Assert.All(recorder.InputsWereChannelsLast, Assert.True);
        Assert.Equal(plain.BestIteration, nhwc.BestIteration);
        Assert.Equal(plain.BestLoss.Total, nhwc.BestLoss.Total, tolerance: 1e-4 * Math.Abs(plain.BestLoss.Total));
        int differing = plain.BestImage.Pixels.Zip(nhwc.BestImage.Pixels).Count(p => Math.Abs(p.First - p.Second) > 1);
        Assert.True(differing == 0, $"{differing} channel values differ by more than 1");
    }

    [Fact]
    public void GramMatrixOfAChannelsLastMapEqualsThePlainOneAndSoDoItsGradients()
    {
        using var scope = NewDisposeScope();
        var plain = randn(1, 8, 5, 7, generator: new Generator(3)).requires_grad_(true);
        var nhwc = ImageTensors.ToChannelsLast(plain.detach()).requires_grad_(true);
        Assert.True(ImageTensors.IsChannelsLast(nhwc));
        Assert.False(ImageTensors.IsChannelsLast(plain));

        foreach (var norm in new[] { LossNormalization.Code, LossNormalization.Paper })
        {
            var g1 = GramMatrix.Compute(plain, norm);
            var g2 = GramMatrix.Compute(nhwc, norm);
            Assert.True(g1.allclose(g2, rtol: 1e-5, atol: 1e-5), $"{norm}: Gram matrices differ");
            var target = randn(8, 8, generator: new Generator(4));
            var d1 = autograd.grad([StyleLoss.Compute(target, plain, norm)], [plain])[0];
            var d2 = autograd.grad([StyleLoss.Compute(target, nhwc, norm)], [nhwc])[0];
            Assert.True(d1.allclose(d2, rtol: 1e-4, atol: 1e-6), $"{norm}: gradients differ");
        }
    }

    [Fact]
    public void ToChannelsLastKeepsTheValues()
    {
        using var scope = NewDisposeScope();
        var x = arange(2 * 3 * 4 * 5, dtype: ScalarType.Float32).reshape(2, 3, 4, 5);
        var y = ImageTensors.ToChannelsLast(x);
        Assert.Equal(x.shape, y.shape);
        Assert.Equal([60L, 1, 15, 3], y.stride());
        Assert.True(x.eq(y).all().item<bool>());
        Assert.True(ImageTensors.IsChannelsLast(ImageTensors.ToChannelsLast(y)));
    }

    /// <summary>Records whether each input arrived channels-last.</summary>
    sealed class LayoutRecorder(IBackbone inner) : ObservingBackbone(inner)
    {
        public List<bool> InputsWereChannelsLast { get; } = [];

        protected override void Observe(Tensor input, IReadOnlyCollection<string> taps) => InputsWereChannelsLast.Add(ImageTensors.IsChannelsLast(input));
    }
}

using StyleBlazor.Engine.Backbones;
using StyleBlazor.Engine.Transfer;
using static StyleBlazor.Tests.Engine.Transfer.TestImages;
using static TorchSharp.torch;

namespace StyleBlazor.Tests.Engine.Transfer;

public class ContentTargetCacheTests
{
    /// <summary>Two stages (16 and 32 px), jittered, so that each stage makes content targets.</summary>
    static readonly StyleTransferOptions Jittered = new()
    {
        Iterations = 24,
        CoarseIterations = 12,
        MaxSide = 32,
        ContentLayer = "conv3",
        StyleLayers = [new("conv1", 0.5), new("conv2", 0.5)],
        LearningRate = 10,
        JitterPixels = 3,
        Seed = 5,
    };

    [Fact]
    public void ASecondStyleOnTheSamePhotoMakesNoContentTargetAndPaintsWhatARunMakingThemPaints()
    {
        using var backbone = new ContentPassCounter(new TinyConvBackbone());
        using var photo = Gradient(40, 30, 1);
        using var firstStyle = Gradient(30, 30, 2);
        using var secondStyle = Gradient(30, 30, 3);
        using var cache = new ContentTargetCache(long.MaxValue);

        var first = Run(backbone, photo, firstStyle, cache);
        var (_, madeByFirst) = cache.Counts;
        var kept = Run(backbone, photo, secondStyle, cache);
        var own = Run(backbone, photo, secondStyle, null);

        Assert.InRange(first.ContentPasses, 10, 32); // 16 shifts a stage, most of them met in 12 steps
        Assert.Equal(first.ContentPasses + 2, madeByFirst); // and each stage's unshifted target
        Assert.Equal(2, cache.Sets);
        Assert.Equal(0, first.Result.ContentTargetsReused);
        Assert.Equal(0, kept.ContentPasses);
        Assert.Equal(first.ContentPasses, kept.Result.ContentTargetsReused); // the same seed meets the same shifts
        Assert.Equal((first.ContentPasses, madeByFirst), cache.Counts);
        Assert.Equal(first.ContentPasses, own.ContentPasses);
        Assert.Equal(own.Losses, kept.Losses);
        Assert.Equal(own.Result.BestImage.Pixels, kept.Result.BestImage.Pixels);

        // Another photo, or the same photo seen as its luminance, has targets of its own.
        using var otherPhoto = Gradient(40, 30, 4);
        var other = Run(backbone, otherPhoto, secondStyle, cache);
        var luminance = Run(backbone, photo, secondStyle, cache, Jittered with { PreserveColors = ColorPreservation.Luminance });
        Assert.Equal(0, other.Result.ContentTargetsReused);
        Assert.Equal(0, luminance.Result.ContentTargetsReused);
        Assert.Equal(6, cache.Sets);
    }

    [Fact]
    public void TargetsPreparedBeforeARunAreTheOnesItMeetsAndItPaintsWhatARunMakingThemPaints()
    {
        using var backbone = new ContentPassCounter(new TinyConvBackbone());
        using var photo = Gradient(40, 30, 1);
        using var style = Gradient(30, 30, 2);
        using var cache = new ContentTargetCache(long.MaxValue);
        var own = Run(backbone, photo, style, null);

        int prepared = StyleTransfer.PrepareContentTargets(backbone, photo, Jittered, cache, stop: () => false);
        var kept = Run(backbone, photo, style, cache);

        Assert.Equal(own.ContentPasses, prepared);
        Assert.Equal(prepared, backbone.ContentPasses - own.ContentPasses); // one pass a target, nothing else
        Assert.Equal(0, kept.ContentPasses);
        Assert.Equal(prepared, kept.Result.ContentTargetsReused);
        Assert.Equal(own.Losses, kept.Losses);
        Assert.Equal(own.Result.BestImage.Pixels, kept.Result.BestImage.Pixels);
        Assert.Equal(0, StyleTransfer.PrepareContentTargets(backbone, photo, Jittered, cache, stop: () => false)); // all made
    }

    [Fact]
    public void APreparationStopsWhenAskedAndTheRunMakesTheRest()
    {
        using var backbone = new ContentPassCounter(new TinyConvBackbone());
        using var photo = Gradient(40, 30, 1);
        using var style = Gradient(30, 30, 2);
        using var cache = new ContentTargetCache(long.MaxValue);
        int asked = 0;

        int prepared = StyleTransfer.PrepareContentTargets(backbone, photo, Jittered, cache, stop: () => ++asked > 5);
        var run = Run(backbone, photo, style, cache);

        Assert.Equal(5, prepared);
        Assert.Equal(5, run.Result.ContentTargetsReused);
        Assert.InRange(run.ContentPasses, 5, 27); // the run's first five new shifts came prepared
        Assert.Equal(0, StyleTransfer.PrepareContentTargets(backbone, photo, Jittered with { JitterPixels = 0 }, cache, stop: () => false));
    }

    [Fact]
    public void KeptTargetsStayWithinTheCapacityOnceNoRunHoldsThemTheLeastRecentlyUsedDroppedFirst()
    {
        using var backbone = new TinyConvBackbone();
        var key = (string photo) => new ContentTargetKey(backbone, photo, 32, 24, false, "conv3", PoolingMode.Max, false);
        const long target = 100 * sizeof(float);
        using var cache = new ContentTargetCache(2 * target);

        Tensor Keep(string photo)
        {
            using var lease = cache.Hold(key(photo));
            return lease.Targets[0].Add((1, 2), zeros(100).DetachFromDisposeScope());
        }

        var a = Keep("a");
        var b = Keep("b");
        Assert.Equal((2, 2 * target), (cache.Sets, cache.Bytes));
        using (cache.Hold(key("a"))) { } // a used again, after b
        var c = Keep("c");

        Assert.Equal((2, 2 * target), (cache.Sets, cache.Bytes));
        Assert.True(b.IsInvalid); // dropped, and its memory freed
        Assert.False(a.IsInvalid);
        Assert.False(c.IsInvalid);
        using (var again = cache.Hold(key("a"), key("b")))
        {
            Assert.Equal([(1, 2)], again.Targets[0].Shifts);
            Assert.Empty(again.Targets[1].Shifts);
        }

        // A set a run holds is kept whatever the capacity, and goes once it is let go.
        using var tiny = new ContentTargetCache(0);
        var held = tiny.Hold(key("a"));
        var t = held.Targets[0].Add((0, 1), zeros(100).DetachFromDisposeScope());
        Assert.Equal(target, tiny.Bytes);
        Assert.False(t.IsInvalid);
        held.Dispose();
        Assert.Equal((0, 0L), (tiny.Sets, tiny.Bytes));
        Assert.True(t.IsInvalid);
    }

    static (TransferResult Result, int ContentPasses, double[] Losses) Run(ContentPassCounter backbone, SixLabors.ImageSharp.Image<SixLabors.ImageSharp.PixelFormats.Rgb24> photo,
        SixLabors.ImageSharp.Image<SixLabors.ImageSharp.PixelFormats.Rgb24> style, ContentTargetCache? cache, StyleTransferOptions? options = null)
    {
        int before = backbone.ContentPasses;
        var losses = new List<double>();
        var result = StyleTransfer.Run(backbone, photo, [style], options ?? Jittered, p => losses.AddRange([p.Loss.Total, p.Loss.Content, p.Loss.Style]),
            contentTargets: cache);
        return (result, backbone.ContentPasses - before, losses.ToArray());
    }

    /// <summary>Counts the passes that make a shifted content target: the content tap alone, without a gradient.</summary>
    sealed class ContentPassCounter(IBackbone inner) : ObservingBackbone(inner)
    {
        public int ContentPasses { get; private set; }

        protected override void Observe(Tensor input, IReadOnlyCollection<string> taps)
        {
            if (taps.Count == 1 && !is_grad_enabled()) ContentPasses++;
        }
    }
}

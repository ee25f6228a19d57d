using StyleBlazor.Engine.Backbones;
using StyleBlazor.Engine.Transfer;
using StyleBlazor.Tests.Engine.Transfer;
using TorchSharp;
using static TorchSharp.torch;

namespace StyleBlazor.Tests.Engine.Backbones;

/// <summary>
/// Forward with onTap (issue 8's memory work): each backbone hands its taps over in forward order while the pass is
/// still running, with the values plain Forward returns; the loop that builds its style terms there gives the same run.
/// </summary>
public sealed class TapCallbackTests
{
    static Tensor Image(int height, int width) => randn(1, 3, height, width, generator: new Generator(7)).mul_(50);

    static void AssertSeenInForwardOrderWithTheReturnedValues(IBackbone backbone, string[] askedFor, string[] forwardOrder, int side)
    {
        using var input = Image(side, side);
        var plain = backbone.Forward(input, askedFor);
        var seen = new List<(string Name, float[] Values)>();
        var returned = backbone.Forward(input, askedFor, (name, map) => seen.Add((name, map.data<float>().ToArray())));
        try
        {
            Assert.Equal(forwardOrder, seen.Select(s => s.Name));
            foreach (var (name, values) in seen)
            {
                Assert.Equal(plain[name].data<float>().ToArray(), values);
                Assert.Equal(plain[name].data<float>().ToArray(), returned[name].data<float>().ToArray());
            }
        }
        finally
        {
            foreach (var t in plain.Values.Concat(returned.Values)) t.Dispose();
        }
    }

    [Fact]
    public void Vgg19HandsOverEachTapInForwardOrder()
    {
        using var backbone = Vgg19Backbone.CreateRandom(seed: 3, widthDivisor: 16);
        AssertSeenInForwardOrderWithTheReturnedValues(backbone,
            ["block5_conv1", "block1_conv1", "block3_conv2"], ["block1_conv1", "block3_conv2", "block5_conv1"], side: 32);
    }

    [Fact]
    public void ResNet18HandsOverEachTapInForwardOrder()
    {
        using var backbone = new ResNet18Backbone(CPU);
        AssertSeenInForwardOrderWithTheReturnedValues(backbone,
            ["stage2", "stem", "stage1"], ["stem", "stage1", "stage2"], side: 64);
    }

    [Fact]
    public void ABackboneWithoutItsOwnCallbackHandsOverTheTapsInLayerOrderAfterThePass()
    {
        using var backbone = new RecordingBackbone(Vgg19Backbone.CreateRandom(seed: 3, widthDivisor: 16));
        AssertSeenInForwardOrderWithTheReturnedValues(backbone,
            ["block4_conv1", "block2_conv1"], ["block2_conv1", "block4_conv1"], side: 32);
        Assert.Equal(2, backbone.Inputs.Count); // plain Forward, then the default, which goes through it once
    }

    [Fact]
    public void StyleTermsBuiltDuringThePassGiveTheSameRunAsTermsBuiltAfterIt()
    {
        // Full-width VGG19 (deterministic on the CPU, unlike the narrow test widths) on a small image.
        using var vgg = Vgg19Backbone.CreateRandom(seed: 1);
        using var afterThePass = new RecordingBackbone(Vgg19Backbone.CreateRandom(seed: 1));
        var options = BackboneRecipes.ArticleVgg19 with { MaxSide = 48, Iterations = 4 };
        using var content = TestImages.Gradient(48, 40, seed: 1);
        using var style = TestImages.Gradient(40, 40, seed: 2);

        var during = new List<TransferProgress>();
        var after = new List<TransferProgress>();
        var a = StyleTransfer.Run(vgg, content, [style], options, during.Add);
        var b = StyleTransfer.Run(afterThePass, content, [style], options, after.Add);

        Assert.Equal(after.Select(p => p.Loss.Total), during.Select(p => p.Loss.Total));
        Assert.Equal(after.Select(p => p.Loss.StyleLayers.Values.ToArray()), during.Select(p => p.Loss.StyleLayers.Values.ToArray()));
        Assert.True(during[^1].Loss.Total < during[0].Loss.Total, "the run optimised");
        Assert.Equal(b.BestIteration, a.BestIteration);
        Assert.Equal(b.BestImage.Pixels, a.BestImage.Pixels);
    }
}

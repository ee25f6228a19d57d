using StyleBlazor.Engine.Transfer;
using Xunit.Abstractions;
using static StyleBlazor.Tests.Engine.Transfer.TestImages;

namespace StyleBlazor.Tests.Engine.Transfer;

public class StyleTransferClippingTests(ITestOutputHelper output)
{
    // The article's caffe means in the network's BGR order (fig. 27 clips each channel to [−mean, 255 − mean]).
    static readonly double[] BgrMeans = [103.939, 116.779, 123.68];

    static readonly StyleTransferOptions HugeSteps = new()
    {
        Iterations = 5,
        MaxSide = 16,
        ContentLayer = "conv3",
        StyleLayers = [new("conv1", 0.5), new("conv2", 0.5)],
        LearningRate = 1000, // Adam moves every pixel by hundreds: far outside the valid range unless clipped
    };

    [Fact]
    public void WithAHugeLearningRateTheImageStaysWithinTheCaffeBoundsAndFramesAreItsDeprocessedPixels()
    {
        using var backbone = new RecordingBackbone(new TinyConvBackbone());
        using var content = Gradient(20, 16, 1);
        using var style = Gradient(16, 16, 2);
        var progress = new List<TransferProgress>();

        var result = StyleTransfer.Run(backbone, content, [style], HugeSteps, progress.Add);

        // The network saw the content and the style once each (targets), then the optimised image once per iteration.
        Assert.Equal(2 + HugeSteps.Iterations + 1, backbone.Inputs.Count);
        var images = backbone.Inputs.Skip(2).ToList();
        int onABound = 0, total = 0;
        foreach (var (index, (shape, values)) in images.Index())
        {
            int plane = (int)(shape[2] * shape[3]);
            for (int c = 0; c < 3; c++)
                for (int k = 0; k < plane; k++)
                {
                    double v = values[c * plane + k], min = -BgrMeans[c], max = 255 - BgrMeans[c];
                    Assert.InRange(v, min - 1e-4, max + 1e-4);
                    if (index == 0) continue; // the content image itself
                    if (Math.Abs(v - min) < 1e-4 || Math.Abs(v - max) < 1e-4) onABound++;
                    total++;
                }
        }
        // Clipping really happened: after the huge steps a large share of the values sit exactly on a bound.
        output.WriteLine($"{onABound} of {total} values after the first step sit on a bound");
        Assert.True(onABound > total / 4, $"{onABound} of {total} values on a bound");

        // Every frame (and the result) is the deprocessed image of its iteration: BGR → RGB, + mean, 0–255, rounded.
        var frames = progress.Where(p => p.Frame is not null).ToList();
        Assert.NotEmpty(frames);
        foreach (var p in frames)
        {
            Assert.All(p.Frame!.Pixels, b => Assert.InRange(b, (byte)0, (byte)255));
            Assert.Equal(Deprocessed(images[p.Iteration]), p.Frame.Pixels);
        }
        Assert.Equal(Deprocessed(images[result.BestIteration]), result.BestImage.Pixels);
    }

    /// <summary>The article's fig. 8 by hand, in float32 like the engine: packed RGB bytes of a BGR caffe image.</summary>
    static byte[] Deprocessed((long[] Shape, float[] Values) image)
    {
        int h = (int)image.Shape[2], w = (int)image.Shape[3], plane = h * w;
        var rgb = new byte[plane * 3];
        for (int k = 0; k < plane; k++)
            for (int rgbChannel = 0; rgbChannel < 3; rgbChannel++)
            {
                int bgrChannel = 2 - rgbChannel;
                float v = image.Values[bgrChannel * plane + k] + (float)BgrMeans[bgrChannel];
                rgb[k * 3 + rgbChannel] = (byte)MathF.Round(Math.Clamp(v, 0f, 255f));
            }
        return rgb;
    }
}

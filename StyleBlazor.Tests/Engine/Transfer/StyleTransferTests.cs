using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;
using StyleBlazor.Engine.Transfer;

namespace StyleBlazor.Tests.Engine.Transfer;

public class StyleTransferTests
{
    static readonly StyleTransferOptions TinyOptions = new()
    {
        Iterations = 30,
        MaxSide = 32,
        ContentLayer = "conv3",
        StyleLayers = [new("conv1", 0.5), new("conv2", 0.5)],
        LearningRate = 10,
    };

    static Image<Rgb24> Gradient(int w, int h, int seed)
    {
        var rng = new Random(seed);
        var img = new Image<Rgb24>(w, h);
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++)
                img[x, y] = new Rgb24((byte)(x * 255 / w), (byte)(y * 255 / h), (byte)rng.Next(256));
        return img;
    }

    [Fact]
    public void ThirtyIterationsLowerTheBestLoss()
    {
        using var backbone = new TinyConvBackbone();
        using var content = Gradient(40, 30, 1);
        using var style = Gradient(30, 30, 2);
        var progress = new List<TransferProgress>();
        var result = StyleTransfer.Run(backbone, content, [style], TinyOptions, progress.Add);

        Assert.Equal(31, progress.Count);
        Assert.Equal(Enumerable.Range(0, 31), progress.Select(p => p.Iteration));
        Assert.True(result.BestLoss.Total < progress[0].Loss.Total * 0.9, $"best {result.BestLoss.Total} vs initial {progress[0].Loss.Total}");
        Assert.Equal(32, result.BestImage.Width);
        Assert.Equal(24, result.BestImage.Height);
    }
}

using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;
using SixLabors.ImageSharp.Processing;
using StyleBlazor.Engine.Transfer;
using static StyleBlazor.Tests.Engine.Transfer.TestImages;
using TorchSharp;
using static TorchSharp.torch;
using Size = SixLabors.ImageSharp.Size;

namespace StyleBlazor.Tests.Engine.Transfer;

/// <summary>Colours kept as in Gatys, Bethge, Hertzmann &amp; Shechtman (CVPR 2017): luminance-only transfer and histogram matching.</summary>
public class ColorPreservationTests
{
    static readonly string Samples = Path.Combine(AppContext.BaseDirectory, "wwwroot-assets", "samples");

    static readonly StyleTransferOptions TinyOptions = new()
    {
        Iterations = 40,
        MaxSide = 32,
        ContentLayer = "conv3",
        StyleLayers = [new("conv1", 0.5), new("conv2", 0.5)],
        // Style far heavier than content, and large steps, so the picture moves far from the content.
        ContentWeight = 1e-3,
        StyleWeight = 1,
        LearningRate = 10,
    };

    // YCbCr, BT.601 full range (JPEG's), without the 128 offsets: only differences are compared.
    static double Y(double r, double g, double b) => 0.299 * r + 0.587 * g + 0.114 * b;
    static double Cb(double r, double g, double b) => -0.168736 * r - 0.331264 * g + 0.5 * b;
    static double Cr(double r, double g, double b) => 0.5 * r - 0.418688 * g - 0.081312 * b;

    /// <summary>The largest per-pixel difference of a channel function between two pictures of one size, packed RGB.</summary>
    static double LargestDifference(byte[] a, byte[] b, Func<double, double, double, double> channel) =>
        Enumerable.Range(0, a.Length / 3).Max(i => Math.Abs(channel(a[3 * i], a[3 * i + 1], a[3 * i + 2]) - channel(b[3 * i], b[3 * i + 1], b[3 * i + 2])));

    static double MeanDifference(byte[] a, byte[] b, Func<double, double, double, double> channel) =>
        Enumerable.Range(0, a.Length / 3).Average(i => Math.Abs(channel(a[3 * i], a[3 * i + 1], a[3 * i + 2]) - channel(b[3 * i], b[3 * i + 1], b[3 * i + 2])));

    /// <summary>The content resized to the working size exactly as the engine resizes it, as packed RGB.</summary>
    static byte[] ContentAtWorkingSize(Image<Rgb24> content, Size size)
    {
        using var rgb = ImageTensors.ToTensor(content, size, CPU);
        return ImageTensors.ToFrame(rgb).Pixels;
    }

    /// <summary>Undoes the tiny network's Keras "caffe" preprocessing (BGR minus means) without clipping: [1,3,H,W] RGB 0–255.</summary>
    static Tensor Unpreprocess((long[] Shape, float[] Values) input)
    {
        using var means = tensor(new[] { 103.939f, 116.779f, 123.68f }).view(1, 3, 1, 1);
        using var bgr = tensor(input.Values).view(input.Shape);
        return bgr.add(means).flip(1);
    }

    [Fact]
    public void ALuminanceRunKeepsTheContentsChromaWithinOneLevelInEveryFrameAndTheResult()
    {
        using var backbone = new TinyConvBackbone();
        using var content = Image.Load<Rgb24>(Path.Combine(Samples, "photo-chelsea-cat.png"));
        using var style = Image.Load<Rgb24>(Path.Combine(Samples, "art-van-gogh-starry-night.jpg"));
        var frames = new List<RgbFrame>();

        var result = StyleTransfer.Run(backbone, content, [style], TinyOptions with { PreserveColors = ColorPreservation.Luminance },
            p => { if (p.Frame is not null) frames.Add(p.Frame); });
        var original = ContentAtWorkingSize(content, new Size(result.BestImage.Width, result.BestImage.Height));

        Assert.True(frames.Count > 1);
        foreach (var picture in frames.Append(result.BestImage))
        {
            // 1 level of 255: what rounding each channel to a byte can move Cb or Cr by (at most 0.5).
            Assert.InRange(LargestDifference(picture.Pixels, original, Cb), 0, 1);
            Assert.InRange(LargestDifference(picture.Pixels, original, Cr), 0, 1);
        }
        // The run did change the picture: its luminance.
        Assert.True(MeanDifference(result.BestImage.Pixels, original, Y) > 2, $"mean |ΔY| {MeanDifference(result.BestImage.Pixels, original, Y):F2}");
    }

    [Fact]
    public void WithoutColourPreservationTheSameRunMovesTheChroma()
    {
        using var backbone = new TinyConvBackbone();
        using var content = Image.Load<Rgb24>(Path.Combine(Samples, "photo-chelsea-cat.png"));
        using var style = Image.Load<Rgb24>(Path.Combine(Samples, "art-van-gogh-starry-night.jpg"));

        var result = StyleTransfer.Run(backbone, content, [style], TinyOptions);
        var original = ContentAtWorkingSize(content, new Size(result.BestImage.Width, result.BestImage.Height));

        Assert.True(MeanDifference(result.BestImage.Pixels, original, Cb) > 2, $"mean |ΔCb| {MeanDifference(result.BestImage.Pixels, original, Cb):F2}");
    }

    [Fact]
    public void InALuminanceRunTheNetworkSeesGreyPicturesAndTheStylesLuminanceHasTheContentsMeanAndSpread()
    {
        using var backbone = new RecordingBackbone(new TinyConvBackbone());
        using var content = Gradient(40, 30, 1);
        using var style = Gradient(30, 40, 2); // portrait: kept apart from the content by its shape
        StyleTransfer.Run(backbone, content, [style], TinyOptions with { Iterations = 3, StyleKeepsAspect = true, PreserveColors = ColorPreservation.Luminance });

        foreach (var input in backbone.Inputs)
        {
            using var rgb = Unpreprocess(input);
            Assert.True(rgb[0, 0].sub(rgb[0, 1]).abs().max().ToDouble() < 1e-3 && rgb[0, 1].sub(rgb[0, 2]).abs().max().ToDouble() < 1e-3, "R = G = B");
        }
        using var contentSeen = Unpreprocess(backbone.Inputs.First(i => i.Shape[3] > i.Shape[2]));
        using var styleSeen = Unpreprocess(backbone.Inputs.First(i => i.Shape[3] < i.Shape[2]));
        var (contentSpread, contentMean) = std_mean(contentSeen[0, 0], unbiased: false);
        var (styleSpread, styleMean) = std_mean(styleSeen[0, 0], unbiased: false);
        Assert.Equal(contentMean.ToDouble(), styleMean.ToDouble(), 1e-3);
        Assert.Equal(contentSpread.ToDouble(), styleSpread.ToDouble(), 1e-3);
    }

    [Fact]
    public void HistogramMatchingGivesTheStyleTheContentsColourMeanAndCovarianceWithinOnePercent()
    {
        using var contentImage = Image.Load<Rgb24>(Path.Combine(Samples, "photo-chelsea-cat.png"));
        using var styleImage = Image.Load<Rgb24>(Path.Combine(Samples, "art-van-gogh-starry-night.jpg"));
        using var content = ImageTensors.ToTensor(contentImage, new Size(96, 64), CPU);
        using var style = ImageTensors.ToTensor(styleImage, new Size(96, 76), CPU);

        using var matched = ContentColors.MatchColorStatistics(style, content);

        var (contentMean, contentCovariance) = ContentColors.MeanAndCovariance(content);
        var (styleMean, styleCovariance) = ContentColors.MeanAndCovariance(style);
        var (matchedMean, matchedCovariance) = ContentColors.MeanAndCovariance(matched);
        double RelativeDistance(Tensor a, Tensor b) => a.sub(b).norm().ToDouble() / b.norm().ToDouble();
        // The paintings' colours were far from the photo's, and now are the photo's.
        Assert.True(RelativeDistance(styleCovariance, contentCovariance) > 0.3, $"covariance before {RelativeDistance(styleCovariance, contentCovariance):P0} off");
        Assert.True(RelativeDistance(styleMean, contentMean) > 0.1, $"mean before {RelativeDistance(styleMean, contentMean):P0} off");
        Assert.True(RelativeDistance(matchedMean, contentMean) < 0.01, $"mean after {RelativeDistance(matchedMean, contentMean):P3} off");
        Assert.True(RelativeDistance(matchedCovariance, contentCovariance) < 0.01, $"covariance after {RelativeDistance(matchedCovariance, contentCovariance):P3} off");
        Assert.Equal(style.shape, matched.shape);
    }

    [Fact]
    public void InAHistogramRunTheNetworkSeesTheStyleWithTheContentsColourStatistics()
    {
        using var backbone = new RecordingBackbone(new TinyConvBackbone());
        using var content = Gradient(40, 30, 1);
        using var style = Gradient(30, 40, 2); // portrait: kept apart from the content by its shape
        // An orange-brown cast with little spread in red, far from the gradient's statistics.
        style.Mutate(c => c.ProcessPixelRowsAsVector4(row =>
        {
            foreach (ref var p in row) p = new System.Numerics.Vector4(0.9f - 0.2f * p.X, 0.3f + 0.4f * p.Y, 0.2f * p.Z, 1);
        }));
        StyleTransfer.Run(backbone, content, [style], TinyOptions with { Iterations = 2, StyleKeepsAspect = true, PreserveColors = ColorPreservation.Histogram });

        using var contentSeen = Unpreprocess(backbone.Inputs.First(i => i.Shape[3] > i.Shape[2]));
        using var styleSeen = Unpreprocess(backbone.Inputs.First(i => i.Shape[3] < i.Shape[2]));
        using var styleAsIs = ImageTensors.ToTensor(style, new Size((int)styleSeen.shape[3], (int)styleSeen.shape[2]), CPU);
        var (contentMean, contentCovariance) = ContentColors.MeanAndCovariance(contentSeen);
        var (styleMean, styleCovariance) = ContentColors.MeanAndCovariance(styleSeen);

        Assert.True(ContentColors.MeanAndCovariance(styleAsIs).Mean.sub(contentMean).norm().ToDouble() > 0.2 * contentMean.norm().ToDouble());
        Assert.True(styleMean.sub(contentMean).norm().ToDouble() < 0.01 * contentMean.norm().ToDouble());
        Assert.True(styleCovariance.sub(contentCovariance).norm().ToDouble() < 0.01 * contentCovariance.norm().ToDouble());
        // The content itself is seen as it is: its colours are not the style's business.
        using var original = ImageTensors.ToTensor(content, new Size(32, 24), CPU);
        Assert.True(contentSeen.sub(original).abs().max().ToDouble() < 1e-3);
    }
}

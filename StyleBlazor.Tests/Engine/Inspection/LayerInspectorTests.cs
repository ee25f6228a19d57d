using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;
using StyleBlazor.Engine.Backbones;
using StyleBlazor.Engine.Inspection;
using StyleBlazor.Engine.Transfer;
using StyleBlazor.Tests.Engine.Losses;
using StyleBlazor.Tests.Engine.Transfer;
using static TorchSharp.torch;
using Size = SixLabors.ImageSharp.Size;

namespace StyleBlazor.Tests.Engine.Inspection;

public class LayerInspectorTests
{
    // The Keras VGG19 means the known backbone's preprocessing subtracts, in BGR order.
    static readonly double[] BgrMeans = [103.939, 116.779, 123.68];

    /// <summary>A 3 × 2 picture with every pixel different.</summary>
    static Image<Rgb24> TinyPicture(int seed)
    {
        var rng = new Random(seed);
        var image = new Image<Rgb24>(3, 2);
        for (int y = 0; y < 2; y++)
            for (int x = 0; x < 3; x++)
                image[x, y] = new Rgb24((byte)rng.Next(256), (byte)rng.Next(256), (byte)rng.Next(256));
        return image;
    }

    /// <summary>The known backbone's "plain" tap is its input: the picture in BGR minus the means, channel-major.</summary>
    static double[] PlainFeatures(Image<Rgb24> image)
    {
        int positions = image.Width * image.Height;
        var f = new double[3 * positions];
        for (int y = 0; y < image.Height; y++)
            for (int x = 0; x < image.Width; x++)
            {
                var p = image[x, y];
                int k = y * image.Width + x;
                f[k] = p.B - BgrMeans[0];
                f[positions + k] = p.G - BgrMeans[1];
                f[2 * positions + k] = p.R - BgrMeans[2];
            }
        return f;
    }

    [Theory]
    [InlineData(LossNormalization.Code)]
    [InlineData(LossNormalization.Paper)]
    public void TheGramHeatmapOfATinyPictureIsTheHandComputedMatrix(LossNormalization normalization)
    {
        using var picture = TinyPicture(seed: 3);
        using var backbone = new KnownFeaturesBackbone();
        var expected = normalization == LossNormalization.Code
            ? HandComputed.GramCode(PlainFeatures(picture), 3, 2, 3)
            : HandComputed.GramPaper(PlainFeatures(picture), 3, 2, 3);

        var size = LayerInspector.InspectionSize(picture.Width, picture.Height, backbone.SizeMultiple);
        var plain = LayerInspector.Inspect(backbone, picture, size, ["plain"], normalization).Single();
        var pooled = PooledGrid.OfGram(plain.Gram, plain.Channels);
        var heatmap = Heatmap.Render(pooled.Cells, pooled.Width, pooled.Height, ColorScale.Viridis);

        Assert.Equal((3, 2, 3), (plain.Width, plain.Height, plain.Channels)); // a small picture is not blown up
        Assert.Equal((3, 3, 1), (pooled.Width, pooled.Height, pooled.Block));
        double min = expected.Cast<double>().Min(), max = expected.Cast<double>().Max();
        Assert.Equal(min, heatmap.Min, Math.Abs(min) * 1e-5);
        Assert.Equal(max, heatmap.Max, Math.Abs(max) * 1e-5);
        using var drawn = Image.Load<Rgb24>(heatmap.Png);
        Assert.Equal((3, 3), (drawn.Width, drawn.Height));
        for (int a = 0; a < 3; a++)
            for (int b = 0; b < 3; b++)
            {
                Assert.Equal(expected[a, b], pooled.Cells[a * 3 + b], Math.Abs(expected[a, b]) * 1e-5 + 1e-3);
                // Row a, column b is channel pair (a, b), coloured by its place between the lowest and highest value.
                var colour = ColorScale.Viridis.At((expected[a, b] - min) / (max - min));
                var pixel = drawn[b, a];
                Assert.InRange(pixel.R, colour.R - 1, colour.R + 1);
                Assert.InRange(pixel.G, colour.G - 1, colour.G + 1);
                Assert.InRange(pixel.B, colour.B - 1, colour.B + 1);
            }
    }

    [Fact]
    public void TheStrongestSixteenMapsAreOrderedByMeanWithTiesToTheLowerChannel()
    {
        // 20 channels: 0, 2 and 7 tie at a mean of 5 (7 only on average: 0 and 10 alternate), 4 and 9 tie at 3.
        float[][] maps = [.. Enumerable.Range(0, 20).Select(c => c switch
        {
            0 or 2 => Flat(5),
            7 => new float[] { 0, 10, 10, 0 },
            4 or 9 => Flat(3),
            _ => Flat(c * 0.1f - 2), // −2 … −0.1, below every tie, falling with the channel
        })];
        using var backbone = new FixedMapsBackbone(maps, height: 2, width: 2);
        using var picture = TinyPicture(seed: 1);

        var first = LayerInspector.Inspect(backbone, picture, new Size(2, 2), ["maps"], LossNormalization.Code).Single();
        var again = LayerInspector.Inspect(backbone, picture, new Size(2, 2), ["maps"], LossNormalization.Code).Single();

        int[] expected = [0, 2, 7, 4, 9, 19, 18, 17, 16, 15, 14, 13, 12, 11, 10, 8];
        Assert.Equal(expected, first.Strongest.Select(m => m.Channel));
        Assert.Equal(expected, again.Strongest.Select(m => m.Channel));
        Assert.Equal([5, 5, 5, 3, 3], first.Strongest.Take(5).Select(m => m.Mean));
        Assert.Equal(new float[] { 0, 10, 10, 0 }, first.Strongest[2].Values);
        Assert.All(first.Strongest, m => Assert.Equal((2, 2), (m.Width, m.Height)));

        static float[] Flat(float v) => [v, v, v, v];
    }

    [Fact]
    public void AnUnknownLayerIsRefusedNamingItAndTheLayersThereAre()
    {
        using var backbone = new KnownFeaturesBackbone();
        using var picture = TinyPicture(seed: 2);

        var error = Assert.Throws<ArgumentException>(() =>
            LayerInspector.Inspect(backbone, picture, new Size(3, 2), ["plain", "block9_conv9"], LossNormalization.Code));

        Assert.Contains("'block9_conv9'", error.Message);
        Assert.Contains("plain, squared, shifted", error.Message);
        Assert.Contains("known", error.Message);
    }

    [Fact]
    public void APictureLargerThanTheBoundIsInspectedAtTwoHundredFiftySixPixels()
    {
        Assert.Equal(new Size(256, 192), LayerInspector.InspectionSize(1024, 768, sizeMultiple: 32));
        Assert.Equal(new Size(128, 96), LayerInspector.InspectionSize(1024, 768, sizeMultiple: 32, maxSide: 128));
        using var backbone = new KnownFeaturesBackbone();
        using var picture = TinyPicture(seed: 2);
        Assert.Throws<ArgumentException>(() => LayerInspector.Inspect(backbone, picture, new Size(300, 200), ["plain"], LossNormalization.Code));
    }

    [Theory]
    [InlineData(LossNormalization.Code)]
    [InlineData(LossNormalization.Paper)]
    public void AgainstTheStyleTheLayerLossIsFormulaThreeAndTheDifferenceIsOfTheTwoGramMatrices(LossNormalization normalization)
    {
        using var picture = TinyPicture(seed: 5);
        using var style = TinyPicture(seed: 6);
        using var backbone = new KnownFeaturesBackbone();
        var size = new Size(3, 2);

        var styleLayer = LayerInspector.Inspect(backbone, style, size, ["plain"], normalization);
        var compared = LayerInspector.CompareWithStyle(backbone, picture, size, styleLayer, normalization).Single();

        var p = PlainFeatures(picture);
        var s = PlainFeatures(style);
        var styleGram = normalization == LossNormalization.Code ? HandComputed.GramCode(s, 3, 2, 3) : HandComputed.GramPaper(s, 3, 2, 3);
        var pictureGram = normalization == LossNormalization.Code ? HandComputed.GramCode(p, 3, 2, 3) : HandComputed.GramPaper(p, 3, 2, 3);
        double expected = normalization == LossNormalization.Code
            ? HandComputed.StyleLossCode(styleGram, p, 3, 2, 3)
            : HandComputed.StyleLossPaper(styleGram, p, 3, 2, 3);
        Assert.Equal(expected, compared.Loss, expected * 1e-4);
        for (int a = 0; a < 3; a++)
            for (int b = 0; b < 3; b++)
            {
                double tolerance = Math.Abs(pictureGram[a, b]) * 1e-5 + 1e-2;
                Assert.Equal(pictureGram[a, b], compared.Gram[a * 3 + b], tolerance);
                Assert.Equal(pictureGram[a, b] - styleGram[a, b], compared.GramDifference[a * 3 + b], tolerance);
            }
    }

    [Fact]
    public void PoolingAveragesBlocksOfChannelPairs()
    {
        // 5 × 5 with cell (i, j) = 10i + j, shown at most 2 × 2: blocks of 3 channels, the last block partial.
        var matrix = new float[25];
        for (int i = 0; i < 5; i++)
            for (int j = 0; j < 5; j++) matrix[i * 5 + j] = 10 * i + j;

        var pooled = PooledGrid.Of(matrix, 5, 5, maxSide: 2);

        Assert.Equal((2, 2, 3), (pooled.Width, pooled.Height, pooled.Block));
        Assert.Equal(new float[] { 11, 13.5f, 36, 38.5f }, pooled.Cells);
    }

    [Fact]
    public void ADifferenceIsDrawnOnASymmetricScaleWithZeroInTheMiddle()
    {
        var heatmap = Heatmap.Render(new float[] { -1, 0, 4 }, 3, 1, ColorScale.BlueWhiteOrange);

        Assert.Equal((-4, 4), (heatmap.Min, heatmap.Max));
        using var drawn = Image.Load<Rgb24>(heatmap.Png);
        Assert.Equal(new Rgb24(0xF7, 0xF7, 0xF7), drawn[1, 0]); // 0 is white
        Assert.Equal(new Rgb24(0xB3, 0x58, 0x06), drawn[2, 0]); // the largest is the full orange
        Assert.True(drawn[0, 0].B > drawn[0, 0].R, "below 0 is blue");
    }

    [Fact]
    public void EachStyleLayersShareIsItsWeightedTermOverTheSumOfFormulaFour()
    {
        StyleLayerWeight[] weights = [new("a", 0.5), new("b", 0.25), new("c", 0.25)];
        var losses = new Dictionary<string, double> { ["a"] = 2, ["b"] = 8, ["c"] = 0 };

        var terms = StyleTerms.Split(weights, losses);
        var relative = StyleTerms.Split(weights, losses, new Dictionary<string, double> { ["a"] = 4, ["b"] = 1, ["c"] = 1 });

        Assert.Equal([1, 2, 0], terms.Select(t => t.Term));
        Assert.Equal([1 / 3.0, 2 / 3.0, 0], terms.Select(t => t.Share));
        Assert.Equal([0.5, 8, 0], relative.Select(t => t.Loss)); // divided by the reference distances
        Assert.Equal([0.25 / 2.25, 2 / 2.25, 0], relative.Select(t => t.Share));
    }

    /// <summary>One tap, "maps", whose channels are the given fixed maps whatever the input.</summary>
    sealed class FixedMapsBackbone(float[][] maps, int height, int width) : IBackbone
    {
        public string Name => "fixed";
        public IReadOnlyList<LayerInfo> Layers { get; } = [new("maps", maps.Length, 1)];
        public ImagePreprocessing Preprocessing => ImagePreprocessing.KerasVgg19;
        public int SizeMultiple => 1;
        public Device Device => CPU;

        public IReadOnlyDictionary<string, Tensor> Forward(Tensor input, IReadOnlyCollection<string> taps) =>
            new Dictionary<string, Tensor> { ["maps"] = tensor(maps.SelectMany(m => m).ToArray(), [1, maps.Length, height, width]) };

        public void Dispose() { }
    }
}

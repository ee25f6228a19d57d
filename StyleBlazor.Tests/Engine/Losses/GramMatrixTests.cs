using StyleBlazor.Engine.Losses;
using StyleBlazor.Engine.Transfer;
using static TorchSharp.torch;

namespace StyleBlazor.Tests.Engine.Losses;

public class GramMatrixTests
{
    const int C = 2, H = 2, W = 3;

    [Fact]
    public void GramOfATwoChannelMapHoldsTheChannelDotProducts()
    {
        // Channel 0 = 1..6, channel 1 = 1,0,1,0,1,0 over the six positions.
        using var features = tensor(new double[] { 1, 2, 3, 4, 5, 6, 1, 0, 1, 0, 1, 0 }, [1, C, H, W], ScalarType.Float64);

        using var paper = GramMatrix.Compute(features, LossNormalization.Paper);
        using var code = GramMatrix.Compute(features, LossNormalization.Code);

        // G00 = 1+4+9+16+25+36 = 91, G01 = G10 = 1+3+5 = 9, G11 = 3; the code divides by nH·nW = 6.
        Assert.Equal(new long[] { C, C }, paper.shape);
        Assert.Equal(new double[] { 91, 9, 9, 3 }, paper.data<double>().ToArray());
        Assert.Equal(new[] { 91 / 6.0, 9 / 6.0, 9 / 6.0, 3 / 6.0 }, code.data<double>().ToArray());
    }

    [Theory]
    [InlineData(LossNormalization.Code)]
    [InlineData(LossNormalization.Paper)]
    public void GramMatchesTheHandComputedChannelProductsOnRandomFeatures(LossNormalization normalization)
    {
        const int c = 3;
        var f = HandComputed.Random(c * H * W, seed: 5, scale: 3);
        var expected = normalization == LossNormalization.Code ? HandComputed.GramCode(f, c, H, W) : HandComputed.GramPaper(f, c, H, W);

        using var features = tensor(f, [1, c, H, W], ScalarType.Float64);
        using var gram = GramMatrix.Compute(features, normalization);
        var actual = gram.data<double>().ToArray();

        for (int a = 0; a < c; a++)
            for (int b = 0; b < c; b++)
                Assert.Equal(expected[a, b], actual[a * c + b], 1e-12);
    }
}

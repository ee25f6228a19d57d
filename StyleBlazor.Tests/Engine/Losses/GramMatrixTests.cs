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

    [Theory]
    [InlineData(LossNormalization.Code, false)]
    [InlineData(LossNormalization.Paper, false)]
    [InlineData(LossNormalization.Code, true)]
    [InlineData(LossNormalization.Paper, true)]
    public void GradientIsTheExactGradientOfFTimesFTransposedEvenForAnAsymmetricLoss(LossNormalization normalization, bool channelsLast)
    {
        // L = Σ W ⊙ G with W not symmetric, so dL/dG = W and the gradient of F·Fᵀ is (W + Wᵀ)·F (divided by nH·nW
        // in code mode). A backward that assumed a symmetric dG (2·W·F) would fail here.
        const int c = 3, positions = H * W;
        var f = HandComputed.Random(c * positions, seed: 11, scale: 2);
        var w = HandComputed.Random(c * c, seed: 12);
        using var weights = tensor(w, [c, c], ScalarType.Float64);
        using var plain = tensor(f, [1, c, H, W], ScalarType.Float64);
        using var features = (channelsLast ? ImageTensors.ToChannelsLast(plain) : plain.alias()).requires_grad_(true);
        Assert.Equal(channelsLast, ImageTensors.IsChannelsLast(features));

        using var gram = GramMatrix.Compute(features, normalization);
        using var loss = (gram * weights).sum();
        using var gradient = autograd.grad([loss], [features])[0];
        var actual = gradient.contiguous().data<double>().ToArray();

        double scale = normalization == LossNormalization.Code ? 1.0 / positions : 1.0;
        for (int a = 0; a < c; a++)
            for (int p = 0; p < positions; p++)
            {
                double expected = 0;
                for (int b = 0; b < c; b++) expected += (w[a * c + b] + w[b * c + a]) * f[b * positions + p];
                Assert.Equal(expected * scale, actual[a * positions + p], 1e-12);
            }
        // The value is still the Gram matrix of (3).
        var expectedGram = normalization == LossNormalization.Code ? HandComputed.GramCode(f, c, H, W) : HandComputed.GramPaper(f, c, H, W);
        var values = gram.data<double>().ToArray();
        for (int a = 0; a < c; a++)
            for (int b = 0; b < c; b++)
                Assert.Equal(expectedGram[a, b], values[a * c + b], 1e-12);
    }
}

using StyleBlazor.Engine.Losses;
using StyleBlazor.Engine.Transfer;
using static TorchSharp.torch;

namespace StyleBlazor.Tests.Engine.Losses;

public class ContentLossTests
{
    // nC = 2, nH = 2, nW = 3: small enough to check by hand.
    const int C = 2, H = 2, W = 3;

    static Tensor Features(double[] values) => tensor(values, [1, C, H, W], ScalarType.Float64);

    [Fact]
    public void ContentLossOfOneToTwelveAgainstZeroIsItsSumOfSquaresOverTheRightDenominator()
    {
        double[] p = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12];
        using var target = zeros([1, C, H, W], ScalarType.Float64);
        using var features = Features(p);

        using var code = ContentLoss.Compute(target, features, LossNormalization.Code);
        using var paper = ContentLoss.Compute(target, features, LossNormalization.Paper);

        // Σ i² for i = 1..12 is 650. Code: mean over 12 values; paper (2): / (4·2·2·3) = / 48.
        Assert.Equal(650.0 / 12, code.item<double>(), 12);
        Assert.Equal(650.0 / 48, paper.item<double>(), 12);
    }

    [Theory]
    [InlineData(LossNormalization.Code)]
    [InlineData(LossNormalization.Paper)]
    public void ContentLossMatchesTheHandComputedFormulaOnRandomFeatures(LossNormalization normalization)
    {
        var t = HandComputed.Random(C * H * W, seed: 1, scale: 5);
        var p = HandComputed.Random(C * H * W, seed: 2, scale: 5);
        double expected = normalization == LossNormalization.Code
            ? HandComputed.ContentLossCode(t, p)
            : HandComputed.ContentLossPaper(t, p, C, H, W);

        using var target = Features(t);
        using var features = Features(p);
        using var loss = ContentLoss.Compute(target, features, normalization);

        Assert.Equal(expected, loss.item<double>(), 1e-12 * expected);
    }

    [Fact]
    public void ContentLossIsFourTimesThePaperFormulaInCodeMode()
    {
        using var targetSeed = new Generator(3);
        using var target = randn([1, 5, 3, 4], ScalarType.Float64, generator: targetSeed);
        using var featuresSeed = new Generator(4);
        using var features = randn([1, 5, 3, 4], ScalarType.Float64, generator: featuresSeed);

        using var code = ContentLoss.Compute(target, features, LossNormalization.Code);
        using var paper = ContentLoss.Compute(target, features, LossNormalization.Paper);

        Assert.Equal(4.0, code.item<double>() / paper.item<double>(), 12);
    }
}

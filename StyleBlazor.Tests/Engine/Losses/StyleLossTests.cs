using StyleBlazor.Engine.Losses;
using StyleBlazor.Engine.Transfer;
using static TorchSharp.torch;

namespace StyleBlazor.Tests.Engine.Losses;

public class StyleLossTests
{
    const int C = 2, H = 2, W = 3;

    [Fact]
    public void StyleLossAgainstAZeroGramIsTheSquaredGramOverTheRightDenominator()
    {
        using var features = tensor(new double[] { 1, 2, 3, 4, 5, 6, 1, 0, 1, 0, 1, 0 }, [1, C, H, W], ScalarType.Float64);
        using var zeroGram = zeros([C, C], ScalarType.Float64);

        using var paper = StyleLoss.Compute(zeroGram, features, LossNormalization.Paper);
        using var code = StyleLoss.Compute(zeroGram, features, LossNormalization.Code);

        // G = [[91, 9], [9, 3]], ΣG² = 8281 + 81 + 81 + 9 = 8452.
        // (3): 8452 / (4·nC²·(nH·nW)²) = 8452 / (4·4·36) = 8452 / 576.
        // Code: mean of (G/6)² over the 4 entries = 8452 / 36 / 4 = 8452 / 144.
        Assert.Equal(8452.0 / 576, paper.item<double>(), 12);
        Assert.Equal(8452.0 / 144, code.item<double>(), 12);
    }

    [Theory]
    [InlineData(LossNormalization.Code)]
    [InlineData(LossNormalization.Paper)]
    public void StyleLossMatchesTheHandComputedFormulaOnRandomFeatures(LossNormalization normalization)
    {
        var s = HandComputed.Random(C * H * W, seed: 7, scale: 2);
        var p = HandComputed.Random(C * H * W, seed: 8, scale: 2);
        double expected = normalization == LossNormalization.Code
            ? HandComputed.StyleLossCode(HandComputed.GramCode(s, C, H, W), p, C, H, W)
            : HandComputed.StyleLossPaper(HandComputed.GramPaper(s, C, H, W), p, C, H, W);

        using var styleFeatures = tensor(s, [1, C, H, W], ScalarType.Float64);
        using var features = tensor(p, [1, C, H, W], ScalarType.Float64);
        using var styleGram = GramMatrix.Compute(styleFeatures, normalization);
        using var loss = StyleLoss.Compute(styleGram, features, normalization);

        Assert.Equal(expected, loss.item<double>(), 1e-12 * expected);
    }

    [Theory]
    [InlineData(2, 2, 3)]
    [InlineData(5, 4, 7)]
    public void StyleLossIsFourTimesThePaperFormulaInCodeMode(int c, int h, int w)
    {
        using var styleSeed = new Generator(9);
        using var style = randn([1, c, h, w], ScalarType.Float64, generator: styleSeed);
        using var featuresSeed = new Generator(10);
        using var features = randn([1, c, h, w], ScalarType.Float64, generator: featuresSeed);
        using var codeGram = GramMatrix.Compute(style, LossNormalization.Code);
        using var paperGram = GramMatrix.Compute(style, LossNormalization.Paper);

        using var code = StyleLoss.Compute(codeGram, features, LossNormalization.Code);
        using var paper = StyleLoss.Compute(paperGram, features, LossNormalization.Paper);

        Assert.Equal(4.0, code.item<double>() / paper.item<double>(), 12);
    }
}

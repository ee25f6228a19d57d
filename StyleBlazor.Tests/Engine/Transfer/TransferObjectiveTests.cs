using StyleBlazor.Engine.Transfer;
using StyleBlazor.Tests.Engine.Losses;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace StyleBlazor.Tests.Engine.Transfer;

public class TransferObjectiveTests(ITestOutputHelper output)
{
    // "Images" of 2 channels × 2 × 3: the known-features backbone does not care about 3 colour channels.
    const int C = 2, H = 2, W = 3;

    static Tensor Map(double[] values) => tensor(values, [1, C, H, W], ScalarType.Float64);

    static double StyleByHand(double[] styleFeatures, double[] features, LossNormalization n) => n == LossNormalization.Code
        ? HandComputed.StyleLossCode(HandComputed.GramCode(styleFeatures, C, H, W), features, C, H, W)
        : HandComputed.StyleLossPaper(HandComputed.GramPaper(styleFeatures, C, H, W), features, C, H, W);

    static double ContentByHand(double[] target, double[] features, LossNormalization n) => n == LossNormalization.Code
        ? HandComputed.ContentLossCode(target, features)
        : HandComputed.ContentLossPaper(target, features, C, H, W);

    [Theory]
    [InlineData(LossNormalization.Code)]
    [InlineData(LossNormalization.Paper)]
    public void WeightedStyleSumAndTotalMatchTheHandComputedFormulas(LossNormalization normalization)
    {
        var content = HandComputed.Random(C * H * W, seed: 11, scale: 2);
        var style = HandComputed.Random(C * H * W, seed: 12, scale: 2);
        var image = HandComputed.Random(C * H * W, seed: 13, scale: 2);
        var options = new StyleTransferOptions
        {
            ContentLayer = "plain",
            StyleLayers = [new("squared", 0.25), new("shifted", 0.75)],
            ContentWeight = 3,
            StyleWeight = 0.5,
            TotalVariationWeight = 0.1,
            Normalization = normalization,
        };

        // By hand: (2) on plain, (3) on squared and shifted, (4) with λ = 0.25 / 0.75, (5) plus the TV term.
        double jc = ContentByHand(content, image, normalization);
        double js1 = StyleByHand(HandComputed.Map(style, KnownFeaturesBackbone.Squared), HandComputed.Map(image, KnownFeaturesBackbone.Squared), normalization);
        double js2 = StyleByHand(HandComputed.Map(style, KnownFeaturesBackbone.Shifted), HandComputed.Map(image, KnownFeaturesBackbone.Shifted), normalization);
        double js = 0.25 * js1 + 0.75 * js2;
        double tv = HandComputed.TotalVariation(image, C, H, W);
        double j = 3 * jc + 0.5 * js + 0.1 * tv;

        using var scope = NewDisposeScope();
        using var objective = new TransferObjective(new KnownFeaturesBackbone(), Map(content), [(Map(style), 1.0)], options);
        var (total, parts) = objective.Evaluate(Map(image));

        Assert.Equal(j, total.item<double>(), 1e-12 * j);
        var expectedParts = new[] { jc, js, tv, js1, js2 };
        var actualParts = parts.data<double>().ToArray();
        for (int i = 0; i < expectedParts.Length; i++)
            Assert.Equal(expectedParts[i], actualParts[i], 1e-12 * expectedParts[i]);
    }

    [Fact]
    public void BlendedStyleTargetIsTheWeightedMixOfTheStylesGramMatrices()
    {
        var content = HandComputed.Random(C * H * W, seed: 21);
        var styleA = HandComputed.Random(C * H * W, seed: 22, scale: 3);
        var styleB = HandComputed.Random(C * H * W, seed: 23, scale: 3);
        var image = HandComputed.Random(C * H * W, seed: 24);
        var options = new StyleTransferOptions
        {
            ContentLayer = "plain",
            StyleLayers = [new("plain", 1)],
            ContentWeight = 0,
            StyleWeight = 1,
        };

        var gramA = HandComputed.GramCode(styleA, C, H, W);
        var gramB = HandComputed.GramCode(styleB, C, H, W);
        var blended = new double[C, C];
        for (int a = 0; a < C; a++)
            for (int b = 0; b < C; b++)
                blended[a, b] = 0.3 * gramA[a, b] + 0.7 * gramB[a, b];
        double expected = HandComputed.StyleLossCode(blended, image, C, H, W);

        using var scope = NewDisposeScope();
        using var objective = new TransferObjective(new KnownFeaturesBackbone(), Map(content), [(Map(styleA), 0.3), (Map(styleB), 0.7)], options);
        var (total, _) = objective.Evaluate(Map(image));

        Assert.Equal(expected, total.item<double>(), 1e-12 * expected);
    }

    [Theory]
    // α and β are chosen so that αJ_C and βJ_S are of the same order on this network (relative terms start near 1).
    [InlineData(LossNormalization.Code, false, 1e3, 1e-1, 0, 0)]
    [InlineData(LossNormalization.Paper, false, 1e3, 1e-1, 1, 2)]
    [InlineData(LossNormalization.Code, true, 1, 1, 2, 1)]
    public void GradientOfJWithRespectToThePixelsMatchesCentralFiniteDifferences(
        LossNormalization normalization, bool relative, double alpha, double beta, int dy, int dx)
    {
        const int h = 8, w = 8;
        using var backbone = new TinyConvBackbone(seed: 3, dtype: ScalarType.Float64);
        var options = new StyleTransferOptions
        {
            ContentLayer = "conv3",
            StyleLayers = [new("conv1", 0.5), new("conv2", 0.5)],
            ContentWeight = alpha,
            StyleWeight = beta,
            TotalVariationWeight = 1e-3,
            Normalization = normalization,
            RelativeLosses = relative,
        };
        // Preprocessed-looking pixels (roughly −120…135) for content, style and the image being optimised.
        Tensor Pixels(int seed) => tensor(HandComputed.Map(HandComputed.Random(3 * h * w, seed, scale: 127), x => x + 5), [1, 3, h, w], ScalarType.Float64);
        var imageValues = HandComputed.Map(HandComputed.Random(3 * h * w, seed: 33, scale: 127), x => x + 5);

        using var scope = NewDisposeScope();
        using var objective = new TransferObjective(backbone, Pixels(31), [(Pixels(32), 1.0)], options);

        double J(double[] values)
        {
            using var inner = NewDisposeScope();
            using var noGrad = no_grad();
            return objective.Evaluate(tensor(values, [1, 3, h, w], ScalarType.Float64), dy, dx).Total.item<double>();
        }

        var image = tensor(imageValues, [1, 3, h, w], ScalarType.Float64).requires_grad_(true);
        var (total, parts) = objective.Evaluate(image, dy, dx);
        var gradient = autograd.grad([total], [image])[0].data<double>().ToArray();

        // Both terms must matter, or the check would only cover one of them.
        var p = parts.data<double>().ToArray();
        double weightedContent = options.ContentWeight * p[0], weightedStyle = options.StyleWeight * p[1];
        Assert.True(weightedContent / weightedStyle is > 0.05 and < 20, $"αJ_C {weightedContent}, βJ_S {weightedStyle}");

        const double step = 1e-3;
        double worst = 0;
        foreach (int pixel in new[] { 0, 17, 64 + 27, 128 + 36, 128 + 63, 100 })
        {
            var plus = (double[])imageValues.Clone();
            var minus = (double[])imageValues.Clone();
            plus[pixel] += step;
            minus[pixel] -= step;
            double numeric = (J(plus) - J(minus)) / (2 * step);
            double relativeError = Math.Abs(numeric - gradient[pixel]) / Math.Max(Math.Abs(gradient[pixel]), 1e-12);
            worst = Math.Max(worst, relativeError);
            Assert.True(relativeError < 1e-4, $"pixel {pixel}: autograd {gradient[pixel]:R}, finite difference {numeric:R}, relative error {relativeError:E2}");
        }
        output.WriteLine($"largest relative error {worst:E2}");
    }
}

using StyleBlazor.Engine.Transfer;

namespace StyleBlazor.Engine.Backbones;

/// <summary>Default options per backbone: the article's for VGG19, a tuned recipe for the embedded ResNet18.</summary>
public static class BackboneRecipes
{
    /// <summary>The article's code, unchanged: block5_conv2 content, Conv1-1…Conv5-1 style at 1/5, α 1e3, β 1e-2, TF1 Adam.</summary>
    public static StyleTransferOptions ArticleVgg19 { get; } = new();

    /// <summary>
    /// ResNet activations are peaky, so plain Gram transfer gives checkerboards and colour speckle
    /// (docs/RESNET18-PROTOTYPE.md). What removes them: per-term relative losses so weights are comparable,
    /// jitter of up to 7 px, light squared TV, Adam with β1 0.9, and coarse-to-fine at half size first.
    /// Stage 4 is left out of the style taps: it adds grain and doubles the step time.
    /// </summary>
    public static StyleTransferOptions ResNet18 { get; } = new()
    {
        Iterations = 400,
        CoarseIterations = 200,
        MaxSide = 512,
        ContentLayer = "stage3",
        StyleLayers = new[] { "stem", "stage1", "stage2", "stage3" }.Select(l => new StyleLayerWeight(l, 0.25)).ToArray(),
        ContentWeight = 1,
        StyleWeight = 2,
        TotalVariationWeight = 0.005,
        RelativeLosses = true,
        JitterPixels = 7,
        LearningRate = 3,
        Beta1 = 0.9,
        Beta2 = 0.999,
        Epsilon = 1e-8,
        EpsilonHat = false,
    };
}

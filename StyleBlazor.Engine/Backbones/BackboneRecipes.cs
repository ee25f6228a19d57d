using StyleBlazor.Engine.Transfer;

namespace StyleBlazor.Engine.Backbones;

/// <summary>Default options per backbone: the article's for VGG19, a tuned recipe for the embedded ResNet18.</summary>
public static class BackboneRecipes
{
    /// <summary>The article's code, unchanged: block5_conv2 content, Conv1-1…Conv5-1 style at 1/5, α 1e3, β 1e-2, TF1 Adam.</summary>
    public static StyleTransferOptions ArticleVgg19 { get; } = new();

    /// <summary>
    /// The prototype's final recipe (docs/RESNET18-PROTOTYPE.md), reproduced in this engine and checked by eye at 256 and
    /// 512 px on the sample pairs (docs/gallery/). ResNet activations are peaky, so plain Gram transfer gives a
    /// stride-aligned checkerboard and colour speckle; each part below is there to remove them or to make weights mean
    /// something:
    /// <list type="bullet">
    /// <item>Relative losses: every term is divided by its value between content and style at the start, so J starts near
    /// 1 per term and α 1 / β 2 / TV 0.005 are comparable across layers and pictures. The prototype found β 1 subtler and
    /// β above 2 grainy; β 2 clearly shows the style's palette and short strokes while the content stays readable, and
    /// β 3 tried here at 512 px (Colosseum × Great Wave) was barely different, so 2 stays.</item>
    /// <item>Taps stem, stage1, stage2, stage3 at 1/4 each for style, stage3 for content. Stage 4 is left out: it adds
    /// colour grain and doubles the step time for little large-scale texture.</item>
    /// <item>Jitter of 0–7 px (circular shift before each forward pass, content target shifted alike) removes the
    /// stride checkerboard; with the backbone's 3×3 anti-alias blur and a light squared TV (0.005 of the content
    /// image's own TV) the remaining speckle is gone. With jitter J is noisy, so the run returns its last iterates
    /// averaged over about 10 steps, not the lowest J (see StyleTransfer.Run). The average drops the scatter that each
    /// step's random shift leaves in the iterate: J 2.8–5.1 % lower than the last iterate's on the five gallery pairs, the
    /// strokes the same (docs/performance.md, "Time to a good picture", levers, "the result: the last iterates
    /// averaged").</item>
    /// <item>PyTorch-style Adam (β1 0.9 rather than the article's 0.99, ε 1e-8 on the corrected √v̂) with Nesterov
    /// momentum, lr 3 in 0–255 units: converges in a few hundred steps without the overshoot noise of higher rates.
    /// Nesterov's look-ahead gave J 1.4–2.8 % lower than plain Adam's at the same 150 + 125 steps on all five gallery
    /// pairs, and the same J (−0.6 to +0.5 %) in 140 + 110 (the mean of four seeds on each).</item>
    /// <item>Coarse-to-fine (issue 19): 140 steps at half size from the content, then 110 at full size, the last ~10
    /// averaged. A half-size step costs about half a full-size one on the 2-core CPU. With the average and Nesterov this
    /// reaches the J of the earlier 200 + 200 (−3.6 to +2.4 %, the mean of four seeds on each of the five gallery pairs)
    /// and looks the same at full size, for ~60 % of its engine time; plain Adam needed 150 + 125, 200 + 150 before the
    /// average (docs/performance.md, "Time to a good picture"). Cheaper schedules looked worse: 100 + 80 left the red
    /// panda visibly flatter (the paper texture of Ejiri gone from the fur), a quarter-size first stage (50 + 100 + 60)
    /// bent the Colosseum's arches; 125 + 100 with Nesterov ended 0.7–3.9 % above plain Adam's 150 + 125.</item>
    /// <item>Style images keep their own aspect ratio (a portrait painting behind a landscape photo is not stretched),
    /// as in the prototype.</item>
    /// </list>
    /// Known limit: colours and short strokes transfer; large structures (Starry Night's swirls, the Great Wave's curls)
    /// do not, and some of the content's colour survives.
    /// </summary>
    public static StyleTransferOptions ResNet18 { get; } = new()
    {
        Iterations = 250,
        CoarseIterations = 140,
        MaxSide = 512,
        ContentLayer = "stage3",
        StyleLayers = new[] { "stem", "stage1", "stage2", "stage3" }.Select(l => new StyleLayerWeight(l, 0.25)).ToArray(),
        ContentWeight = 1,
        StyleWeight = 2,
        TotalVariationWeight = 0.005,
        RelativeLosses = true,
        StyleKeepsAspect = true,
        JitterPixels = 7,
        AveragedIterates = 10,
        LearningRate = 3,
        Beta1 = 0.9,
        Beta2 = 0.999,
        Epsilon = 1e-8,
        EpsilonHat = false,
        Nesterov = true,
    };
}

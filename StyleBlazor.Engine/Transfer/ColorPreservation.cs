using StyleBlazor.Engine.Backbones;
using TorchSharp;
using static TorchSharp.torch;

namespace StyleBlazor.Engine.Transfer;

/// <summary>
/// Keeping the content's colours, after Gatys, Bethge, Hertzmann &amp; Shechtman, "Controlling Perceptual Factors in Neural
/// Style Transfer" (CVPR 2017), section 5 (<see cref="ContentColors"/> has the maths).
/// </summary>
public enum ColorPreservation
{
    /// <summary>The style's colours transfer with its texture (the article).</summary>
    None,

    /// <summary>
    /// Luminance-only transfer: the network sees the luminance Y of YCbCr (BT.601, full range) replicated to three channels,
    /// for the content, the style (its Y matched in mean and variance to the content's) and the optimised image; the
    /// result is that Y with the content's Cb and Cr.
    /// </summary>
    Luminance,

    /// <summary>
    /// Colour histogram matching: before the transfer, each style image's RGB colours go through the linear map that gives
    /// them the content's colour mean and covariance; the transfer then runs in RGB.
    /// </summary>
    Histogram,
}

/// <summary>
/// The colour maths of <see cref="ColorPreservation"/>. Images are [1,3,H,W] RGB tensors with values 0–255.
/// </summary>
public static class ContentColors
{
    /// <summary>BT.601 luma weights (YCbCr as in JPEG, full range): Y = 0.299 R + 0.587 G + 0.114 B.</summary>
    static readonly double[] LumaWeights = [0.299, 0.587, 0.114];

    /// <summary>Covariance eigenvalues are floored here (in 0–255² units) so a flat style image gives a finite map.</summary>
    const double SmallestVariance = 1e-4;

    /// <summary>The picture the network is given for the content under <paramref name="mode"/>.</summary>
    public static Tensor ContentAsSeen(ColorPreservation mode, Tensor contentRgb) =>
        mode == ColorPreservation.Luminance ? Grey(Luminance(contentRgb)) : contentRgb.alias();

    /// <summary>The picture the network is given for a style image under <paramref name="mode"/>.</summary>
    public static Tensor StyleAsSeen(ColorPreservation mode, Tensor styleRgb, Tensor contentRgb)
    {
        using var scope = NewDisposeScope();
        var seen = mode switch
        {
            ColorPreservation.Luminance => Grey(MatchLuminance(Luminance(styleRgb), Luminance(contentRgb))),
            ColorPreservation.Histogram => MatchColorStatistics(styleRgb, contentRgb),
            _ => styleRgb.alias(),
        };
        return seen.MoveToOuterDisposeScope();
    }

    /// <summary>Y = 0.299 R + 0.587 G + 0.114 B, as [1,1,H,W].</summary>
    public static Tensor Luminance(Tensor rgb)
    {
        using var scope = NewDisposeScope();
        using var weights = tensor(LumaWeights, dtype: rgb.dtype, device: rgb.device).view(1, 3, 1, 1);
        return rgb.mul(weights).sum(1, keepdim: true).MoveToOuterDisposeScope();
    }

    /// <summary>A [1,1,H,W] luminance as a grey RGB picture (R = G = B = Y).</summary>
    public static Tensor Grey(Tensor luminance) => luminance.expand(-1, 3, -1, -1).contiguous();

    /// <summary>
    /// The paper's luminance matching before a luminance-only transfer: L_S' = σ_C/σ_S (L_S − μ_S) + μ_C, so the style's
    /// luminance has the content's mean and standard deviation.
    /// </summary>
    public static Tensor MatchLuminance(Tensor styleLuminance, Tensor contentLuminance)
    {
        using var scope = NewDisposeScope();
        var (sigmaS, muS) = std_mean(styleLuminance, unbiased: false);
        var (sigmaC, muC) = std_mean(contentLuminance, unbiased: false);
        return styleLuminance.sub(muS).mul(sigmaC.div(sigmaS.clamp_min(1e-6))).add(muC).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// <paramref name="rgb"/>'s luminance with <paramref name="contentRgb"/>'s chroma (Cb and Cr of YCbCr, BT.601, full
    /// range). Cb and Cr are linear in RGB with rows that sum to 0 and Y's weights sum to 1, so this is the content plus
    /// (Y − Y_content) on every channel. Where that would leave 0–255, the luminance is clipped instead, to the nearest value
    /// at which the content's chroma fits: the colours stay the content's exactly.
    /// </summary>
    public static Tensor WithContentChroma(Tensor rgb, Tensor contentRgb)
    {
        using var scope = NewDisposeScope();
        var shift = Luminance(rgb).sub(Luminance(contentRgb));
        var (lowest, highest) = (contentRgb.amin([1], keepdim: true), contentRgb.amax([1], keepdim: true));
        shift = shift.clamp(lowest.neg(), highest.neg().add(255));
        return contentRgb.add(shift).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// The network-space view of <paramref name="input"/> that keeps only its luminance: deprocess, Y, grey, preprocess
    /// (differentiable, so J of the view is J of the image's luminance alone).
    /// </summary>
    public static Tensor LuminanceOnly(Tensor input, ImagePreprocessing preprocessing)
    {
        using var scope = NewDisposeScope();
        var grey = preprocessing.Preprocess(Grey(Luminance(preprocessing.Deprocess(input))));
        if (ImageTensors.IsChannelsLast(input)) grey = ImageTensors.ToChannelsLast(grey);
        return grey.MoveToOuterDisposeScope();
    }

    /// <summary>
    /// The paper's colour histogram matching: x' = A x + b for every style pixel x, with b = μ_C − A μ_S and
    /// A = Σ_C^½ Σ_S^−½ by symmetric eigen square roots (the paper's image-analogies variant; the other is Cholesky
    /// factors, L_C L_S^−1), so that A Σ_S Aᵀ = Σ_C and the style's colour mean and covariance are the content's. Computed in float64; values are not clipped to 0–255, which would move the statistics off again.
    /// </summary>
    public static Tensor MatchColorStatistics(Tensor styleRgb, Tensor contentRgb)
    {
        using var scope = NewDisposeScope();
        var (muS, sigmaS) = MeanAndCovariance(styleRgb);
        var (muC, sigmaC) = MeanAndCovariance(contentRgb);
        var a = SymmetricPower(sigmaC, 0.5).matmul(SymmetricPower(sigmaS, -0.5));
        var pixels = styleRgb.to(ScalarType.Float64).reshape(3, -1);
        var matched = a.matmul(pixels.sub(muS)).add(muC);
        return matched.reshape(styleRgb.shape).to(styleRgb.dtype).MoveToOuterDisposeScope();
    }

    /// <summary>Per-channel mean [3,1] and the 3×3 covariance (population) of an image's colours, in float64.</summary>
    public static (Tensor Mean, Tensor Covariance) MeanAndCovariance(Tensor rgb)
    {
        using var scope = NewDisposeScope();
        var pixels = rgb.to(ScalarType.Float64).reshape(3, -1);
        var mean = pixels.mean([1], keepdim: true);
        var centred = pixels.sub(mean);
        var covariance = centred.matmul(centred.t()).div(pixels.shape[1]);
        return (mean.MoveToOuterDisposeScope(), covariance.MoveToOuterDisposeScope());
    }

    /// <summary>Σ^p of a symmetric positive semi-definite matrix by its eigendecomposition, eigenvalues floored.</summary>
    static Tensor SymmetricPower(Tensor sigma, double power)
    {
        var (values, vectors) = linalg.eigh(sigma);
        var scaled = vectors.mul(values.clamp_min(SmallestVariance).pow(power).unsqueeze(0));
        return scaled.matmul(vectors.t());
    }
}

using StyleBlazor.Engine.Transfer;
using static TorchSharp.torch;

namespace StyleBlazor.Engine.Losses;

/// <summary>Content loss (2) between the target features t and the features p of the image being optimised.</summary>
public static class ContentLoss
{
    /// <summary>
    /// Paper: J_C = Σ(t − p)² / (4·nH·nW·nC). Code: mean((t − p)²), which is 4× the paper value.
    /// </summary>
    public static Tensor Compute(Tensor target, Tensor features, LossNormalization normalization)
    {
        using var diff = features - target;
        var mean = diff.square().mean();
        return normalization == LossNormalization.Code ? mean : mean.div_(4);
    }
}

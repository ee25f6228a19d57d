using StyleBlazor.Engine.Transfer;
using static TorchSharp.torch;

namespace StyleBlazor.Engine.Losses;

/// <summary>Style loss of one layer (3) between the style image's Gram matrix and the optimised image's.</summary>
public static class StyleLoss
{
    /// <summary>
    /// <paramref name="targetGram"/> is G^s from <see cref="GramMatrix.Compute"/> with the same normalisation;
    /// <paramref name="features"/> is the optimised image's [1,nC,nH,nW] map.
    /// Paper: J_S^(l) = Σ(G^p − G^s)² / (4·nC²·(nH·nW)²). Code: mean((G^p − G^s)²) with G already divided by nH·nW,
    /// which is 4× the paper value.
    /// </summary>
    public static Tensor Compute(Tensor targetGram, Tensor features, LossNormalization normalization)
    {
        using var gram = GramMatrix.Compute(features, normalization);
        using var diff = gram - targetGram;
        if (normalization == LossNormalization.Code)
            return diff.square().mean();

        double c = features.shape[1], positions = features.shape[2] * features.shape[3];
        return diff.square().sum().div_(4 * c * c * positions * positions);
    }
}

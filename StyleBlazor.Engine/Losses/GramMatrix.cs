using StyleBlazor.Engine.Transfer;
using static TorchSharp.torch;

namespace StyleBlazor.Engine.Losses;

/// <summary>The Gram matrix of a feature map: F reshaped to nC × (nH·nW), G = F·Fᵀ (channel-by-channel dot products).</summary>
public static class GramMatrix
{
    /// <summary>
    /// <paramref name="features"/> is [1,nC,nH,nW]. In <see cref="LossNormalization.Code"/> mode G is divided by nH·nW
    /// as the article's code does; in <see cref="LossNormalization.Paper"/> mode it is the plain F·Fᵀ of (3).
    /// </summary>
    public static Tensor Compute(Tensor features, LossNormalization normalization)
    {
        long c = features.shape[1], positions = features.shape[2] * features.shape[3];
        // NHWC storage is already the [nH·nW, nC] matrix Fᵀ: viewing it that way copies nothing, and Fᵀᵀ·Fᵀ = F·Fᵀ.
        // Otherwise one mm on the contiguous [nC, nH·nW] matrix: the cheapest way to get all channel pairs.
        bool channelsLast = ImageTensors.IsChannelsLast(features);
        using var f = channelsLast ? features.permute(0, 2, 3, 1).reshape(positions, c).t() : features.reshape(c, positions);
        var gram = features.requires_grad ? WithOneProductGradient(f) : f.mm(f.t());
        return normalization == LossNormalization.Code ? gram.div_(positions) : gram;
    }

    /// <summary>
    /// F·Fᵀ whose backward costs one product instead of two. Autograd differentiates mm(F, Fᵀ) through both operands:
    /// two [nC,nC]·[nC,nH·nW] products and a sum of two map-sized gradients (≈9 GFLOP and 350 MiB of traffic per VGG19
    /// iteration at 512²). Here F flows only through the left operand, G = F·F̄ᵀ with F̄ = F detached, so ∂/∂F = dG·F̄;
    /// Gᵀ + (G − Ḡ) has the value Gᵀ (= G: the subtraction is exactly zero) and hands G the gradient dG + dGᵀ, which
    /// makes ∂/∂F = (dG + dGᵀ)·F, the exact gradient of F·Fᵀ for any loss.
    /// </summary>
    static Tensor WithOneProductGradient(Tensor f)
    {
        using var fixedF = f.detach();
        using var gram = f.mm(fixedF.t());
        using var frozen = gram.detach();
        using var zero = gram - frozen;
        return gram.t().add(zero);
    }
}

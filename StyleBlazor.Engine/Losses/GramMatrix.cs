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
        Tensor gram;
        if (ImageTensors.IsChannelsLast(features))
        {
            // NHWC storage is already the [nH·nW, nC] matrix Fᵀ: viewing it that way copies nothing, and Fᵀᵀ·Fᵀ = F·Fᵀ.
            using var ft = features.permute(0, 2, 3, 1).reshape(positions, c);
            gram = ft.t().mm(ft);
        }
        else
        {
            // One mm on the contiguous [nC, nH·nW] matrix: the cheapest way to get all channel pairs.
            using var f = features.reshape(c, positions);
            gram = f.mm(f.t());
        }
        return normalization == LossNormalization.Code ? gram.div_(positions) : gram;
    }
}

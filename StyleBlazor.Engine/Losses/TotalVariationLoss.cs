using static TorchSharp.torch;

namespace StyleBlazor.Engine.Losses;

/// <summary>
/// Squared total variation: mean of squared vertical plus mean of squared horizontal neighbour differences.
/// Not in the article; the peers' regulariser against high-frequency noise and checkerboards (ALGORITHM.md).
/// </summary>
public static class TotalVariationLoss
{
    public static Tensor Compute(Tensor image)
    {
        long h = image.shape[2], w = image.shape[3];
        using var scope = NewDisposeScope();
        var vertical = (image[.., .., 1.., ..] - image[.., .., ..(int)(h - 1), ..]).square().mean();
        var horizontal = (image[.., .., .., 1..] - image[.., .., .., ..(int)(w - 1)]).square().mean();
        return (vertical + horizontal).MoveToOuterDisposeScope();
    }
}

using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;

namespace StyleBlazor.Engine.Transfer;

/// <summary>Loss values of one iteration: J of (5), the unweighted J_C (2) and J_S (4), and each J_S^(l) of (3).</summary>
public sealed record LossValues(
    double Total,
    double Content,
    double Style,
    double TotalVariation,
    IReadOnlyDictionary<string, double> StyleLayers);

/// <summary>An RGB image as packed bytes (R,G,B per pixel, row by row).</summary>
public sealed record RgbFrame(int Width, int Height, byte[] Pixels)
{
    public Image<Rgb24> ToImage() => Image.LoadPixelData<Rgb24>(Pixels, Width, Height);
}

/// <summary>
/// Reported once per iteration. Iteration 0 is the initial image; iteration k is the image after k steps.
/// <see cref="Frame"/> is set when this iteration improved on the best loss so far (and a frame was wanted).
/// </summary>
public sealed record TransferProgress(
    int Iteration,
    int TotalIterations,
    LossValues Loss,
    TimeSpan Elapsed,
    bool Improved,
    RgbFrame? Frame)
{
    /// <summary>The stage this iteration belongs to: its size and steps (a coarse-to-fine run has several).</summary>
    public TransferStage? Stage { get; init; }

    /// <summary>
    /// The engine's estimate of the time left until the final image, knowing the stages still to come (their steps cost
    /// more than the ones so far): null until a step has been timed, zero at the final report.
    /// </summary>
    public TimeSpan? Remaining { get; init; }
}

/// <summary>The outcome of a run: the best image and its loss.</summary>
public sealed record TransferResult(RgbFrame BestImage, int BestIteration, LossValues BestLoss, int IterationsRun, TimeSpan Elapsed)
{
    /// <summary>Content targets the run took from a <see cref="ContentTargetCache"/> instead of making them.</summary>
    public int ContentTargetsReused { get; init; }
}

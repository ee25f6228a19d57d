using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;
using StyleBlazor.Jobs;

namespace StyleBlazor.Tests.Support;

/// <summary>Jobs for tests that drive the pipeline's parts by hand.</summary>
public static class TestJobs
{
    /// <summary>A waiting job of <paramref name="owner"/> with two 4×4 pictures, for the fast test backbone.</summary>
    public static StyleTransferJob Waiting(string owner = "owner", string? address = null) =>
        new(new JobTicket(StyleTransferJob.NewId(), new Requester(owner, address), TestBackboneCatalog.Fast, TestBackboneCatalog.Defaults,
            DateTimeOffset.UnixEpoch, new Image<Rgb24>(4, 4), [new Image<Rgb24>(4, 4)]));
}

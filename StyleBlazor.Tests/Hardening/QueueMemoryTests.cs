using System.Diagnostics;
using Microsoft.Extensions.DependencyInjection;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;
using StyleBlazor.Identity;
using StyleBlazor.Jobs;
using StyleBlazor.Tests.Support;
using static StyleBlazor.Tests.Support.StyleBlazorApplication;

namespace StyleBlazor.Tests.Hardening;

/// <summary>
/// A full queue of large uploads: every waiting job keeps its pictures at no more than 2 × Engine:MaxSide a side, so the
/// queue's pictures are bounded by capacity × (1 + styles) × (2 × MaxSide)² × 3 bytes, and the process grows by little
/// more than that. Measured alone (the process's memory is the measure), after the tests that run in parallel.
/// </summary>
[Collection(MeasuredAlone.Name)]
public class QueueMemoryTests(Xunit.Abstractions.ITestOutputHelper output)
{
    const int Capacity = 20, MaxSide = 1024, KeepSide = 2 * MaxSide;

    [Fact]
    public async Task AFullQueueOfTwelveMegapixelUploadsHoldsOnlyTheKeptSizeAndTheProcessStaysUnderItsBound()
    {
        await using var app = new StyleBlazorApplication(
            ("Engine:QueueCapacity", $"{Capacity}"), ("Engine:MaxSide", $"{MaxSide}"),
            ("Engine:MaxQueuedPerOwner", $"{Capacity + 1}"), ("Engine:MaxQueuedPerAddress", $"{Capacity + 1}"),
            ("Limits:SubmissionsPerMinutePerSession", "1000"), ("Limits:SubmissionsPerMinutePerAddress", "1000"));
        var owner = new ProgressRecorder(await app.ConnectAsync(BrowserSession.NewId()));
        // The engine is busy with a long job, so every later one waits in the queue.
        var busy = await owner.SubmitAsync(TinyJob(TestBackboneCatalog.Slow, iterations: 2000));
        var running = app.Jobs.Find(busy.JobId!)!;
        await Eventually(() => running.State == JobState.Running, "the long job to start");
        var photo = LargePhoto(4000, 3000); // 12 megapixels, a small PNG
        long before = SettledWorkingSet();

        var replies = new List<StyleBlazor.Hubs.SubmitReply>();
        for (int i = 0; i < Capacity; i++)
            replies.Add(await owner.SubmitAsync(new() { Content = photo, Styles = [Png(30, 30, seed: i)], Options = new() { Backbone = TestBackboneCatalog.Fast, Iterations = 2 } }));
        var overflow = await owner.SubmitAsync(new() { Content = photo, Styles = [Png(30, 30, seed: 99)], Options = new() { Backbone = TestBackboneCatalog.Fast } });
        long after = SettledWorkingSet();

        Assert.All(replies, r => Assert.True(r.Accepted, r.Message));
        Assert.Equal(nameof(SubmissionRefusal.QueueFull), overflow.Refusal);
        var waiting = replies.Select(r => app.Jobs.Find(r.JobId!)!).ToList();
        Assert.All(waiting, job => Assert.Equal((KeepSide, KeepSide * 3 / 4), (job.Content.Width, job.Content.Height)));
        long held = waiting.Sum(job => PixelBytes(job.Content) + job.Styles.Sum(PixelBytes));
        // The bound for one style each: 20 × (2048² + 30²) × 3 bytes = 252 MB; these 4:3 pictures hold 189 MB.
        long bound = Capacity * (KeepSide * (long)KeepSide + 30 * 30) * 3;
        Assert.InRange(held, 0, bound);
        Assert.Equal(Capacity * (2048L * 1536 * 3 + 30 * 30 * 3), held);
        // Kept at full size they would be 20 × 36 MB = 720 MB. The process may add its decode buffers to what the jobs hold.
        long grown = after - before;
        output.WriteLine($"queued pictures {held / 1e6:0.0} MB (bound {bound / 1e6:0.0} MB); working set {before / 1e6:0} -> {after / 1e6:0} MB, grown {grown / 1e6:0.0} MB");
        Assert.True(grown < held + 250_000_000, $"The process grew by {grown / 1e6:0} MB for {held / 1e6:0} MB of queued pictures.");

        await owner.CancelAsync(busy.JobId!);
    }

    static long PixelBytes(Image<Rgb24> image) => (long)image.Width * image.Height * 3;

    static long SettledWorkingSet()
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
        using var process = Process.GetCurrentProcess();
        return process.WorkingSet64;
    }

    /// <summary>A picture of four flat quarters: large in pixels, a few kilobytes as PNG.</summary>
    static byte[] LargePhoto(int width, int height)
    {
        using var image = new Image<Rgb24>(width, height, new Rgb24(40, 90, 160));
        image.ProcessPixelRows(rows =>
        {
            for (int y = 0; y < rows.Height; y++)
            {
                var row = rows.GetRowSpan(y);
                for (int x = y < height / 2 ? width / 2 : 0; x < width / 2 + (y < height / 2 ? width / 2 : 0); x++) row[x] = new Rgb24(230, 200, 60);
            }
        });
        using var png = new MemoryStream();
        image.SaveAsPng(png);
        return png.ToArray();
    }
}

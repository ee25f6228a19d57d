using Microsoft.Extensions.DependencyInjection;
using StyleBlazor.Explore;
using StyleBlazor.Identity;
using StyleBlazor.Jobs;
using StyleBlazor.Results;
using StyleBlazor.Tests.Support;
using static StyleBlazor.Tests.Support.StyleBlazorApplication;

namespace StyleBlazor.Tests.Explore;

/// <summary>The explorer against the real app in memory, with the tiny test backbones (conv1: 4, conv2: 6, conv3: 8 channels).</summary>
public class LayerExplorerTests
{
    static async Task<StyleTransferJob> RunAsync(StyleBlazorApplication app, string backbone = TestBackboneCatalog.Fast, int? iterations = null)
    {
        var owner = new ProgressRecorder(await app.ConnectAsync(BrowserSession.NewId()));
        var reply = await owner.SubmitAsync(TinyJob(backbone, iterations));
        return app.Jobs.Find(reply.JobId!)!;
    }

    [Fact]
    public async Task AFinishedJobsResultShowsEachLayersStrongestMapsAndGramMatrix()
    {
        await using var app = new StyleBlazorApplication();
        var job = await RunAsync(app);
        await Eventually(() => job.IsFinished, "the job to finish");
        var explorer = app.Services.GetRequiredService<LayerExplorer>();

        var source = await explorer.OpenJobAsync(job.Id);
        var conv2 = await explorer.InspectAsync(source, PictureKind.Result, "conv2");
        var content = await explorer.InspectAsync(source, PictureKind.Content, "conv1");

        Assert.Equal(JobState.Completed, source.State);
        // The result is 32 × 24 (the recipe's 32 px); conv2 comes after a 2 × 2 pool. Six channels: six tiles, all of them.
        Assert.Equal((32, 24), (conv2.InputSize.Width, conv2.InputSize.Height));
        Assert.Equal((6, 16, 12), (conv2.Channels, conv2.Width, conv2.Height));
        Assert.Equal(6, conv2.Maps.Count);
        Assert.Equal(conv2.Maps.Select(m => m.Mean).OrderByDescending(m => m), conv2.Maps.Select(m => m.Mean));
        Assert.Equal((6, 6, 1), (conv2.Gram.Width, conv2.Gram.Height, conv2.Gram.Block));
        Assert.StartsWith("data:image/png;base64,", conv2.Gram.DataUrl);
        Assert.True(conv2.Gram.Max > conv2.Gram.Min);
        Assert.Equal(4, content.Maps.Count);
        // Asked again, it comes from the cache.
        Assert.Same(conv2, await explorer.InspectAsync(await explorer.OpenJobAsync(job.Id), PictureKind.Result, "conv2"));
    }

    [Fact]
    public async Task AgainstTheStyleEachStyleLayersShareOfFormulaFourAddsUpToOne()
    {
        await using var app = new StyleBlazorApplication();
        var job = await RunAsync(app);
        await Eventually(() => job.IsFinished, "the job to finish");
        var explorer = app.Services.GetRequiredService<LayerExplorer>();
        var source = await explorer.OpenJobAsync(job.Id);

        var conv1 = await explorer.CompareWithStyleAsync(source, "conv1");
        var conv3 = await explorer.CompareWithStyleAsync(source, "conv3");

        // conv1 and conv2 are the recipe's style layers (λ 0.5 each); conv3 is not one, so it has no term in (4).
        Assert.Equal(["conv1", "conv2"], conv1.Terms.Select(t => t.Layer));
        Assert.Equal(1, conv1.Terms.Sum(t => t.Share), 1e-9);
        Assert.Equal(0.5, conv1.Term!.Weight);
        Assert.Equal(conv1.Loss, conv1.Term.Loss);
        Assert.True(conv1.Loss > 0);
        Assert.Null(conv3.Term);
        Assert.True(conv3.Loss > 0);
        Assert.True(conv1.Difference.Diverging);
        Assert.Equal(-conv1.Difference.Min, conv1.Difference.Max);
        // Both Gram matrices share one colour range.
        Assert.Equal((conv1.StyleGram.Min, conv1.StyleGram.Max), (conv1.ResultGram.Min, conv1.ResultGram.Max));
        // The run's own split comes from its last iteration's J_S^(l).
        Assert.Equal(["conv1", "conv2"], conv1.RunTerms.Select(t => t.Layer));
        Assert.Equal(job.LossHistory()[^1].StyleLayers["conv1"], conv1.RunTerms[0].Loss);
    }

    [Fact]
    public async Task ARunningJobsPicturesAreInspectedBetweenItsIterations()
    {
        await using var app = new StyleBlazorApplication();
        var job = await RunAsync(app, TestBackboneCatalog.Slow, iterations: 400);
        await Eventually(() => job.LatestFrame is not null, "the job's first frame");
        var explorer = app.Services.GetRequiredService<LayerExplorer>();

        var source = await explorer.OpenJobAsync(job.Id);
        int before = job.LossCount;
        var style = await explorer.InspectAsync(source, PictureKind.Style, "conv3");
        var match = await explorer.CompareWithStyleAsync(source, "conv2");

        // The job's one torch thread was busy running it all along: the work went in between two of its iterations.
        Assert.False(job.IsFinished, "the inspections waited for the end of the job");
        Assert.True(source.IsRunning);
        Assert.Equal($"frame-{source.ResultIteration}", source.ResultVersion);
        Assert.Equal(8, style.Maps.Count);
        Assert.True(match.Loss > 0);
        await Eventually(() => job.LossCount > before + 2, "the job to go on");
    }

    [Fact]
    public async Task AnUnknownLayerJobOrLinkAndARevokedLinkAreRefusedWithTheReason()
    {
        await using var app = new StyleBlazorApplication();
        var job = await RunAsync(app);
        await Eventually(() => job.IsFinished && job.ShareLink is not null, "the job to finish and be stored");
        var explorer = app.Services.GetRequiredService<LayerExplorer>();
        var source = await explorer.OpenJobAsync(job.Id);

        var layer = await Assert.ThrowsAsync<ExploreRefusedException>(() => explorer.InspectAsync(source, PictureKind.Result, "block9_conv9"));
        var unknownJob = await Assert.ThrowsAsync<ExploreRefusedException>(() => explorer.OpenJobAsync("no-such-job"));
        var unknownLink = await Assert.ThrowsAsync<ExploreRefusedException>(() => explorer.OpenShareLinkAsync("no-such-token"));
        string token = job.ShareLink!["/r/".Length..];
        var shared = await explorer.OpenShareLinkAsync(token);
        var sharedView = await explorer.InspectAsync(shared, PictureKind.Style, "conv1");
        await app.Services.GetRequiredService<ResultStore>().RevokeAsync(job.ResultId!.Value, job.OwnerId);
        var revoked = await Assert.ThrowsAsync<ExploreRefusedException>(() => explorer.OpenShareLinkAsync(token));
        var revokedJob = await Assert.ThrowsAsync<ExploreRefusedException>(() => explorer.OpenJobAsync(job.Id));

        Assert.Equal(ExploreRefusal.UnknownLayer, layer.Reason);
        Assert.Contains("'block9_conv9'", layer.Message);
        Assert.Contains("conv1, conv2, conv3", layer.Message);
        Assert.Equal(ExploreRefusal.UnknownJob, unknownJob.Reason);
        Assert.Equal(ExploreRefusal.UnknownLink, unknownLink.Reason);
        Assert.Equal(4, sharedView.Maps.Count); // from the stored 256 px thumbnail
        Assert.Equal(ExploreRefusal.LinkWithdrawn, revoked.Reason);
        Assert.Equal(ExploreRefusal.UnknownJob, revokedJob.Reason); // a revoked result takes its job's pages with it
    }
}

using Microsoft.Extensions.DependencyInjection;
using StyleBlazor.Identity;
using StyleBlazor.Extensions;
using StyleBlazor.Jobs;
using StyleBlazor.Tests.Support;
using static StyleBlazor.Tests.Support.StyleBlazorApplication;

namespace StyleBlazor.Tests.Jobs;

/// <summary>The backbone host hands freed native memory back once no torch work has run for a while.</summary>
public class BackboneHostTests
{
    [Fact]
    public async Task FreedMemoryIsHandedBackOncePerIdleSpell()
    {
        await using var app = new StyleBlazorApplication(("Engine:ReleaseFreedMemoryAfterIdle", "00:00:00.300"));
        var owner = new ProgressRecorder(await app.ConnectAsync(BrowserSession.NewId()));
        var engine = app.Services.GetRequiredService<BackboneHost>();
        await Eventually(() => engine.MemoryReleases == 1, "the warm-up's memory to be handed back");

        var reply = await owner.SubmitAsync(TinyJob(TestBackboneCatalog.Slow, iterations: 500));
        var job = app.Jobs.Find(reply.JobId!)!;
        await Eventually(() => job.LossCount >= 2, "the job to run");
        await Task.Delay(900); // three idle periods' worth, but a job runs
        Assert.Equal(1, engine.MemoryReleases);
        Assert.False(job.IsFinished);

        Assert.True(await owner.CancelAsync(job.Id));
        await Eventually(() => engine.MemoryReleases == 2, "the memory to go back after the job");
        await Task.Delay(900);
        Assert.Equal(2, engine.MemoryReleases);
    }

    [Fact]
    public async Task AZeroIdleTimeKeepsFreedMemory()
    {
        await using var app = new StyleBlazorApplication(("Engine:ReleaseFreedMemoryAfterIdle", "00:00:00"));
        var owner = new ProgressRecorder(await app.ConnectAsync(BrowserSession.NewId()));
        var job = app.Jobs.Find((await owner.SubmitAsync(TinyJob())).JobId!)!;
        await Eventually(() => job.IsFinished, "the job to end");

        await Task.Delay(500);

        Assert.Equal(0, app.Services.GetRequiredService<BackboneHost>().MemoryReleases);
    }
}

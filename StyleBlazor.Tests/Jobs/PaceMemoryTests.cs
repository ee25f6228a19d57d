using Microsoft.Extensions.DependencyInjection;
using StyleBlazor.Engine.Transfer;
using StyleBlazor.Identity;
using StyleBlazor.Jobs;
using StyleBlazor.Tests.Support;
using static StyleBlazor.Tests.Support.StyleBlazorApplication;

namespace StyleBlazor.Tests.Jobs;

/// <summary>What the ETA learned of a backbone's steps outlives the process, in the data directory (<see cref="PaceMemory"/>).</summary>
public sealed class PaceMemoryTests : IDisposable
{
    readonly string _data = Directory.CreateTempSubdirectory("styleblazor-pace-").FullName;

    public void Dispose() => Directory.Delete(_data, recursive: true);

    string PaceFile => Path.Combine(_data, "engine", PaceMemory.FileName(TestBackboneCatalog.Fast, "CPU", Environment.MachineName));

    async Task LeaveAsAnEarlierProcessAsync(string text)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(PaceFile)!);
        await File.WriteAllTextAsync(PaceFile, text);
    }

    static Task<IReadOnlyList<double>> LearnedAsync(StyleBlazorApplication app) =>
        app.Services.GetRequiredService<BackboneHost>().RunBetweenIterationsAsync(TestBackboneCatalog.Fast, RemainingTimeEstimate.LearnedBy);

    [Fact]
    public async Task WhatAJobLeavesIsKeptAndTheBackboneStartsFromItAfterARestart()
    {
        await LeaveAsAnEarlierProcessAsync("[12000,30000]"); // the P₀ of its last two runs

        await using (var first = new StyleBlazorApplication(_data))
        {
            var owner = new ProgressRecorder(await first.ConnectAsync(BrowserSession.NewId()));
            Assert.Equal([12000, 30000], await LearnedAsync(first));

            File.Delete(PaceFile);
            var job = first.Jobs.Find((await owner.SubmitAsync(TinyJob())).JobId!)!;
            await Eventually(() => job.IsFinished && File.Exists(PaceFile), "the job to end and its backbone's pace to be kept");
        }

        await using var restarted = new StyleBlazorApplication(_data);
        _ = restarted.Server; // starts the host, which loads the default backbone
        Assert.Equal([12000, 30000], await LearnedAsync(restarted));
    }

    [Fact]
    public async Task AJobThatLearnedNothingNewLeavesTheFileAsItWas()
    {
        await LeaveAsAnEarlierProcessAsync("[12000,30000]");
        var longAgo = new DateTime(2020, 1, 1, 0, 0, 0, DateTimeKind.Utc);
        File.SetLastWriteTimeUtc(PaceFile, longAgo);

        await using (var app = new StyleBlazorApplication(_data))
        {
            var owner = new ProgressRecorder(await app.ConnectAsync(BrowserSession.NewId()));
            var job = app.Jobs.Find((await owner.SubmitAsync(TinyJob())).JobId!)!; // one size: no P₀ to learn
            await Eventually(() => job.IsFinished, "the job to end");
        } // stopped: the host has kept what its jobs learned

        Assert.Equal(longAgo, File.GetLastWriteTimeUtc(PaceFile));
        Assert.Equal("[12000,30000]", await File.ReadAllTextAsync(PaceFile));
    }

    [Theory]
    [InlineData("[]", false)]
    [InlineData("[-1]", false)] // nothing that could be a P₀
    [InlineData("{ not json", true)]
    public async Task AFileWithNothingUsableLeavesTheAppsPriorSaysWhyWhenUnreadableAndJobsStillRun(string text, bool unreadable)
    {
        await LeaveAsAnEarlierProcessAsync(text);

        await using var app = new StyleBlazorApplication(_data);
        var owner = new ProgressRecorder(await app.ConnectAsync(BrowserSession.NewId()));
        var job = app.Jobs.Find((await owner.SubmitAsync(TinyJob())).JobId!)!;
        await Eventually(() => job.IsFinished, "the job to end");

        Assert.Equal(JobState.Completed, job.State);
        Assert.Empty(await LearnedAsync(app));
        Assert.Equal(FirstJobFixedPixels(app), await StartingFixedPixelsAsync(app));
        Assert.Equal(unreadable, app.Logs.Entries.Any(e => e.Message.StartsWith("ETA: could not read") && e.Message.Contains(PaceFile)));
    }

    [Fact]
    public async Task AMachineThatHasRunNoJobStartsFromTheAppsPriorAndOneThatHasFromWhatItLearned()
    {
        await using (var fresh = new StyleBlazorApplication(_data))
        {
            _ = fresh.Server;
            Assert.Equal(FirstJobFixedPixels(fresh), await StartingFixedPixelsAsync(fresh));
        }

        await LeaveAsAnEarlierProcessAsync("[12000,30000,90000]");
        await using var restarted = new StyleBlazorApplication(_data);
        _ = restarted.Server;
        Assert.Equal(30000, await StartingFixedPixelsAsync(restarted)); // the median
    }

    [Fact]
    public async Task TheLongerWarmUpLeavesAFreshMachineOnTheAppsPrior()
    {
        // As shipped, with a coarse-to-fine recipe: its steps past the first two run at one size, so they measure no
        // fixed part to learn.
        await using var app = new StyleBlazorApplication(_data, ("Engine:WarmUpSteps", "40"),
            ("Logging:LogLevel:StyleBlazor.Jobs.BackboneHost", "Information"))
        {
            Catalog = new TestBackboneCatalog { FastRecipe = TestBackboneCatalog.Defaults with { Iterations = 40, CoarseIterations = 20, MaxSide = 64 } },
        };
        _ = app.Server;

        Assert.Contains(app.Logs.Entries, e => e.Message.Contains("warmed up") && e.Message.Contains("(40 steps; the JIT"));
        Assert.Empty(await LearnedAsync(app));
        Assert.Equal(FirstJobFixedPixels(app), await StartingFixedPixelsAsync(app));
    }

    /// <summary>The app's prior for a machine's first job, which depends on how its OpenMP threads wait (the app tests).</summary>
    static double FirstJobFixedPixels(StyleBlazorApplication app) => app.Services.GetRequiredService<PaceMemory>().FirstJobFixedPixels;

    static Task<double> StartingFixedPixelsAsync(StyleBlazorApplication app) =>
        app.Services.GetRequiredService<BackboneHost>().RunBetweenIterationsAsync(TestBackboneCatalog.Fast, RemainingTimeEstimate.StartingFixedPixels);
}

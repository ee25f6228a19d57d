using Microsoft.Extensions.DependencyInjection;
using StyleBlazor.Engine.Transfer;
using StyleBlazor.Identity;
using StyleBlazor.Jobs;
using StyleBlazor.Tests.Support;
using static StyleBlazor.Tests.Support.StyleBlazorApplication;

namespace StyleBlazor.Tests.Jobs;

/// <summary>What the ETA learned of a backbone's steps outlives the process, in the data directory (<see cref="PaceMemory"/>).</summary>
public class PaceMemoryTests
{
    static string PaceFile(string dataDirectory) =>
        Path.Combine(dataDirectory, "engine", PaceMemory.FileName(TestBackboneCatalog.Fast, "CPU", Environment.MachineName));

    static Task<IReadOnlyList<double>> LearnedAsync(StyleBlazorApplication app) =>
        app.Services.GetRequiredService<BackboneHost>().RunBetweenIterationsAsync(TestBackboneCatalog.Fast, RemainingTimeEstimate.LearnedBy);

    [Fact]
    public async Task WhatAJobLeavesIsKeptAndTheBackboneStartsFromItAfterARestart()
    {
        var data = Directory.CreateTempSubdirectory("styleblazor-pace-").FullName;
        try
        {
            // As an earlier process left it: the P₀ of its last two runs.
            Directory.CreateDirectory(Path.GetDirectoryName(PaceFile(data))!);
            await File.WriteAllTextAsync(PaceFile(data), "[12000,30000]");

            await using (var first = new StyleBlazorApplication(data))
            {
                var owner = new ProgressRecorder(await first.ConnectAsync(BrowserSession.NewId()));
                Assert.Equal([12000, 30000], await LearnedAsync(first));

                File.Delete(PaceFile(data));
                var job = first.Jobs.Find((await owner.SubmitAsync(TinyJob())).JobId!)!;
                await Eventually(() => job.IsFinished && File.Exists(PaceFile(data)), "the job to end and its backbone's pace to be kept");
            }

            await using var restarted = new StyleBlazorApplication(data);
            _ = restarted.Server; // starts the host, which loads the default backbone
            Assert.Equal([12000, 30000], await LearnedAsync(restarted));
        }
        finally
        {
            Directory.Delete(data, recursive: true);
        }
    }

    [Fact]
    public async Task AnUnreadableFileLeavesThePriorSaysWhyAndJobsStillRun()
    {
        var data = Directory.CreateTempSubdirectory("styleblazor-pace-").FullName;
        try
        {
            Directory.CreateDirectory(Path.GetDirectoryName(PaceFile(data))!);
            await File.WriteAllTextAsync(PaceFile(data), "{ not json");

            await using var app = new StyleBlazorApplication(data);
            var owner = new ProgressRecorder(await app.ConnectAsync(BrowserSession.NewId()));
            var job = app.Jobs.Find((await owner.SubmitAsync(TinyJob())).JobId!)!;
            await Eventually(() => job.IsFinished, "the job to end");

            Assert.Equal(JobState.Completed, job.State);
            Assert.Empty(await LearnedAsync(app));
            Assert.Contains(app.Logs.Entries, e => e.Message.StartsWith("ETA: could not read") && e.Message.Contains(PaceFile(data)));
        }
        finally
        {
            Directory.Delete(data, recursive: true);
        }
    }
}

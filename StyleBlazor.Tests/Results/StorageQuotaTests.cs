using System.Net;
using Microsoft.Extensions.DependencyInjection;
using StyleBlazor.Identity;
using StyleBlazor.Jobs;
using StyleBlazor.Results;
using StyleBlazor.Tests.Support;
using static StyleBlazor.Tests.Support.StyleBlazorApplication;

namespace StyleBlazor.Tests.Results;

/// <summary>
/// The results' files stay under Results:MaxStoredBytes: expired results make room first; when there is still none, the
/// job completes without a share link, its owner is told so plainly, and the picture stays downloadable.
/// </summary>
public sealed class StorageQuotaTests : IDisposable
{
    private readonly TempDataDirectory _temp = new();

    public void Dispose() => _temp.Dispose();

    [Fact]
    public async Task APassedQuotaDeletesExpiredResultsFirstAndRefusesWhenOnlyLiveOnesFillIt()
    {
        long size = await SampleResults.StoredBytesOfOneAsync();
        Assert.InRange(size, 1000, 10_000_000);
        // Room for one such result and a half.
        await using var app = new ResultsApplication(_temp.DataDirectory, settings: new Dictionary<string, string?>
        {
            ["Results:MaxStoredBytes"] = $"{size * 3 / 2}",
            ["Results:RetentionDays"] = "1",
            ["Results:CleanupInterval"] = "7.00:00:00", // no sweep of its own during the test
            ["Results:StoreRetryTime"] = "00:00:00", // a fault is not retried on the fake clock (which would wait for ever)
        });

        var first = await app.Sink.SaveAsync(SampleResults.Create(app.Sink));
        var full = await Assert.ThrowsAsync<ResultStorageFullException>(() => app.Sink.SaveAsync(SampleResults.Create(app.Sink)));

        Assert.Equal((size, size, size * 3 / 2), (full.NeededBytes, full.UsedBytes, full.MaxBytes));
        Assert.Equal([app.Files.FolderOf(first.ResultId)], Directory.GetDirectories(app.Files.ResultsRoot)); // nothing half-stored left behind
        Assert.Equal(HttpStatusCode.OK, (await app.CreateBrowser().GetAsync(first.Path)).StatusCode);

        app.Time.Advance(TimeSpan.FromDays(1.5)); // the first result has expired
        var second = await app.Sink.SaveAsync(SampleResults.Create(app.Sink));

        Assert.False(Directory.Exists(app.Files.FolderOf(first.ResultId)));
        Assert.Equal([app.Files.FolderOf(second.ResultId)], Directory.GetDirectories(app.Files.ResultsRoot));
        Assert.Equal(size, await app.Store.StoredBytesAsync());
        Assert.Single(await app.Store.ListForOwnerAsync(SampleResults.Owner));
    }

    [Fact]
    public async Task AJobWhoseResultDoesNotFitCompletesSaysSoAndItsPictureStaysDownloadable()
    {
        await using var app = new StyleBlazorApplication(_temp.DataDirectory, ("Results:MaxStoredBytes", "1"));
        var owner = new ProgressRecorder(await app.ConnectAsync(BrowserSession.NewId()));
        var reply = await owner.SubmitAsync(TinyJob());
        Assert.True(await owner.WatchAsync(reply.JobId!));

        var end = (await owner.WaitForEndAsync()).End!;

        Assert.Equal(JobState.Completed, end.State);
        Assert.Null(end.ShareLink);
        Assert.Equal("This server's storage for results is full, so this picture was not kept and has no share link. "
                     + "Download it now: the server keeps it for 2 hours.", end.Message);
        var png = await app.CreateClient().GetAsync($"/api/jobs/{reply.JobId}/result.png");
        Assert.Equal(HttpStatusCode.OK, png.StatusCode);
        using var image = SixLabors.ImageSharp.Image.Load(await png.Content.ReadAsByteArrayAsync());
        Assert.Equal(TestBackboneCatalog.Defaults.MaxSide, Math.Max(image.Width, image.Height));
        Assert.Empty(Directory.GetDirectories(app.Services.GetRequiredService<ResultFiles>().ResultsRoot));
    }

    [Fact]
    public void SyncingAFolderReachesTheFileSystemAndReportsWhatFails()
    {
        ResultFiles.SyncFolder(_temp.DataDirectory);

        var missing = Path.Combine(_temp.DataDirectory, "no-such-folder");
        var failure = Assert.Throws<IOException>(() => ResultFiles.SyncFolder(missing));
        Assert.Contains($"Could not open {missing} to sync it: No such file or directory", failure.Message);
    }

    [Fact]
    public void ADurableWriteWritesEveryByteAndNeverOverwrites()
    {
        var path = Path.Combine(_temp.DataDirectory, "result.png");
        byte[] data = [1, 2, 3, 4, 5];

        ResultFiles.WriteDurably(path, data);

        Assert.Equal(data, File.ReadAllBytes(path));
        Assert.Throws<IOException>(() => ResultFiles.WriteDurably(path, [9]));
    }
}

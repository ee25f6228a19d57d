using System.Net;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.Formats.Gif;
using StyleBlazor.Results;

namespace StyleBlazor.Tests.Results;

/// <summary>
/// A result's replay GIF is made from its stored frames on the first download, not when its job ends (that held the
/// job's end back by 0.8–1.9 s of quantising), then kept with the result and counted in its bytes.
/// </summary>
public sealed class ProgressionGifTests : IDisposable
{
    private readonly TempDataDirectory _temp = new();

    public void Dispose() => _temp.Dispose();

    [Fact]
    public async Task TheGifIsMadeOnTheFirstDownloadsFromTheStoredFramesThenKeptAndCountedOnce()
    {
        await using var app = new ResultsApplication(_temp.DataDirectory);
        var link = await app.Sink.SaveAsync(SampleResults.Create(app.Sink, frames: 5, width: 400, height: 300));
        var stored = (await app.Store.FindByTokenAsync(link.Token)).Result!;
        var path = app.Files.PathOf(stored, ResultFiles.ProgressionGif);
        long storedBytes = await app.Store.StoredBytesAsync();
        Assert.False(File.Exists(path)); // storing the result made no GIF

        // Four viewers press "Download GIF" at once: one build, one file, counted once.
        var downloads = await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => app.CreateBrowser().GetAsync($"{link.Path}/progression.gif")));
        Assert.All(downloads, d => Assert.Equal(HttpStatusCode.OK, d.StatusCode));
        Assert.All(downloads, d => Assert.Equal("image/gif", d.Content.Headers.ContentType?.MediaType));
        var gifs = await Task.WhenAll(downloads.Select(d => d.Content.ReadAsByteArrayAsync()));
        Assert.All(gifs, g => Assert.Equal(gifs[0], g));

        using var animation = Image.Load(gifs[0]);
        Assert.Equal((320, 240), (animation.Width, animation.Height)); // Results:GifMaxSide
        Assert.Equal(stored.FrameIterations.Count, animation.Frames.Count);
        Assert.Equal(6, animation.Frames.Count); // five improved frames and the final image
        Assert.Equal(0, animation.Metadata.GetGifMetadata().RepeatCount);
        Assert.Equal(15, animation.Frames[0].Metadata.GetGifMetadata().FrameDelay); // Results:GifFrameDelay
        Assert.Equal(150, animation.Frames[^1].Metadata.GetGifMetadata().FrameDelay); // the result, held ten times as long

        Assert.Equal(gifs[0], await File.ReadAllBytesAsync(path));
        Assert.Empty(Directory.GetFiles(app.Files.FolderOf(stored.Id), "*.partial"));
        Assert.Equal(storedBytes + gifs[0].Length, await app.Store.StoredBytesAsync());

        var again = await app.CreateBrowser().GetByteArrayAsync($"{link.Path}/progression.gif");
        Assert.Equal(gifs[0], again);
        Assert.Equal(storedBytes + gifs[0].Length, await app.Store.StoredBytesAsync());
    }

    [Fact]
    public async Task WhenTheStoreIsFullTheGifIsServedButNotKeptOnDiskAndNotMadeTwice()
    {
        long size = await SampleResults.StoredBytesOfOneAsync();
        // Room for the result, not for its GIF as well.
        await using var app = new ResultsApplication(_temp.DataDirectory, settings: new Dictionary<string, string?>
        {
            ["Results:MaxStoredBytes"] = $"{size + 10}",
        });
        var link = await app.Sink.SaveAsync(SampleResults.Create(app.Sink));
        var stored = (await app.Store.FindByTokenAsync(link.Token)).Result!;

        var gif = await app.CreateBrowser().GetByteArrayAsync($"{link.Path}/progression.gif");

        using var animation = Image.Load(gif);
        Assert.Equal(stored.FrameIterations.Count, animation.Frames.Count);
        Assert.False(File.Exists(app.Files.PathOf(stored, ResultFiles.ProgressionGif)));
        Assert.Empty(Directory.GetFiles(app.Files.FolderOf(stored.Id), "*.partial"));
        Assert.Equal(size, await app.Store.StoredBytesAsync());

        // Asked again, it is not made again (its frames are gone now, so a second build would find nothing).
        foreach (var frame in Directory.GetFiles(app.Files.FolderOf(stored.Id), "frame-*")) File.Delete(frame);
        Assert.Equal(gif, await app.CreateBrowser().GetByteArrayAsync($"{link.Path}/progression.gif"));
    }

    [Fact]
    public async Task AResultWhoseFramesAreGoneHasNoGif()
    {
        await using var app = new ResultsApplication(_temp.DataDirectory);
        var link = await app.Sink.SaveAsync(SampleResults.Create(app.Sink));
        var stored = (await app.Store.FindByTokenAsync(link.Token)).Result!;

        Directory.Delete(app.Files.FolderOf(stored.Id), recursive: true); // deleted between its lookup and the download

        Assert.Null(await app.Store.ProgressionGifAsync(stored));
        Assert.Equal(HttpStatusCode.NotFound, (await app.CreateBrowser().GetAsync($"{link.Path}/progression.gif")).StatusCode);
    }
}

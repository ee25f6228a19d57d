using System.Net;
using System.Text;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.Formats.Gif;
using StyleBlazor.Results;

namespace StyleBlazor.Tests.Results;

public sealed class ResultStoreTests : IDisposable
{
    private readonly TempDataDirectory _temp = new();

    public void Dispose() => _temp.Dispose();

    [Fact]
    public async Task DeletingAResultRemovesItsFilesAndItsLinkAnswers404()
    {
        await using var app = new ResultsApplication(_temp.DataDirectory);
        var link = await app.Sink.SaveAsync(SampleResults.Create(app.Sink));
        var folder = app.Files.FolderOf(link.ResultId);
        Assert.NotEmpty(Directory.GetFiles(folder));

        Assert.True(await app.Store.DeleteAsync(link.ResultId, SampleResults.Owner));

        Assert.False(Directory.Exists(folder));
        Assert.Empty(await app.Store.ListForOwnerAsync(SampleResults.Owner));
        Assert.Equal(HttpStatusCode.NotFound, (await app.CreateBrowser().GetAsync(link.Path)).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await app.CreateBrowser().GetAsync($"{link.Path}/result.png")).StatusCode);
    }

    [Fact]
    public async Task TheCleanupServiceDeletesResultsPastTheirRetentionAndKeepsTheRest()
    {
        await using var app = new ResultsApplication(_temp.DataDirectory);
        var old = await app.Sink.SaveAsync(SampleResults.Create(app.Sink));
        app.Time.Advance(TimeSpan.FromDays(20));
        var recent = await app.Sink.SaveAsync(SampleResults.Create(app.Sink));

        // 31 days after the first result, 11 after the second; the service sweeps every hour of the fake clock.
        app.Time.Advance(TimeSpan.FromDays(11));
        var oldFolder = app.Files.FolderOf(old.ResultId);
        for (var i = 0; i < 200 && Directory.Exists(oldFolder); i++)
        {
            app.Time.Advance(TimeSpan.FromHours(1));
            await Task.Delay(50);
        }

        Assert.False(Directory.Exists(oldFolder));
        Assert.Equal(HttpStatusCode.NotFound, (await app.CreateBrowser().GetAsync(old.Path)).StatusCode);
        Assert.True(Directory.Exists(app.Files.FolderOf(recent.ResultId)));
        Assert.Equal(HttpStatusCode.OK, (await app.CreateBrowser().GetAsync(recent.Path)).StatusCode);
    }

    [Fact]
    public async Task TheCleanupRemovesFoldersNoResultRefersTo()
    {
        await using var app = new ResultsApplication(_temp.DataDirectory);
        var orphan = app.Files.FolderOf(Guid.NewGuid());
        Directory.CreateDirectory(orphan);
        await File.WriteAllTextAsync(Path.Combine(orphan, "result.png"), "left by a crash");
        var kept = await app.Sink.SaveAsync(SampleResults.Create(app.Sink));

        app.Time.Advance(TimeSpan.FromHours(2));
        await app.Store.DeleteExpiredAsync();

        Assert.False(Directory.Exists(orphan));
        Assert.True(Directory.Exists(app.Files.FolderOf(kept.ResultId)));
    }

    [Fact]
    public async Task StoredImagesCarryNoMetadataFromAnUploadWithGpsExif()
    {
        using var upload = SampleResults.UploadWithGpsExif();
        Assert.NotNull(upload.Metadata.ExifProfile); // the precondition: the decoded upload still carries its EXIF
        await using var app = new ResultsApplication(_temp.DataDirectory, settings: new Dictionary<string, string?>
        {
            ["Results:KeepUploads"] = "true",
        });
        var link = await app.Sink.SaveAsync(SampleResults.Create(app.Sink, upload: upload));

        var files = Directory.GetFiles(app.Files.FolderOf(link.ResultId));
        Assert.Contains(files, f => f.EndsWith(ResultFiles.ContentUpload));
        foreach (var file in files)
        {
            var bytes = await File.ReadAllBytesAsync(file);
            var text = Encoding.Latin1.GetString(bytes);
            Assert.DoesNotContain("Exif", text);
            Assert.DoesNotContain("eXIf", text);
            Assert.DoesNotContain("SecretPhoneMaker", text);
            using var image = Image.Load(bytes);
            Assert.Null(image.Metadata.ExifProfile);
            Assert.Null(image.Metadata.XmpProfile);
            Assert.Null(image.Metadata.IptcProfile);
        }

        var served = await app.CreateBrowser().GetByteArrayAsync($"{link.Path}/content.jpg");
        Assert.DoesNotContain("Exif", Encoding.Latin1.GetString(served));
    }

    [Fact]
    public async Task TheStoredPngHasTheFinalImagesPixels()
    {
        await using var app = new ResultsApplication(_temp.DataDirectory);
        var result = SampleResults.Create(app.Sink);
        var link = await app.Sink.SaveAsync(result);

        var png = await app.CreateBrowser().GetByteArrayAsync($"{link.Path}/result.png");

        using var image = Image.Load<SixLabors.ImageSharp.PixelFormats.Rgb24>(png);
        var pixels = new byte[image.Width * image.Height * 3];
        image.CopyPixelDataTo(pixels);
        Assert.Equal(result.FinalImage.Pixels, pixels);
    }

    [Fact]
    public async Task TheProgressionIsThinnedToTheFrameLimitAndEndsWithTheFinalImage()
    {
        await using var app = new ResultsApplication(_temp.DataDirectory, settings: new Dictionary<string, string?>
        {
            ["Results:MaxProgressionFrames"] = "4",
        });
        var link = await app.Sink.SaveAsync(SampleResults.Create(app.Sink, frames: 20, iterations: 40));

        var stored = (await app.Store.FindByTokenAsync(link.Token)).Result!;
        Assert.Equal(4, stored.FrameIterations.Count);
        Assert.Equal(0, stored.FrameIterations[0]);
        Assert.Equal(40, stored.FrameIterations[^1]); // the final image, at its best iteration
        Assert.Equal(HttpStatusCode.OK, (await app.CreateBrowser().GetAsync($"{link.Path}/frames/3")).StatusCode);

        var gif = await app.CreateBrowser().GetByteArrayAsync($"{link.Path}/progression.gif");
        using var animation = Image.Load(gif);
        Assert.Equal(4, animation.Frames.Count);
        Assert.Equal(0, animation.Metadata.GetGifMetadata().RepeatCount); // loops
    }

    [Fact]
    public async Task TheProgressionIsThinnedToTheByteLimit()
    {
        await using var app = new ResultsApplication(_temp.DataDirectory, settings: new Dictionary<string, string?>
        {
            ["Results:MaxProgressionBytes"] = (64 * 1024).ToString(),
            ["Results:ProgressionQuality"] = "100",
        });
        // Noise barely compresses: about 10 KB per 96×64 frame at quality 100, so 40 frames are far over 64 KB.
        var link = await app.Sink.SaveAsync(SampleResults.Create(app.Sink, frames: 40, iterations: 40, width: 96, height: 64));

        var stored = (await app.Store.FindByTokenAsync(link.Token)).Result!;
        var folder = app.Files.FolderOf(stored.Id);
        var frameBytes = Directory.GetFiles(folder, "frame-*").Sum(f => new FileInfo(f).Length);
        Assert.InRange(stored.FrameIterations.Count, 2, 40);
        Assert.True(frameBytes <= 64 * 1024, $"{frameBytes} bytes of frames");
        Assert.Equal(40, stored.FrameIterations[^1]);
    }

    [Fact]
    public async Task LossHistoryAndParametersRoundTrip()
    {
        await using var app = new ResultsApplication(_temp.DataDirectory);
        var result = SampleResults.Create(app.Sink, iterations: 10);
        var link = await app.Sink.SaveAsync(result);

        var stored = (await app.Store.FindByTokenAsync(link.Token)).Result!;

        var history = stored.LossHistory();
        Assert.Equal(11, history.Count);
        Assert.Equal(result.LossHistory[5].Total, history[5].Total);
        Assert.Equal(result.LossHistory[5].StyleLayers["block1_conv1"], history[5].StyleLayers["block1_conv1"]);
        Assert.Equal(result.Options.Seed, stored.Options().Seed);
        Assert.Equal(result.Options.StyleLayers.Count, stored.Options().StyleLayers.Count);
        Assert.Equal("vgg19", stored.Backbone);
    }
}

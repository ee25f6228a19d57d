using Microsoft.Extensions.Time.Testing;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.Formats.Png;
using SixLabors.ImageSharp.Metadata.Profiles.Exif;
using SixLabors.ImageSharp.PixelFormats;
using StyleBlazor.Engine.Imaging;
using static StyleBlazor.Tests.Engine.Imaging.Uploads;

namespace StyleBlazor.Tests.Engine.Imaging;

/// <summary>
/// What decoding may hold: a picture is kept at no more than the intake's keep side, and the process decodes at most
/// its budget of megapixels at once; a decode that finds no room waits, then is refused as "server busy".
/// </summary>
public class ImageIntakeBudgetTests
{
    [Theory]
    [InlineData(400, 200, 100, 100, 50)]
    [InlineData(200, 400, 100, 50, 100)]
    [InlineData(4000, 3000, 2048, 2048, 1536)]
    [InlineData(90, 60, 100, 90, 60)] // already small enough: untouched
    public async Task APictureLargerThanTheKeepSideIsKeptScaledDown(int width, int height, int keepSide, int keptWidth, int keptHeight)
    {
        var intake = new ImageIntake(new ImageIntakeOptions(), keepSide);

        using var image = await intake.DecodeAsync(SolidPng(width, height));

        Assert.Equal((keptWidth, keptHeight), (image.Width, image.Height));
        Assert.Equal(new Rgb24(255, 0, 0), image[keptWidth / 2, keptHeight / 2]);
    }

    [Fact]
    public async Task AScaledDownPictureIsStillUprightAndBlendedOverWhite()
    {
        // Stored 64×32 with orientation 6 (turn clockwise): upright it is 32×64, then kept at 16×32.
        using var source = new Image<Rgba32>(64, 32, new Rgba32(0, 0, 255, 0)); // fully transparent blue
        for (var y = 0; y < 16; y++)
            for (var x = 0; x < 16; x++)
                source[x, y] = Red; // the top-left quarter of the stored image is opaque red
        source.Metadata.ExifProfile = new ExifProfile();
        source.Metadata.ExifProfile.SetValue(ExifTag.Orientation, (ushort)6);
        var intake = new ImageIntake(new ImageIntakeOptions(), keepSide: 32);

        using var image = await intake.DecodeAsync(Encode(source, new PngEncoder()));

        Assert.Equal((16, 32), (image.Width, image.Height));
        Assert.Equal(new Rgb24(255, 0, 0), image[12, 4]); // the red corner, turned to the top right
        Assert.Equal(new Rgb24(255, 255, 255), image[4, 28]); // transparent blue shows as white, not blue
    }

    [Fact]
    public void TheKeepSideCannotBeBelowTheSmallestAcceptedSide() =>
        Assert.Throws<ArgumentOutOfRangeException>(() => new ImageIntake(new ImageIntakeOptions { MinSide = 16 }, keepSide: 15));

    [Fact]
    public async Task ADecodeWaitsForRoomAndIsRefusedWhenNoneComesInTime()
    {
        var time = new FakeTimeProvider();
        var budget = new DecodeBudget(megapixels: 80, wait: TimeSpan.FromSeconds(5), time);
        var first = await budget.AcquireAsync(60.2, CancellationToken.None);
        Assert.Equal(19, budget.Available); // 61 whole megapixels held

        var waiting = budget.AcquireAsync(30, CancellationToken.None).AsTask();
        time.Advance(TimeSpan.FromSeconds(4.9));
        Assert.False(waiting.IsCompleted);
        time.Advance(TimeSpan.FromSeconds(0.1));

        var refused = await Assert.ThrowsAsync<ImageRejectedException>(() => waiting);
        Assert.Equal(ImageRejection.ServerBusy, refused.Code);
        Assert.Equal(5, refused.Limit);
        Assert.Equal(19, budget.Available); // the refused one holds nothing
        first.Dispose();
        Assert.Equal(80, budget.Available);
    }

    [Fact]
    public async Task AWaitingDecodeGetsTheRoomAnEndingOneLeaves()
    {
        var time = new FakeTimeProvider();
        var budget = new DecodeBudget(megapixels: 80, wait: TimeSpan.FromSeconds(5), time);
        var first = await budget.AcquireAsync(200, CancellationToken.None); // more than the budget counts as all of it
        Assert.Equal(0, budget.Available);

        var waiting = budget.AcquireAsync(30, CancellationToken.None).AsTask();
        Assert.False(waiting.IsCompleted);
        first.Dispose();

        using var second = await waiting;
        Assert.Equal(50, budget.Available);
    }

    [Fact]
    public async Task TheIntakeRefusesAnUploadAsBusyWhileTheBudgetIsHeldAndDecodesItOnceThereIsRoom()
    {
        var time = new FakeTimeProvider();
        var intake = new ImageIntake(new ImageIntakeOptions { MaxDecodingMegapixels = 40 }, time: time);
        var upload = SolidPng(100, 100);
        var others = await intake.Budget.AcquireAsync(40, CancellationToken.None); // decodes elsewhere fill the budget

        var decode = intake.DecodeAsync(upload);
        Assert.False(decode.IsCompleted);
        time.Advance(intake.Budget.Wait);
        Assert.Equal(ImageRejection.ServerBusy, (await Assert.ThrowsAsync<ImageRejectedException>(() => decode)).Code);

        others.Dispose();
        using (var image = await intake.DecodeAsync(upload)) Assert.Equal(100, image.Width);
        await WaitUntil(() => intake.Budget.Available == 40); // the decode's room is handed back when it ends
    }

    static async Task WaitUntil(Func<bool> condition)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (!condition() && DateTime.UtcNow < deadline) await Task.Delay(10);
        Assert.True(condition());
    }
}

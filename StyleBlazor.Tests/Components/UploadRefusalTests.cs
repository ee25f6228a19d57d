using System.Globalization;
using Bunit;
using Microsoft.AspNetCore.Components.Forms;
using Microsoft.Extensions.DependencyInjection;
using MudBlazor;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.Formats.Png;
using SixLabors.ImageSharp.Formats.Tiff;
using SixLabors.ImageSharp.PixelFormats;
using StyleBlazor.Studio;
using StyleBlazor.Tests.Engine.Imaging;
using StudioPage = StyleBlazor.Components.Pages.Studio.Studio;

namespace StyleBlazor.Tests.Components;

/// <summary>Uploads in the studio go through the hardened intake; a refusal is a specific, translated message.</summary>
public class UploadRefusalTests : ComponentTestBase
{
    [Theory]
    [InlineData("en", "scan.tiff: This file is a TIFF; use JPEG, PNG or WebP.")]
    [InlineData("ru", "scan.tiff: Это файл TIFF; используйте JPEG, PNG или WebP.")]
    public async Task ATiffUploadIsRefusedInTheUsersLanguageAndLeavesNoPictureAndNoJob(string culture, string expected)
    {
        var message = await UploadAsync(culture, Encode(new TiffEncoder()), "scan.tiff");

        Assert.Equal(expected, message.Text);
        Assert.Null(message.Content);
        Assert.Empty(Jobs.Submissions);
    }

    [Fact]
    public async Task AnImageOverTheSideLimitNamesItsSizeAndTheLimit()
    {
        var message = await UploadAsync("en", CraftedPng.ClaimingSize(20000, 20000), "huge.png");

        Assert.Equal("huge.png: This image is 20000×20000; the limit is 8192 px a side.", message.Text);
        Assert.Null(message.Content);
    }

    [Fact]
    public async Task AHostileFileNameIsShownWithoutItsPathOrDirectionOverride()
    {
        var message = await UploadAsync("en", [], "../../\u202Egpj.exe");

        Assert.Equal("gpj.exe: This file is empty.", message.Text);
    }

    [Fact]
    public async Task APngUploadBecomesTheContent()
    {
        var message = await UploadAsync("en", Encode(new PngEncoder()), "dot.png");

        Assert.Null(message.Text);
        Assert.Equal(("dot.png", 32, 24), message.Content);
    }

    async Task<(string? Text, (string Name, int Width, int Height)? Content)> UploadAsync(string culture, byte[] bytes, string fileName)
    {
        var previous = (CultureInfo.CurrentCulture, CultureInfo.CurrentUICulture);
        CultureInfo.CurrentCulture = CultureInfo.CurrentUICulture = CultureInfo.GetCultureInfo(culture);
        try
        {
            await using var ctx = NewContext();
            var studio = RenderStudio(ctx);
            var state = ctx.Services.GetRequiredService<StudioState>();
            var snackbar = ctx.Services.GetRequiredService<ISnackbar>();

            studio.FindComponents<InputFile>()[0].UploadFiles(InputFileContent.CreateFromBinary(bytes, fileName));

            // Done when the picture arrived or a message was shown, and the picker is no longer busy.
            studio.WaitForAssertion(() =>
            {
                Assert.True(state.Content is not null || snackbar.ShownSnackbars.Any());
                Assert.Empty(studio.FindAll(".image-picker__drop.is-busy"));
            }, Patience);
            // Read before the context (and with it the session's pictures) is disposed.
            return (snackbar.ShownSnackbars.SingleOrDefault()?.Message,
                state.Content is { } content ? (content.Name, content.Width, content.Height) : null);
        }
        finally
        {
            (CultureInfo.CurrentCulture, CultureInfo.CurrentUICulture) = previous;
        }
    }

    static byte[] Encode(SixLabors.ImageSharp.Formats.IImageEncoder encoder)
    {
        using var image = new Image<Rgba32>(32, 24, new Rgba32(200, 40, 40));
        using var bytes = new MemoryStream();
        image.Save(bytes, encoder);
        return bytes.ToArray();
    }
}

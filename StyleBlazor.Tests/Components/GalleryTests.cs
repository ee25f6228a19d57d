using Bunit;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using StyleBlazor.Engine.Imaging;
using StyleBlazor.Studio;
using StudioPage = StyleBlazor.Components.Pages.Studio.Studio;

namespace StyleBlazor.Tests.Components;

public class GalleryTests : ComponentTestBase
{
    [Fact]
    public void TheGalleryListsTheBundledSamplesWithTheirProvenance()
    {
        var gallery = new SampleGallery();

        var cat = Assert.Single(gallery.Samples, s => s.FileName == "photo-chelsea-cat.png");
        Assert.False(cat.IsArtwork);
        Assert.Equal("/assets/samples/photo-chelsea-cat.png", cat.Url);
        Assert.Contains("CC0", cat.Attribution);
        Assert.Contains(gallery.Artworks, s => s.FileName == "art-van-gogh-starry-night.jpg");
        Assert.Equal(12, gallery.Samples.Count);
    }

    [Fact]
    public async Task PickingASamplePhotoMakesItTheContent()
    {
        await using var ctx = NewContext();
        var studio = RenderStudio(ctx);

        studio.Find("[data-testid=content-upload-samples]").Click();
        studio.Find("[data-testid=content-upload-gallery] [data-sample='photo-chelsea-cat.png']").Click();

        var state = ctx.Services.GetRequiredService<StudioState>();
        studio.WaitForAssertion(() => Assert.NotNull(state.Content), Patience);
        Assert.Equal(("photo-chelsea-cat.png", 451, 300), (state.Content!.Name, state.Content.Width, state.Content.Height));
        Assert.Null(state.Style);
        studio.WaitForAssertion(() => Assert.Equal("451 × 300 px", studio.Find("[data-testid=content-upload-size]").TextContent.Trim()), Patience);
        Assert.Contains("CC0", studio.Find("[data-testid=content-upload-credit]").TextContent);
    }

    [Fact]
    public async Task PickingAPhotoAndThenAStyleLetsTheEngineMakeThePhotosContentTargetsWithTheFormsParameters()
    {
        await using var ctx = NewContext();
        var studio = RenderStudio(ctx);
        studio.Find("[data-testid=preset-quick]").Click();

        studio.Find("[data-testid=content-upload-samples]").Click();
        studio.Find("[data-testid=content-upload-gallery] [data-sample='photo-chelsea-cat.png']").Click();
        studio.WaitForAssertion(() => Assert.Equal("451 × 300 px", studio.Find("[data-testid=content-upload-size]").TextContent.Trim()), Patience);
        Assert.Single(Jobs.Preparations);
        studio.Find("[data-testid=style-upload-samples]").Click();
        studio.WaitForElement("[data-testid=style-upload-gallery] [data-sample='art-van-gogh-starry-night.jpg']", Patience).Click();

        // Asked again with the style: the parameters may have changed in between.
        studio.WaitForAssertion(() => Assert.Equal(2, Jobs.Preparations.Count), Patience);
        Assert.All(Jobs.Preparations, p => Assert.Equal((451, 300, ParameterPresets.QuickPreviewMaxSide, "vgg19"), (p.Width, p.Height, p.Options.MaxSide, p.Backbone)));
    }

    [Fact]
    public async Task PickingASampleArtworkMakesItTheStyle()
    {
        await using var ctx = NewContext();
        var studio = RenderStudio(ctx);

        studio.Find("[data-testid=style-upload-samples]").Click();
        studio.Find("[data-testid=style-upload-gallery] [data-sample='art-van-gogh-starry-night.jpg']").Click();

        var state = ctx.Services.GetRequiredService<StudioState>();
        studio.WaitForAssertion(() => Assert.Equal((752, 600), (state.Style?.Width, state.Style?.Height)), Patience);
        Assert.Null(state.Content);
    }

    [Fact]
    public async Task TheSessionsPicturesAreReleasedWhenItEnds()
    {
        var state = new StudioState();
        var gallery = new SampleGallery();
        var sample = gallery.Photos.First();
        var decoder = new StudioImageDecoder(new ImageIntake(new ImageIntakeOptions()), Options.Create(new ImageIntakeOptions()));
        await using (var stream = gallery.OpenRead(sample))
            state.SetContent(await decoder.DecodeAsync(stream, sample.FileName));
        var content = state.Content!;

        state.Dispose();

        Assert.Null(state.Content);
        Assert.Throws<ObjectDisposedException>(() => content.ClonePixels());
    }
}

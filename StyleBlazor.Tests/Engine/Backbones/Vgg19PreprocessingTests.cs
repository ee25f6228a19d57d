using StyleBlazor.Engine.Backbones;
using static TorchSharp.torch;

namespace StyleBlazor.Tests.Engine.Backbones;

/// <summary>The two preprocessings the VGG19 weight sources come with.</summary>
public class Vgg19PreprocessingTests
{
    public static TheoryData<string> Preprocessings => ["keras", "torchvision"];

    static ImagePreprocessing ByName(string name) =>
        name == "keras" ? ImagePreprocessing.KerasVgg19 : ImagePreprocessing.TorchVision;

    [Theory]
    [MemberData(nameof(Preprocessings))]
    public void DeprocessUndoesPreprocess(string name)
    {
        var preprocessing = ByName(name);
        using var image = rand(1, 3, 6, 5, generator: new Generator(9)).mul_(255);

        using var input = preprocessing.Preprocess(image);
        using var restored = preprocessing.Deprocess(input);

        Assert.False(input.allclose(image)); // it did change the pixels
        Assert.True(restored.sub(image).abs().max().item<float>() < 1e-3f);
    }

    [Fact]
    public void KerasPreprocessingIsBgrMinusTheArticlesMeans()
    {
        using var pixel = tensor(new float[] { 200, 100, 50 }).view(1, 3, 1, 1); // R, G, B

        using var input = ImagePreprocessing.KerasVgg19.Preprocess(pixel);

        Assert.Equal([50 - 103.939f, 100 - 116.779f, 200 - 123.68f], input.data<float>().ToArray(), new FloatTolerance(1e-4f));
    }

    [Fact]
    public void TorchVisionPreprocessingIsRgbNormalisedByImageNetStatistics()
    {
        using var pixel = tensor(new float[] { 200, 100, 50 }).view(1, 3, 1, 1);

        using var input = ImagePreprocessing.TorchVision.Preprocess(pixel);

        Assert.Equal(
            [(200 / 255f - 0.485f) / 0.229f, (100 / 255f - 0.456f) / 0.224f, (50 / 255f - 0.406f) / 0.225f],
            input.data<float>().ToArray(), new FloatTolerance(1e-4f));
    }

    sealed class FloatTolerance(float tolerance) : IEqualityComparer<float>
    {
        public bool Equals(float x, float y) => Math.Abs(x - y) <= tolerance;
        public int GetHashCode(float obj) => 0;
    }
}

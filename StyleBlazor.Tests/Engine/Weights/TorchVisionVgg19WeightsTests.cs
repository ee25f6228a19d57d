using StyleBlazor.Engine.Backbones;
using StyleBlazor.Engine.Weights;
using StyleBlazor.Tests.Support;
using static TorchSharp.torch;

namespace StyleBlazor.Tests.Engine.Weights;

public sealed class TorchVisionVgg19WeightsTests : IDisposable
{
    const int TinyWidth = 16; // channels 4, 8, 16, 32, 32
    readonly TemporaryWeightsDirectory directory = new();
    readonly Vgg19Backbone source = Vgg19Backbone.CreateRandom(seed: 11, TinyWidth);
    readonly Dictionary<string, Tensor> written;

    public TorchVisionVgg19WeightsTests() => written = Vgg19WeightFiles.StateDictOf(source);

    public void Dispose()
    {
        Vgg19WeightFiles.DisposeAll(written);
        source.Dispose();
        directory.Dispose();
    }

    [Fact]
    public void EveryWeightAndBiasReadsBackAsWritten()
    {
        var path = directory.File("vgg19.pth");
        Vgg19WeightFiles.WriteTorchVision(path, written);

        using var loaded = TorchVisionVgg19Weights.Load(path);

        var loadedState = loaded.state_dict();
        Assert.Equal(32, written.Count);
        Assert.Equal(written.Keys.Order(), loadedState.Keys.Order());
        foreach (var (key, expected) in written)
        {
            Assert.Equal(expected.shape, loadedState[key].shape);
            Assert.Equal(expected.data<float>().ToArray(), loadedState[key].data<float>().ToArray());
        }
        Assert.Equal(TinyWidth, loaded.WidthDivisor);
        Assert.Same(ImagePreprocessing.TorchVision, loaded.Preprocessing);
    }

    [Fact]
    public void TruncatedFileIsReportedAsUnreadableWithItsName()
    {
        var path = directory.File("vgg19.pth");
        Vgg19WeightFiles.WriteTorchVision(path, written);
        using (var stream = File.OpenWrite(path)) stream.SetLength(stream.Length / 2);

        var error = Assert.Throws<WeightFileException>(() => TorchVisionVgg19Weights.Load(path));

        Assert.StartsWith("vgg19.pth: cannot be read as a PyTorch state dict saved by torch.save; is it truncated or corrupt?", error.Message);
        Assert.Equal(path, error.FilePath);
    }

    [Fact]
    public void MissingLayerIsNamedByItsTorchVisionKeyAndKerasName()
    {
        var path = directory.File("vgg19.pth");
        var withoutLayer = written.Where(p => !p.Key.StartsWith("block5_conv2.")).ToDictionary();
        Vgg19WeightFiles.WriteTorchVision(path, withoutLayer);

        var error = Assert.Throws<WeightFileException>(() => TorchVisionVgg19Weights.Load(path));

        Assert.Equal("vgg19.pth: layer features.30 (block5_conv2) weight is missing; expected a torchvision VGG19 state dict with key features.30.weight.", error.Message);
    }

    [Fact]
    public void WronglyShapedWeightIsNamedWithFoundAndExpectedShapes()
    {
        var path = directory.File("vgg19.pth");
        using var halfInputs = zeros(16, 8, 3, 3); // block3_conv2 should take 16 inputs, not 8
        var reshaped = new Dictionary<string, Tensor>(written) { ["block3_conv2.weight"] = halfInputs };
        Vgg19WeightFiles.WriteTorchVision(path, reshaped);

        var error = Assert.Throws<WeightFileException>(() => TorchVisionVgg19Weights.Load(path));

        Assert.Equal("vgg19.pth: layer features.12 (block3_conv2) weight has shape [16,8,3,3]; expected [16,16,3,3].", error.Message);
    }

    [Fact]
    public void WronglyShapedBiasIsNamed()
    {
        var path = directory.File("vgg19.pth");
        using var shortBias = zeros(31);
        var reshaped = new Dictionary<string, Tensor>(written) { ["block5_conv4.bias"] = shortBias };
        Vgg19WeightFiles.WriteTorchVision(path, reshaped);

        var error = Assert.Throws<WeightFileException>(() => TorchVisionVgg19Weights.Load(path));

        Assert.Equal("vgg19.pth: layer features.34 (block5_conv4) bias has shape [31]; expected [32].", error.Message);
    }
}

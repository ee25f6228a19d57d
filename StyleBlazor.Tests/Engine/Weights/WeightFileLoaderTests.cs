using StyleBlazor.Engine.Backbones;
using StyleBlazor.Engine.Weights;
using StyleBlazor.Tests.Support;

namespace StyleBlazor.Tests.Engine.Weights;

public sealed class WeightFileLoaderTests : IDisposable
{
    readonly TemporaryWeightsDirectory directory = new();

    public void Dispose() => directory.Dispose();

    [Theory]
    [InlineData("vgg19.h5", "keras")]
    [InlineData("VGG19.HDF5", "keras")]
    [InlineData("vgg19.pth", "torchvision")]
    [InlineData("vgg19.pt", "torchvision")]
    public void ExtensionChoosesTheReaderAndItsPreprocessing(string fileName, string layout)
    {
        using var source = Vgg19Backbone.CreateRandom(seed: 1, widthDivisor: 32);
        var written = Vgg19WeightFiles.StateDictOf(source);
        var path = directory.File(fileName);
        if (layout == "keras") Vgg19WeightFiles.WriteKeras(path, written);
        else Vgg19WeightFiles.WriteTorchVision(path, written);
        Vgg19WeightFiles.DisposeAll(written);

        using var loaded = WeightFileLoader.Load(path);

        Assert.Same(layout == "keras" ? ImagePreprocessing.KerasVgg19 : ImagePreprocessing.TorchVision, loaded.Preprocessing);
        Assert.Equal(32, loaded.WidthDivisor);
    }

    [Fact]
    public void MissingFileIsReportedWithItsPath()
    {
        var path = directory.File("absent.h5");

        var error = Assert.Throws<FileNotFoundException>(() => WeightFileLoader.Load(path));

        Assert.Equal($"VGG19 weights file '{path}' does not exist.", error.Message);
        Assert.Equal(path, error.FileName);
    }

    [Fact]
    public void OnnxIsLeftToTheOnnxLoader()
    {
        var path = directory.File("vgg19.onnx");
        File.WriteAllBytes(path, [1, 2, 3]);

        var error = Assert.Throws<NotSupportedException>(() => WeightFileLoader.Load(path));

        Assert.Equal("vgg19.onnx: ONNX weights are read by the ONNX backbone loader, not by the VGG19 weight loader.", error.Message);
    }

    [Fact]
    public void UnknownExtensionListsTheSupportedOnes()
    {
        var path = directory.File("vgg19.bin");
        File.WriteAllBytes(path, [1, 2, 3]);

        var error = Assert.Throws<NotSupportedException>(() => WeightFileLoader.Load(path));

        Assert.Equal("vgg19.bin: unknown weights file extension '.bin'; expected .h5 or .hdf5 (Keras), .pth or .pt (torchvision state dict) or .onnx.", error.Message);
    }

    [Fact]
    public void FileThatIsNotHdf5IsAWeightFileError()
    {
        var path = directory.File("vgg19.h5");
        File.WriteAllText(path, "not an HDF5 file");

        var error = Assert.Throws<WeightFileException>(() => WeightFileLoader.Load(path));

        Assert.StartsWith("vgg19.h5: cannot be read as a Keras HDF5 weights file", error.Message);
    }
}

using PureHDF;
using StyleBlazor.Engine.Backbones;
using StyleBlazor.Engine.Weights;
using StyleBlazor.Tests.Support;
using static TorchSharp.torch;

namespace StyleBlazor.Tests.Engine.Weights;

public sealed class KerasVgg19WeightsTests : IDisposable
{
    const int TinyWidth = 16; // channels 4, 8, 16, 32, 32
    readonly TemporaryWeightsDirectory directory = new();
    readonly Vgg19Backbone source = Vgg19Backbone.CreateRandom(seed: 7, TinyWidth);
    readonly Dictionary<string, Tensor> written;

    public KerasVgg19WeightsTests() => written = Vgg19WeightFiles.StateDictOf(source);

    public void Dispose()
    {
        Vgg19WeightFiles.DisposeAll(written);
        source.Dispose();
        directory.Dispose();
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void EveryKernelAndBiasReadsBackAsWritten(bool keras1Names)
    {
        var path = directory.File("vgg19.h5");
        Vgg19WeightFiles.WriteKeras(path, written, keras1Names);

        using var loaded = KerasVgg19Weights.Load(path);

        var loadedState = loaded.state_dict();
        Assert.Equal(32, written.Count);
        Assert.Equal(written.Keys.Order(), loadedState.Keys.Order());
        foreach (var (key, expected) in written)
        {
            Assert.Equal(expected.shape, loadedState[key].shape);
            Assert.Equal(expected.data<float>().ToArray(), loadedState[key].data<float>().ToArray());
        }
        Assert.Equal(TinyWidth, loaded.WidthDivisor);
        Assert.Same(ImagePreprocessing.KerasVgg19, loaded.Preprocessing);
    }

    [Fact]
    public void LoadedFirstLayerComputesKerasCrossCorrelationWithoutKernelFlip()
    {
        var path = directory.File("vgg19.h5");
        Vgg19WeightFiles.WriteKeras(path, written);
        // The kernel exactly as stored in the file, (kh, kw, in, out), independent of writer and loader conversions.
        float[] kernel, bias;
        using (var file = H5File.OpenRead(path))
        {
            kernel = file.Dataset("block1_conv1/block1_conv1/kernel:0").Read<float[]>();
            bias = file.Dataset("block1_conv1/block1_conv1/bias:0").Read<float[]>();
        }
        const int height = 4, width = 5, inChannels = 3, outChannels = 64 / TinyWidth;
        using var input = randn(1, inChannels, height, width, generator: new Generator(3));
        var pixels = input.data<float>().ToArray();

        using var loaded = KerasVgg19Weights.Load(path);
        var output = loaded.Forward(input, ["block1_conv1"]);
        using var actual = output["block1_conv1"];

        // Keras Conv2D(padding='same'): y[o, r, c] = b[o] + Σ K[i, j, ch, o] · x[ch, r + i − 1, c + j − 1], then ReLU.
        var expected = new float[outChannels * height * width];
        for (int o = 0; o < outChannels; o++)
        for (int r = 0; r < height; r++)
        for (int c = 0; c < width; c++)
        {
            double sum = bias[o];
            for (int i = 0; i < 3; i++)
            for (int j = 0; j < 3; j++)
            for (int ch = 0; ch < inChannels; ch++)
            {
                int y = r + i - 1, x = c + j - 1;
                if (y < 0 || y >= height || x < 0 || x >= width) continue;
                sum += kernel[((i * 3 + j) * inChannels + ch) * outChannels + o] * pixels[(ch * height + y) * width + x];
            }
            expected[(o * height + r) * width + c] = (float)Math.Max(sum, 0);
        }
        var actualValues = actual.data<float>().ToArray();
        Assert.Equal(expected.Length, actualValues.Length);
        for (int k = 0; k < expected.Length; k++)
            Assert.Equal(expected[k], actualValues[k], 1e-4f);
    }

    [Fact]
    public void TruncatedFileIsReportedAsUnreadableWithItsName()
    {
        var path = directory.File("vgg19.h5");
        Vgg19WeightFiles.WriteKeras(path, written);
        using (var stream = File.OpenWrite(path)) stream.SetLength(stream.Length / 2);

        var error = Assert.Throws<WeightFileException>(() => KerasVgg19Weights.Load(path));

        Assert.StartsWith("vgg19.h5: cannot be read as a Keras HDF5 weights file; is it truncated or corrupt?", error.Message);
        Assert.Equal(path, error.FilePath);
    }

    [Fact]
    public void MissingLayerIsNamed()
    {
        var path = directory.File("vgg19.h5");
        var withoutLayer = written.Where(p => !p.Key.StartsWith("block4_conv3.")).ToDictionary();
        Vgg19WeightFiles.WriteKeras(path, withoutLayer);

        var error = Assert.Throws<WeightFileException>(() => KerasVgg19Weights.Load(path));

        Assert.Equal("vgg19.h5: layer block4_conv3 is missing; expected a group /block4_conv3 holding its kernel and bias (Keras VGG19 layout).", error.Message);
    }

    [Fact]
    public void WronglyShapedKernelIsNamedWithFoundAndExpectedShapes()
    {
        var path = directory.File("vgg19.h5");
        using var halfInputs = zeros(16, 8, 3, 3); // block3_conv2 should take 16 inputs, not 8
        var reshaped = new Dictionary<string, Tensor>(written) { ["block3_conv2.weight"] = halfInputs };
        Vgg19WeightFiles.WriteKeras(path, reshaped);

        var error = Assert.Throws<WeightFileException>(() => KerasVgg19Weights.Load(path));

        Assert.Equal("vgg19.h5: layer block3_conv2 kernel has shape [3,3,8,16]; expected [3,3,16,16].", error.Message);
    }

    [Fact]
    public void FirstLayerWidthThatNoVgg19HasIsRejected()
    {
        var path = directory.File("vgg19.h5");
        using var sevenFilters = zeros(7, 3, 3, 3);
        var reshaped = new Dictionary<string, Tensor>(written) { ["block1_conv1.weight"] = sevenFilters };
        Vgg19WeightFiles.WriteKeras(path, reshaped);

        var error = Assert.Throws<WeightFileException>(() => KerasVgg19Weights.Load(path));

        Assert.Equal("vgg19.h5: layer block1_conv1 kernel has shape [3,3,3,7]; expected [3,3,3,64].", error.Message);
    }

    [Fact]
    public void MissingBiasDatasetIsNamedWithItsPath()
    {
        var path = directory.File("vgg19.h5");
        var withoutBias = written.Where(p => p.Key != "block2_conv1.bias").ToDictionary();
        Vgg19WeightFiles.WriteKeras(path, withoutBias);

        var error = Assert.Throws<WeightFileException>(() => KerasVgg19Weights.Load(path));

        Assert.Equal("vgg19.h5: layer block2_conv1 bias dataset /block2_conv1/block2_conv1/bias:0 is missing.", error.Message);
    }
}

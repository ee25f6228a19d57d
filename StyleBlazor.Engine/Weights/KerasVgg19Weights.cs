using PureHDF;
using StyleBlazor.Engine.Backbones;
using static StyleBlazor.Engine.Weights.WeightFileLoader;
using static TorchSharp.torch;

namespace StyleBlazor.Engine.Weights;

/// <summary>
/// Reads the file that Keras' <c>VGG19(weights='imagenet', include_top=False)</c> downloads
/// (<c>vgg19_weights_tf_dim_ordering_tf_kernels_notop.h5</c>, the article's network).
/// </summary>
/// <remarks>
/// Layout (Keras <c>save_weights</c>): one group per layer, <c>/block1_conv1</c>, whose attribute <c>weight_names</c>
/// lists its datasets relative to the group — <c>block1_conv1/kernel:0</c> and <c>block1_conv1/bias:0</c>, or
/// <c>block1_conv1_W_1:0</c> and <c>block1_conv1_b_1:0</c> in files saved by Keras 1. Kernels are float32
/// (kh, kw, in, out), biases (out).
/// </remarks>
public static class KerasVgg19Weights
{
    /// <summary>Loads the 16 convolutions into a VGG19 with Keras "caffe" preprocessing.</summary>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="WeightFileException">It is not HDF5, or a layer is missing or mis-shaped.</exception>
    public static Vgg19Backbone Load(string path, Device? device = null)
    {
        CheckExists(path);
        try
        {
            using var file = H5File.OpenRead(path);

            // The width comes from the first layer (64 in the real file); every later shape is then checked against it.
            var (firstKernel, _) = LayerDatasets(file, path, "block1_conv1");
            long[] firstShape = Shape(firstKernel);
            int widthDivisor = (firstShape is [3, 3, 3, var channels] ? WidthDivisorFor(channels) : null)
                ?? throw ShapeMismatch(path, "block1_conv1", "kernel", firstShape, [3, 3, 3, 64]);

            var backbone = new Vgg19Backbone(ImagePreprocessing.KerasVgg19, widthDivisor, device);
            try
            {
                foreach (var convolution in Vgg19Backbone.ConvolutionShapes(widthDivisor))
                    LoadConvolution(file, path, convolution, backbone.Convolution(convolution.Name));
                return backbone;
            }
            catch
            {
                backbone.Dispose();
                throw;
            }
        }
        catch (Exception e) when (e is not WeightFileException)
        {
            // PureHDF reports a truncated or non-HDF5 file with assorted exception types; give one clear message.
            throw new WeightFileException(path, $"cannot be read as a Keras HDF5 weights file; is it truncated or corrupt? ({e.Message})", e);
        }
    }

    static void LoadConvolution(IH5Group file, string path, Vgg19Convolution convolution, TorchSharp.Modules.Conv2d target)
    {
        var (kernelDataset, biasDataset) = LayerDatasets(file, path, convolution.Name);
        long[] kernelShape = [3, 3, convolution.InChannels, convolution.OutChannels];
        float[] kernel = ReadFloats(kernelDataset, path, convolution.Name, "kernel", kernelShape);
        float[] bias = ReadFloats(biasDataset, path, convolution.Name, "bias", [convolution.OutChannels]);

        using var noGrad = no_grad();
        using var scope = NewDisposeScope();
        // Keras' Conv2D, like torch's conv2d, computes a cross-correlation, so (kh, kw, in, out) becomes
        // (out, in, kh, kw) by a transpose alone; flipping the kernel would be wrong.
        target.weight!.copy_(tensor(kernel, kernelShape).permute(3, 2, 0, 1));
        target.bias!.copy_(tensor(bias));
    }

    static (IH5Dataset Kernel, IH5Dataset Bias) LayerDatasets(IH5Group file, string path, string layer)
    {
        if (!file.LinkExists(layer))
            throw new WeightFileException(path, $"layer {layer} is missing; expected a group /{layer} holding its kernel and bias (Keras VGG19 layout).");
        var group = file.Group(layer);

        string[] weightNames = group.AttributeExists("weight_names")
            ? group.Attribute("weight_names").Read<string[]>().Select(n => n.TrimEnd('\0')).ToArray()
            : [$"{layer}/kernel:0", $"{layer}/bias:0"];
        if (weightNames.Length != 2)
            throw new WeightFileException(path,
                $"layer {layer} lists {weightNames.Length} weights ({string.Join(", ", weightNames)}); expected 2, a kernel and a bias.");

        IH5Dataset Dataset(string name, string role) => group.LinkExists(name)
            ? group.Dataset(name)
            : throw new WeightFileException(path, $"layer {layer} {role} dataset /{layer}/{name} is missing.");
        return (Dataset(weightNames[0], "kernel"), Dataset(weightNames[1], "bias"));
    }

    static float[] ReadFloats(IH5Dataset dataset, string path, string layer, string role, long[] expectedShape)
    {
        long[] shape = Shape(dataset);
        if (!shape.SequenceEqual(expectedShape))
            throw ShapeMismatch(path, layer, role, shape, expectedShape);
        if (dataset.Type.Class != H5DataTypeClass.FloatingPoint || dataset.Type.Size != 4)
            throw new WeightFileException(path, $"layer {layer} {role} holds {dataset.Type.Class} values of {dataset.Type.Size} bytes; expected float32.");
        return dataset.Read<float[]>();
    }

    static long[] Shape(IH5Dataset dataset) => dataset.Space.Dimensions.Select(d => (long)d).ToArray();

    static WeightFileException ShapeMismatch(string path, string layer, string role, long[] shape, long[] expected) =>
        new(path, $"layer {layer} {role} has shape {ShapeText(shape)}; expected {ShapeText(expected)}.");
}

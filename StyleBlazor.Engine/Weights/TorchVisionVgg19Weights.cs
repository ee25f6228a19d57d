using System.Collections;
using StyleBlazor.Engine.Backbones;
using TorchSharp.PyBridge;
using static StyleBlazor.Engine.Weights.WeightFileLoader;
using static TorchSharp.torch;

namespace StyleBlazor.Engine.Weights;

/// <summary>
/// Reads a torchvision VGG19 state dict, <c>torch.save(torchvision.models.vgg19(...).state_dict(), path)</c>.
/// </summary>
/// <remarks>
/// The convolutions are <c>features.{0,2,5,7,10,12,14,16,19,21,23,25,28,30,32,34}</c> (the indices between them are
/// ReLU and pooling modules), weights (out, in, 3, 3), biases (out); <c>classifier.*</c> is ignored.
/// </remarks>
public static class TorchVisionVgg19Weights
{
    /// <summary>Index in torchvision's <c>features</c> Sequential of each convolution, in forward order.</summary>
    static readonly int[] FeatureIndices = [0, 2, 5, 7, 10, 12, 14, 16, 19, 21, 23, 25, 28, 30, 32, 34];

    /// <summary>Loads the 16 convolutions into a VGG19 with torchvision's ImageNet normalisation.</summary>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="WeightFileException">It is not a torch.save zip, or a layer is missing or mis-shaped.</exception>
    public static Vgg19Backbone Load(string path, Device? device = null)
    {
        CheckExists(path);
        Hashtable stateDict;
        try
        {
            using var stream = File.OpenRead(path);
            stateDict = PyTorchUnpickler.UnpickleStateDict(stream, leaveOpen: true);
        }
        catch (Exception e)
        {
            throw new WeightFileException(path,
                $"cannot be read as a PyTorch state dict saved by torch.save; is it truncated or corrupt? ({e.Message})", e);
        }

        try
        {
            var firstWeight = Find(stateDict, path, 0, "weight", "block1_conv1");
            int widthDivisor = (firstWeight.shape is [var channels, 3, 3, 3] ? WidthDivisorFor(channels) : null)
                ?? throw ShapeMismatch(path, 0, "weight", "block1_conv1", firstWeight.shape, [64, 3, 3, 3]);

            var backbone = new Vgg19Backbone(ImagePreprocessing.TorchVision, widthDivisor, device);
            try
            {
                var convolutions = Vgg19Backbone.ConvolutionShapes(widthDivisor);
                using var noGrad = no_grad();
                for (int i = 0; i < convolutions.Count; i++)
                {
                    var convolution = convolutions[i];
                    var weight = Find(stateDict, path, FeatureIndices[i], "weight", convolution.Name);
                    var bias = Find(stateDict, path, FeatureIndices[i], "bias", convolution.Name);
                    CheckShape(path, FeatureIndices[i], "weight", convolution.Name, weight,
                        [convolution.OutChannels, convolution.InChannels, 3, 3]);
                    CheckShape(path, FeatureIndices[i], "bias", convolution.Name, bias, [convolution.OutChannels]);

                    var target = backbone.Convolution(convolution.Name);
                    target.weight!.copy_(weight);
                    target.bias!.copy_(bias);
                }
                return backbone;
            }
            catch
            {
                backbone.Dispose();
                throw;
            }
        }
        finally
        {
            // The unpickler creates the tensors outside any dispose scope, classifier.* included.
            foreach (var value in stateDict.Values)
                (value as IDisposable)?.Dispose();
        }
    }

    static Tensor Find(Hashtable stateDict, string path, int featureIndex, string role, string layer) =>
        stateDict[$"features.{featureIndex}.{role}"] as Tensor
            ?? throw new WeightFileException(path,
                $"layer features.{featureIndex} ({layer}) {role} is missing; expected a torchvision VGG19 state dict with key features.{featureIndex}.{role}.");

    static void CheckShape(string path, int featureIndex, string role, string layer, Tensor tensor, long[] expected)
    {
        if (!tensor.shape.SequenceEqual(expected))
            throw ShapeMismatch(path, featureIndex, role, layer, tensor.shape, expected);
        if (!is_floating_point(tensor))
            throw new WeightFileException(path, $"layer features.{featureIndex} ({layer}) {role} holds {tensor.dtype} values; expected floating point.");
    }

    static WeightFileException ShapeMismatch(string path, int featureIndex, string role, string layer, long[] shape, long[] expected) =>
        new(path, $"layer features.{featureIndex} ({layer}) {role} has shape {ShapeText(shape)}; expected {ShapeText(expected)}.");
}

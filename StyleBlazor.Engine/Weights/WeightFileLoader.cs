using StyleBlazor.Engine.Backbones;
using static TorchSharp.torch;

namespace StyleBlazor.Engine.Weights;

/// <summary>Loads pretrained VGG19 weights from a file the user provides, choosing the reader by extension.</summary>
public static class WeightFileLoader
{
    /// <summary>
    /// <c>.h5</c>/<c>.hdf5</c>: Keras (<see cref="KerasVgg19Weights"/>); <c>.pth</c>/<c>.pt</c>: torchvision
    /// (<see cref="TorchVisionVgg19Weights"/>). Throws <see cref="FileNotFoundException"/> for a missing file,
    /// <see cref="NotSupportedException"/> for ONNX or an unknown extension, and <see cref="WeightFileException"/> for a
    /// file that is not a VGG19 of the expected layout.
    /// </summary>
    public static Vgg19Backbone Load(string path, Device? device = null)
    {
        CheckExists(path);
        return Path.GetExtension(path).ToLowerInvariant() switch
        {
            ".h5" or ".hdf5" => KerasVgg19Weights.Load(path, device),
            ".pth" or ".pt" => TorchVisionVgg19Weights.Load(path, device),
            ".onnx" => throw new NotSupportedException(
                $"{Path.GetFileName(path)}: ONNX weights are read by the ONNX backbone loader, not by the VGG19 weight loader."),
            var other => throw new NotSupportedException(
                $"{Path.GetFileName(path)}: unknown weights file extension '{other}'; expected .h5 or .hdf5 (Keras), " +
                ".pth or .pt (torchvision state dict) or .onnx."),
        };
    }

    /// <summary>
    /// The width divisor implied by block1_conv1's output channels (64 → 1, 4 → 16), or null when no divisor of 64
    /// gives that count. Lets the loaders read both the real files and the tiny ones tests write.
    /// </summary>
    internal static int? WidthDivisorFor(long block1OutChannels) =>
        block1OutChannels is > 0 and <= 64 && 64 % block1OutChannels == 0 ? (int)(64 / block1OutChannels) : null;

    internal static string ShapeText(IEnumerable<long> shape) => $"[{string.Join(",", shape)}]";

    internal static void CheckExists(string path)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        if (!File.Exists(path))
            throw new FileNotFoundException($"VGG19 weights file '{path}' does not exist.", path);
    }
}

using PureHDF;
using StyleBlazor.Engine.Backbones;
using TorchSharp.PyBridge;
using static TorchSharp.torch;

namespace StyleBlazor.Tests.Support;

/// <summary>
/// Writes VGG19 weights in the two layouts the loaders read, from a torch-layout state dict
/// (<c>block1_conv1.weight</c> (out, in, 3, 3), <c>block1_conv1.bias</c> (out), ...), so tests need no download.
/// Tests edit the state dict (drop a layer, reshape a tensor) to make broken files.
/// </summary>
static class Vgg19WeightFiles
{
    /// <summary>Where torchvision's <c>features</c> Sequential keeps each convolution (kept apart from the loader's own table).</summary>
    static readonly Dictionary<string, int> TorchVisionFeatureIndex = new()
    {
        ["block1_conv1"] = 0, ["block1_conv2"] = 2,
        ["block2_conv1"] = 5, ["block2_conv2"] = 7,
        ["block3_conv1"] = 10, ["block3_conv2"] = 12, ["block3_conv3"] = 14, ["block3_conv4"] = 16,
        ["block4_conv1"] = 19, ["block4_conv2"] = 21, ["block4_conv3"] = 23, ["block4_conv4"] = 25,
        ["block5_conv1"] = 28, ["block5_conv2"] = 30, ["block5_conv3"] = 32, ["block5_conv4"] = 34,
    };

    /// <summary>Copies of a backbone's 32 parameters, keyed like its state dict; dispose them with <see cref="DisposeAll"/>.</summary>
    public static Dictionary<string, Tensor> StateDictOf(Vgg19Backbone backbone) =>
        backbone.state_dict().ToDictionary(p => p.Key, p => p.Value.detach().cpu().clone());

    public static void DisposeAll(Dictionary<string, Tensor> stateDict)
    {
        foreach (var tensor in stateDict.Values) tensor.Dispose();
    }

    /// <summary>
    /// The Keras <c>save_weights</c> layout of <c>vgg19_weights_tf_dim_ordering_tf_kernels_notop.h5</c>: root attribute
    /// <c>layer_names</c>, one group per layer with attribute <c>weight_names</c>, kernels (kh, kw, in, out).
    /// Strings are fixed-length, as h5py writes numpy byte strings. <paramref name="keras1Names"/> writes the
    /// <c>block1_conv1_W_1:0</c> names of files saved by Keras 1 instead of <c>block1_conv1/kernel:0</c>.
    /// A layer whose bias is absent from <paramref name="stateDict"/> still lists it in <c>weight_names</c>.
    /// </summary>
    public static void WriteKeras(string path, IReadOnlyDictionary<string, Tensor> stateDict, bool keras1Names = false)
    {
        var layerNames = stateDict.Keys.Select(k => k.Split('.')[0]).Distinct().ToArray();
        var file = new H5File { Attributes = { ["layer_names"] = layerNames, ["backend"] = "tensorflow" } };
        foreach (var layer in layerNames)
        {
            using var scope = NewDisposeScope();
            var weight = stateDict[$"{layer}.weight"];
            var kernel = weight.permute(2, 3, 1, 0).contiguous(); // (out, in, kh, kw) → (kh, kw, in, out)
            var kernelDataset = Dataset(kernel);
            var biasDataset = stateDict.TryGetValue($"{layer}.bias", out var bias) ? Dataset(bias) : null;

            var group = new H5Group();
            if (keras1Names)
            {
                group.Attributes["weight_names"] = new[] { $"{layer}_W_1:0", $"{layer}_b_1:0" };
                group[$"{layer}_W_1:0"] = kernelDataset;
                if (biasDataset is not null) group[$"{layer}_b_1:0"] = biasDataset;
            }
            else
            {
                group.Attributes["weight_names"] = new[] { $"{layer}/kernel:0", $"{layer}/bias:0" };
                var weights = new H5Group { ["kernel:0"] = kernelDataset };
                if (biasDataset is not null) weights["bias:0"] = biasDataset;
                group[layer] = weights;
            }
            file[layer] = group;
        }
        file.Write(path, new H5WriteOptions(DefaultStringLength: 32));
    }

    static H5Dataset Dataset(Tensor tensor) =>
        new(tensor.data<float>().ToArray(), fileDims: tensor.shape.Select(d => (ulong)d).ToArray());

    /// <summary>
    /// A torchvision VGG19 state dict as <c>torch.save</c> writes it: <c>features.N.weight</c>/<c>.bias</c> in torch
    /// layout, plus a small <c>classifier.0</c> the loader must ignore.
    /// </summary>
    public static void WriteTorchVision(string path, IReadOnlyDictionary<string, Tensor> stateDict)
    {
        using var classifierWeight = randn(4, 8);
        using var classifierBias = randn(4);
        var torchVisionStateDict = new Dictionary<string, Tensor>
        {
            ["classifier.0.weight"] = classifierWeight,
            ["classifier.0.bias"] = classifierBias,
        };
        foreach (var (key, tensor) in stateDict)
        {
            var parts = key.Split('.');
            torchVisionStateDict[$"features.{TorchVisionFeatureIndex[parts[0]]}.{parts[1]}"] = tensor;
        }
        using var stream = File.Create(path);
        PyTorchPickler.PickleStateDict(stream, torchVisionStateDict, leaveOpen: true);
    }
}

/// <summary>A fresh directory under the system temp folder, deleted with its files on dispose.</summary>
sealed class TemporaryWeightsDirectory : IDisposable
{
    public string Path { get; } = Directory.CreateTempSubdirectory("styleblazor-weights-").FullName;

    public string File(string name) => System.IO.Path.Combine(Path, name);

    public void Dispose() => Directory.Delete(Path, recursive: true);
}

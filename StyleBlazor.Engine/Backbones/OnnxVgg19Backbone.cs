using StyleBlazor.Engine.Onnx;
using static TorchSharp.torch;

namespace StyleBlazor.Engine.Backbones;

/// <summary>
/// VGG19 weights brought as an ONNX file in the ONNX model zoo's <c>vgg19-7.onnx</c> layout (Conv/Relu/MaxPool, then
/// Flatten/Gemm/Dropout), run by <see cref="OnnxGraph"/>. The article's tap names block1_conv1 … block5_conv4 are mapped
/// onto the Relu after each of the 16 convolutions, found from the graph's structure rather than its value names.
/// </summary>
public sealed class OnnxVgg19Backbone : IBackbone
{
    /// <summary>Convolutions per block in VGG19 (configuration E).</summary>
    static readonly int[] ConvsPerBlock = [2, 2, 4, 4, 4];

    readonly OnnxGraph _graph;
    readonly Dictionary<string, string> _valueByTap;

    OnnxVgg19Backbone(OnnxGraph graph, IReadOnlyList<(LayerInfo Layer, string Value)> taps)
    {
        _graph = graph;
        Layers = taps.Select(t => t.Layer).ToArray();
        _valueByTap = taps.ToDictionary(t => t.Layer.Name, t => t.Value);
    }

    /// <summary>Loads the file and maps the taps; a graph without exactly 16 Conv→Relu pairs is an error naming the file.</summary>
    public static OnnxVgg19Backbone Load(string path, Device device)
    {
        var graph = OnnxGraph.Load(path, device);
        try
        {
            return new OnnxVgg19Backbone(graph, FindTaps(graph, path));
        }
        catch
        {
            graph.Dispose();
            throw;
        }
    }

    /// <summary>The k-th Relu that directly consumes a Conv output is block_conv k; MaxPools seen before it give its stride.</summary>
    static List<(LayerInfo, string)> FindTaps(OnnxGraph graph, string path)
    {
        var convs = graph.Nodes.Where(n => n.OpType == "Conv").ToDictionary(n => n.Outputs[0]);
        var pairs = new List<(OnnxNodeInfo Conv, OnnxNodeInfo Relu, int Pools)>();
        var pools = 0;
        foreach (var node in graph.Nodes)
        {
            if (node.OpType == "MaxPool") pools++;
            else if (node.OpType == "Relu" && convs.TryGetValue(node.Inputs[0], out var conv)) pairs.Add((conv, node, pools));
        }
        var expected = ConvsPerBlock.Sum();
        if (pairs.Count != expected)
            throw new InvalidDataException(
                $"'{path}' is not a VGG19 in the ONNX model zoo layout: it has {pairs.Count} Conv→Relu pairs, VGG19 has {expected}.");

        var names = ConvsPerBlock.SelectMany((count, block) => Enumerable.Range(1, count).Select(k => $"block{block + 1}_conv{k}"));
        return names.Zip(pairs, (name, pair) =>
        {
            var channels = (int)(graph.Initializer(pair.Conv.Inputs[1])?.shape[0]
                ?? throw new InvalidDataException($"'{path}': the weights of Conv '{pair.Conv.Name}' are not an initializer."));
            var layer = new LayerInfo(name, channels, 1 << pair.Pools, $"{pair.Relu.OpType} '{pair.Relu.Outputs[0]}' after Conv '{pair.Conv.Outputs[0]}'");
            return (layer, pair.Relu.Outputs[0]);
        }).ToList();
    }

    /// <summary>Same network and tap names as the Keras and PyTorch VGG19 weights, so it is offered under the same name.</summary>
    public string Name => "vgg19";

    public IReadOnlyList<LayerInfo> Layers { get; }

    /// <summary>The model zoo's VGG models expect torchvision's normalisation.</summary>
    public ImagePreprocessing Preprocessing => ImagePreprocessing.TorchVision;

    /// <summary>block5 is at 1/16 of the input.</summary>
    public int SizeMultiple => 16;

    public Device Device => _graph.Device;

    public IReadOnlyDictionary<string, Tensor> Forward(Tensor input, IReadOnlyCollection<string> taps) => Run(input, taps, onTap: null);

    public IReadOnlyDictionary<string, Tensor> Forward(Tensor input, IReadOnlyCollection<string> taps, Action<string, Tensor> onTap) =>
        Run(input, taps, onTap);

    IReadOnlyDictionary<string, Tensor> Run(Tensor input, IReadOnlyCollection<string> taps, Action<string, Tensor>? onTap)
    {
        var wanted = taps.Distinct().ToArray();
        var values = wanted.Select(name => _valueByTap.TryGetValue(name, out var v) ? v
            : throw new ArgumentException($"VGG19 has no tap '{name}'; available: {string.Join(", ", _valueByTap.Keys)}.", nameof(taps))).ToArray();
        var outputs = _graph.Run(input, values, onTap is null ? null : (value, map) => onTap(wanted[Array.IndexOf(values, value)], map));
        return wanted.Zip(values).ToDictionary(p => p.First, p => outputs[p.Second]);
    }

    public void ConvertWeights(ScalarType type) => _graph.ConvertWeights(type);

    public void Dispose() => _graph.Dispose();
}

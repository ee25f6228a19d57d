using StyleBlazor.Engine.Backbones;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace StyleBlazor.Tests.Engine.Transfer;

/// <summary>
/// A three-conv random network (taps conv1, conv2 after a 2×2 max pool, conv3) in float64 or float32, small enough for
/// finite differences and quick loops. Caffe preprocessing like the article's VGG19.
/// </summary>
sealed class TinyConvBackbone : nn.Module<Tensor, Tensor>, IBackbone
{
    readonly Conv2d conv1, conv2, conv3;

    public TinyConvBackbone(int seed = 1, ScalarType dtype = ScalarType.Float32) : base("tiny")
    {
        conv1 = nn.Conv2d(3, 4, 3, padding: 1);
        conv2 = nn.Conv2d(4, 6, 3, padding: 1);
        conv3 = nn.Conv2d(6, 8, 3, padding: 1);
        // Drawn again from a generator of its own: the global one is shared with every test thread (modules built
        // elsewhere draw from it at any time), so a seed there promised nothing on a busy run. Same order and bounds as
        // the default initialisation (kaiming_uniform_ with a = √5 for the weights), so the weights are the ones that
        // manual_seed(seed) gives a network built alone.
        using (var generator = new Generator((ulong)seed))
        using (no_grad())
        {
            foreach (var conv in new[] { conv1, conv2, conv3 })
            {
                double bound = 1 / Math.Sqrt(conv.weight!.shape[1] * conv.weight.shape[2] * conv.weight.shape[3]);
                conv.weight.uniform_(-bound, bound, generator);
                conv.bias!.uniform_(-bound, bound, generator);
            }
        }
        RegisterComponents();
        this.to(dtype);
        foreach (var p in parameters()) p.requires_grad = false;
        eval();
    }

    public string Name => "tiny";
    public IReadOnlyList<LayerInfo> Layers { get; } = [new("conv1", 4, 1), new("conv2", 6, 2), new("conv3", 8, 2)];
    public ImagePreprocessing Preprocessing => ImagePreprocessing.KerasVgg19;
    public int SizeMultiple => 2;
    public Device Device => CPU;

    public IReadOnlyDictionary<string, Tensor> Forward(Tensor input, IReadOnlyCollection<string> taps)
    {
        var result = new Dictionary<string, Tensor>();
        using var scope = NewDisposeScope();
        var x = nn.functional.relu(conv1.call(input));
        if (taps.Contains("conv1")) result["conv1"] = x.alias().MoveToOuterDisposeScope();
        x = nn.functional.relu(conv2.call(nn.functional.max_pool2d(x, 2)));
        if (taps.Contains("conv2")) result["conv2"] = x.alias().MoveToOuterDisposeScope();
        if (taps.Contains("conv3")) result["conv3"] = nn.functional.relu(conv3.call(x)).MoveToOuterDisposeScope();
        return result;
    }

    public override Tensor forward(Tensor input) => Forward(input, ["conv3"])["conv3"];
}

using StyleBlazor.Engine.Backbones;
using StyleBlazor.Engine.Onnx;
using static TorchSharp.torch;

namespace StyleBlazor.Bench;

/// <summary>
/// Convolution FLOPs of one iteration, counted analytically: forward plus the input-gradient backward (the weights are
/// frozen, so no weight gradient) up to the deepest tap. A conv with output [Cout,H,W] and kernel [Cout,Cin/g,kh,kw]
/// costs 2·Cout·H·W·(Cin/g)·kh·kw FLOPs (multiply + add) forward, and the same again for the input gradient.
/// Pools, ReLUs, Gram matrices and the optimiser are left out (under 3% at these sizes).
/// </summary>
static class Flops
{
    /// <summary>VGG19 to the deepest of <paramref name="taps"/>; 512² to block5_conv2 gives 388.4 GFLOP.</summary>
    public static double Vgg19(int height, int width, IEnumerable<string> taps)
    {
        var shapes = Vgg19Backbone.ConvolutionShapes();
        var wanted = taps.ToHashSet();
        int deepest = shapes.Select((s, i) => (s, i)).Where(p => wanted.Contains(p.s.Name)).Max(p => p.i);
        double forward = 0;
        for (int i = 0; i <= deepest; i++)
        {
            var s = shapes[i];
            long h = height, w = width;
            for (int b = 1; b < s.Block; b++) { h /= 2; w /= 2; } // 2×2 max pools floor
            forward += 2.0 * s.OutChannels * h * w * s.InChannels * 9;
        }
        return 2 * forward;
    }

    /// <summary>
    /// The embedded ResNet18 to the deepest of <paramref name="onnxValues"/>: every Conv that is an ancestor of a tap,
    /// with output sizes from one forward pass at this size, plus the 3×3 anti-aliasing blur.
    /// </summary>
    public static double ResNet18(int height, int width, IReadOnlyCollection<string> onnxValues, bool antiAlias = true)
    {
        using var graph = OnnxGraph.Load(ResNet18Backbone.FindModel() ?? throw new FileNotFoundException("ResNet18.onnx not in the build output"),
            CPU, new OnnxLoadOptions(FoldBatchNormIntoConv: true));
        var nodes = graph.Nodes;
        var producer = new Dictionary<string, OnnxNodeInfo>();
        foreach (var n in nodes) foreach (var o in n.Outputs) producer[o] = n;
        var needed = new HashSet<OnnxNodeInfo>();
        var pending = new Stack<string>(onnxValues);
        while (pending.Count > 0)
            if (producer.TryGetValue(pending.Pop(), out var n) && needed.Add(n))
                foreach (var i in n.Inputs.Where(i => i != "")) pending.Push(i);
        var convs = needed.Where(n => n.OpType == "Conv").ToList();

        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var outputs = graph.Run(zeros(1, 3, height, width), convs.Select(c => c.Outputs[0]).ToArray());
        double forward = antiAlias ? 2.0 * 3 * height * width * 9 : 0;
        foreach (var c in convs)
        {
            var weight = graph.Initializer(c.Inputs[1])!;
            long perOutput = weight.shape[1] * weight.shape[2] * weight.shape[3];
            forward += 2.0 * outputs[c.Outputs[0]].numel() * perOutput;
        }
        return 2 * forward;
    }
}

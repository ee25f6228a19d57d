using System.Diagnostics;
using System.Text.Json;
using StyleBlazor.Engine;
using StyleBlazor.Engine.Backbones;
using StyleBlazor.Engine.Losses;
using StyleBlazor.Engine.Onnx;
using StyleBlazor.Engine.Optimisation;
using StyleBlazor.Engine.Transfer;
using TorchSharp;
using static TorchSharp.torch;

namespace StyleBlazor.Bench;

/// <summary>
/// <c>profile --backbone resnet18</c>: one step of the ResNet18 recipe at one size, first phase by phase (the engine's
/// own objective with jitter, <c>autograd.grad</c>, Adam, clip, and what a new jitter shift's content target costs),
/// then layer by layer: every ONNX node up to the deepest tap run alone on its real input, forward and input gradient
/// timed (best of N), with the anti-alias blur and each tap's style term. The layer sum against the whole step shows
/// what lies between the layers (autograd's bookkeeping, the allocator).
/// </summary>
static class ResNetProfile
{
    public static int Run(int size, int iterations, int threads, string malloc, string? precision, string? nhwc)
    {
        bool tuned = ProcessStats.TuneMalloc(malloc);
        TorchRuntime.Configure(CPU, threads);
        if (nhwc is not null) TorchRuntime.ResNet18ChannelsLast = nhwc == "on";
        var type = BackboneCatalogOptions.ParsePrecision(precision, "--precision");
        bool channelsLast = TorchRuntime.ResNet18ChannelsLast ?? type is not null; // as ResNet18Backbone decides
        Console.WriteLine($"allocator {NativeHeap.Describe()}; {MatrixLibrary.Describe()}; {threads} threads; ResNet18 at {size}², " +
                          $"{(type is null ? "float32" : type.ToString())}, activations {(channelsLast ? "NHWC" : "NCHW")}");
        using IBackbone backbone = type is { } t ? new ReducedPrecisionBackbone(new ResNet18Backbone(), t) : new ResNet18Backbone();
        var o = BackboneRecipes.ResNet18 with { MaxSide = size, CoarseIterations = 0 };
        var phases = Phases(backbone, o, size, iterations);
        var layers = Layers(o, size, Math.Max(3, iterations), type, channelsLast);
        Console.WriteLine("RESULT " + JsonSerializer.Serialize(new
        {
            side = "profile-resnet18", size, threads, malloc = tuned ? malloc : "default", phases_ms = phases,
            layers_ms = layers,
        }));
        return 0;
    }

    static Dictionary<string, double> Phases(IBackbone backbone, StyleTransferOptions o, int size, int iterations)
    {
        using var contentImage = SyntheticImages.Content(size, size);
        using var styleImage = SyntheticImages.Style(size, size);
        var working = new SixLabors.ImageSharp.Size(size, size);
        using var content = backbone.Preprocessing.Preprocess(ImageTensors.ToTensor(contentImage, working, CPU));
        using var style = backbone.Preprocessing.Preprocess(ImageTensors.ToTensor(styleImage, working, CPU));
        using var objective = new TransferObjective(backbone, content, [(style, 1.0)], o);
        using var image = content.detach().clone().requires_grad_(true);
        using var adam = new Tf1Adam(image, o.LearningRate, o.Beta1, o.Beta2, o.Epsilon, o.EpsilonHat, o.Nesterov);
        var (low, high) = backbone.Preprocessing.ClipBounds(CPU);
        var jitter = new Random(0);

        var phases = new Dictionary<string, List<double>> { ["new shift's content target"] = [], ["forward + style terms + J"] = [], ["backward"] = [], ["Adam + clip"] = [] };
        var seen = new HashSet<(int, int)>();
        // With one intra-op thread every op runs on this thread, so its CPU time is the work done, steady on a loaded machine.
        bool cpuClock = get_num_threads() == 1;
        var clock = new Stopwatch();
        double mark = 0;
        double Lap()
        {
            double ms;
            if (cpuClock) { double now = ThreadCpuClock.Milliseconds(); ms = now - mark; mark = now; }
            else { ms = clock.Elapsed.TotalMilliseconds; clock.Restart(); }
            return ms;
        }
        for (int i = 0; i < iterations + 1; i++) // the first is a warm-up
        {
            // ONEDNN_VERBOSE for the last step only (STYLEBLAZOR_BENCH_ONEDNN_VERBOSE=1): each primitive and its time.
            if (i == iterations && Environment.GetEnvironmentVariable("STYLEBLAZOR_BENCH_ONEDNN_VERBOSE") == "1") SetOneDnnVerbose(2);
            using var scope = NewDisposeScope();
            int dy = jitter.Next(o.JitterPixels + 1), dx = jitter.Next(o.JitterPixels + 1);
            Lap();
            // A shift not seen before costs a forward pass of the content image: time it on its own first.
            if (seen.Add((dy, dx))) { objective.Evaluate(image, dy, dx); phases["new shift's content target"].Add(0); }
            double target = Lap();
            var (j, _) = objective.Evaluate(image, dy, dx);
            double forward = Lap();
            var gradient = autograd.grad([j], [image])[0];
            double backward = Lap();
            adam.Step(image, gradient);
            using (no_grad()) image.clamp_(low, high);
            double step = Lap();
            if (i == 0) continue;
            if (phases["new shift's content target"].Count > 0 && phases["new shift's content target"][^1] == 0)
                phases["new shift's content target"][^1] = Math.Max(0, target - forward);
            phases["forward + style terms + J"].Add(forward);
            phases["backward"].Add(backward);
            phases["Adam + clip"].Add(step);
        }
        SetOneDnnVerbose(0);
        low.Dispose();
        high.Dispose();

        var medians = phases.Where(p => p.Value.Count > 0).ToDictionary(p => p.Key, p => Math.Round(Worker.Median(p.Value), 1));
        double total = medians.Where(p => p.Key != "new shift's content target").Sum(p => p.Value);
        Console.WriteLine($"\n## One step, phase by phase (median of {iterations}; {(cpuClock ? "this thread's CPU time" : "wall-clock time")})");
        foreach (var (phase, ms) in medians)
            Console.WriteLine($"{phase,-28} {ms,8:F1} ms{(phase.StartsWith("new") ? "  (once per new jitter shift, not in the step)" : $"  {100 * ms / total,5:F1} %")}");
        double gflop = Worker.GigaFlops("resnet18", size, o);
        Console.WriteLine($"{"one step",-28} {total,8:F1} ms  ({gflop:F1} GFLOP, {gflop / (total / 1000):F0} GFLOP/s)");
        medians["step"] = total;
        return medians;
    }

    // torch::verbose::_mkldnn_set_verbose(int): libtorch's switch for oneDNN's verbose mode at run time.
    [System.Runtime.InteropServices.DllImport("torch_cpu", EntryPoint = "_ZN5torch7verbose19_mkldnn_set_verboseEi")]
    static extern int MkldnnSetVerbose(int level);

    static void SetOneDnnVerbose(int level)
    {
        try { MkldnnSetVerbose(level); }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException) { }
    }

    sealed record LayerTime(string Node, string Op, string Shape, double Forward, double Backward, double Gflop);

    static Dictionary<string, double> Layers(StyleTransferOptions o, int size, int repeats, ScalarType? type, bool channelsLast)
    {
        using var graph = OnnxGraph.Load(ResNet18Backbone.FindModel()!, CPU, new OnnxLoadOptions(FoldBatchNormIntoConv: true));
        if (type is { } narrow) graph.ConvertWeights(narrow, channelsLast: channelsLast); // laid out as the backbone lays them
        var taps = o.StyleLayers.Select(l => l.Layer).Append(o.ContentLayer).Distinct().Select(t => Worker.ResNet18OnnxValues[t]).ToHashSet();
        var nodes = graph.Nodes;
        var producer = new Dictionary<string, int>();
        for (int i = 0; i < nodes.Count; i++) foreach (var output in nodes[i].Outputs) producer[output] = i;
        var needed = new SortedSet<int>();
        var pending = new Stack<string>(taps);
        while (pending.Count > 0)
            if (producer.TryGetValue(pending.Pop(), out var n) && needed.Add(n))
                foreach (var input in nodes[n].Inputs.Where(i => i != "")) pending.Push(input);

        using var scope = NewDisposeScope();
        using var generator = new Generator(1);
        var image = randn([1, 3, size, size], generator: generator).mul_(60);
        var rows = new List<LayerTime>();
        var values = new Dictionary<string, Tensor>();
        // The anti-alias blur, as ResNet18Backbone applies it.
        {
            var (fw, bw) = Time([image], x => ResNet18Backbone.Blur(x[0]), repeats);
            rows.Add(new LayerTime("anti-alias blur", "Blur", $"3×{size}²", fw, bw, 0));
            using (no_grad())
            {
                var blurred = ResNet18Backbone.Blur(image);
                values[graph.InputNames[0]] = channelsLast ? ImageTensors.ToChannelsLast(blurred) : blurred;
            }
        }
        foreach (var index in needed)
        {
            var node = nodes[index];
            Tensor?[] Args(bool leaves) => node.Inputs.Select(name => name == "" ? null
                : values.TryGetValue(name, out var v) ? (leaves ? v.detach().requires_grad_(true) : v)
                : graph.Initializer(name)).ToArray();
            var args = Args(leaves: false);
            Tensor output;
            using (no_grad()) output = graph.RunNode(index, args)[0];
            // The node that reads the image keeps float32 weights and hands the rest of the network its output narrowed.
            if (type is { } cast && output.dtype != cast && node.Inputs.Contains(graph.InputNames[0])) output = output.to(cast);
            values[node.Outputs[0]] = output;
            var activations = node.Inputs.Where(values.ContainsKey).ToArray();
            var (fw, bw) = Time(activations.Select(a => values[a]).ToArray(), leaves =>
            {
                var call = node.Inputs.Select(name => name == "" ? null
                    : Array.IndexOf(activations, name) is var i and >= 0 ? leaves[i] : graph.Initializer(name)).ToArray();
                return graph.RunNode(index, call)[0];
            }, repeats);
            double gflop = 0;
            string shape = $"{string.Join("×", values[activations[0]].shape.Skip(1))} → {string.Join("×", output.shape.Skip(1))}";
            if (node.OpType == "Conv")
            {
                var w = graph.Initializer(node.Inputs[1])!;
                gflop = 2.0 * output.numel() * w.shape[1] * w.shape[2] * w.shape[3] / 1e9;
                long stride = values[activations[0]].shape[2] / output.shape[2];
                shape += $" k{w.shape[2]}/{stride}";
            }
            rows.Add(new LayerTime(node.Name, node.OpType, shape, fw, bw, gflop));
        }
        // Each tap's style term (Gram and its loss against a target), and the content term.
        foreach (var tap in o.StyleLayers.Select(l => l.Layer))
        {
            var map = values[Worker.ResNet18OnnxValues[tap]].to(ScalarType.Float32);
            using var target = GramMatrix.Compute(map.flip(3), o.Normalization);
            var (fw, bw) = Time([map], x => StyleLoss.Compute(target, x[0], o.Normalization), repeats);
            long c = map.shape[1], hw = map.shape[2] * map.shape[3];
            rows.Add(new LayerTime($"style term {tap}", "Gram", $"{c}×{map.shape[2]}×{map.shape[3]}", fw, bw, 2.0 * c * c * hw / 1e9));
        }

        Console.WriteLine($"\n## Layer by layer (each node alone on its real input, best of {repeats}; forward and input gradient; " +
                          $"{(get_num_threads() == 1 ? "this thread's CPU time" : "wall-clock time")})");
        Console.WriteLine("| node | op | shape | forward ms | backward ms | GFLOP (fwd) | fwd GFLOP/s | bwd GFLOP/s |");
        Console.WriteLine("|---|---|---|---|---|---|---|---|");
        foreach (var r in rows)
            Console.WriteLine($"| {r.Node} | {r.Op} | {r.Shape} | {r.Forward:F1} | {r.Backward:F1} | {(r.Gflop > 0 ? r.Gflop.ToString("F3") : "")} | " +
                              $"{(r.Gflop > 0 ? (r.Gflop / r.Forward * 1000).ToString("F0") : "")} | {(r.Gflop > 0 ? (r.Gflop / r.Backward * 1000).ToString("F0") : "")} |");
        var byOp = rows.GroupBy(r => r.Op).Select(g => (Op: g.Key, Forward: g.Sum(r => r.Forward), Backward: g.Sum(r => r.Backward), Gflop: g.Sum(r => r.Gflop))).ToList();
        double sum = byOp.Sum(g => g.Forward + g.Backward);
        Console.WriteLine("\n| op | layers | forward ms | backward ms | share of the layer sum | GFLOP/s (fwd+bwd) |");
        Console.WriteLine("|---|---|---|---|---|---|");
        foreach (var g in byOp.OrderByDescending(g => g.Forward + g.Backward))
            Console.WriteLine($"| {g.Op} | {rows.Count(r => r.Op == g.Op)} | {g.Forward:F1} | {g.Backward:F1} | {100 * (g.Forward + g.Backward) / sum:F1} % | {(g.Gflop > 0 ? (2 * g.Gflop / (g.Forward + g.Backward) * 1000).ToString("F0") : "")} |");
        Console.WriteLine($"| all | {rows.Count} | {byOp.Sum(g => g.Forward):F1} | {byOp.Sum(g => g.Backward):F1} | | |");
        return byOp.ToDictionary(g => g.Op, g => Math.Round(g.Forward + g.Backward, 1));
    }

    /// <summary>Best forward and input-gradient times of <paramref name="f"/> on fresh leaves of <paramref name="inputs"/>.</summary>
    static (double Forward, double Backward) Time(Tensor[] inputs, Func<Tensor[], Tensor> f, int repeats)
    {
        double forward = double.MaxValue, backward = double.MaxValue;
        for (int r = 0; r < repeats + 1; r++)
        {
            using var scope = NewDisposeScope();
            var leaves = inputs.Select(x => x.detach().requires_grad_(true)).ToArray();
            bool cpuClock = get_num_threads() == 1;
            double Now() => cpuClock ? ThreadCpuClock.Milliseconds() : Stopwatch.GetTimestamp() * 1000.0 / Stopwatch.Frequency;
            double start = Now();
            var y = f(leaves);
            double fw = Now() - start;
            var dy = randn_like(y);
            start = Now();
            autograd.grad([y], leaves, [dy]);
            double bw = Now() - start;
            if (r == 0) continue; // oneDNN makes its primitives on first use
            forward = Math.Min(forward, fw);
            backward = Math.Min(backward, bw);
        }
        return (forward, backward);
    }
}

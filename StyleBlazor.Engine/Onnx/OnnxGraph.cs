using System.Collections.Concurrent;
using Onnx;
using static TorchSharp.torch;

namespace StyleBlazor.Engine.Onnx;

/// <summary>A node as loaded (after optional Conv+BatchNormalization folding), in execution order.</summary>
public sealed record OnnxNodeInfo(string Name, string OpType, IReadOnlyList<string> Inputs, IReadOnlyList<string> Outputs);

/// <param name="FoldBatchNormIntoConv">
/// Merge each inference BatchNormalization into the Conv that alone feeds it (weights rescaled in float64). Saves a
/// pass over every feature map; the folded Conv's own output is then no longer available as a tap.
/// </param>
public sealed record OnnxLoadOptions(bool FoldBatchNormIntoConv = false);

/// <summary>
/// Runs an ONNX graph with TorchSharp: initializers become frozen tensors, nodes become differentiable torch ops, and
/// any named value in the graph can be returned as a tap. Only the nodes the requested values depend on run, and each
/// intermediate is freed as soon as its last consumer has run.
/// </summary>
public sealed class OnnxGraph : IDisposable
{
    sealed record CompiledNode(OnnxNodeInfo Info, OnnxKernel Kernel);

    sealed record Plan(int[] Nodes, Dictionary<string, int> Uses);

    readonly Dictionary<string, Tensor> _initializers;
    readonly CompiledNode[] _nodes;
    readonly Dictionary<string, int> _producer = [];
    readonly Dictionary<string, string> _foldedInto;
    readonly ConcurrentDictionary<string, Plan> _plans = new();
    bool _disposed;
    // Set by ConvertWeights: the type to compute in, and the nodes reading the graph input that cast to it.
    ScalarType? _computeType;
    HashSet<int> _entryNodes = [];
    bool _narrowInputs;

    OnnxGraph(Dictionary<string, Tensor> initializers, CompiledNode[] nodes, string[] inputs, string[] outputs,
        Dictionary<string, string> foldedInto, long opset, Device device)
    {
        _initializers = initializers;
        _nodes = nodes;
        _foldedInto = foldedInto;
        InputNames = inputs;
        OutputNames = outputs;
        Opset = opset;
        Device = device;
        for (var i = 0; i < nodes.Length; i++)
            foreach (var output in nodes[i].Info.Outputs.Where(o => o != ""))
                _producer[output] = i;
    }

    /// <summary>Graph inputs that are not initializers, i.e. what <see cref="Run(IReadOnlyDictionary{string, Tensor}, IReadOnlyCollection{string})"/> needs.</summary>
    public IReadOnlyList<string> InputNames { get; }

    public IReadOnlyList<string> OutputNames { get; }

    public IReadOnlyList<OnnxNodeInfo> Nodes => _nodes.Select(n => n.Info).ToArray();

    /// <summary>Version of the default ONNX operator set the model was exported with.</summary>
    public long Opset { get; }

    public Device Device { get; }

    /// <summary>
    /// Computes in <paramref name="type"/> (e.g. bfloat16) from the nodes after the graph input on: their floating-point
    /// initializers are converted; the nodes that read the input keep float32 weights and cast what they produce.
    /// (libtorch 2.10's bfloat16 input gradient of a direct convolution on 3 channels is 30 % off; every other layer
    /// 2e-3.) With <paramref name="includingEntry"/> those nodes compute in <paramref name="type"/> too, on the input cast
    /// to it: for an entry layer known to be accurate in it, such as a stride-2 convolution by space-to-depth (12 channels).
    /// With <paramref name="channelsLast"/> the converted 4-D weights are also stored channels-last, for a network fed
    /// channels-last activations: libtorch's convolution makes its weight contiguous in its input's memory format, so
    /// NCHW weights were copied on every call, forward and backward (22 % of a step's CPU at 32², ~1 ms a step).
    /// </summary>
    public void ConvertWeights(ScalarType type, bool includingEntry = false, bool channelsLast = false)
    {
        var entry = _nodes.Select((n, i) => (n, i)).Where(p => p.n.Info.Inputs.Any(InputNames.Contains)).ToArray();
        var keep = includingEntry ? [] : entry.SelectMany(p => p.n.Info.Inputs).ToHashSet();
        foreach (var (name, tensor) in _initializers.ToArray())
        {
            if (!tensor.is_floating_point() || keep.Contains(name)) continue;
            bool relayOut = channelsLast && tensor.dim() == 4 && !Transfer.ImageTensors.IsChannelsLast(tensor);
            if (tensor.dtype == type && !relayOut) continue;
            _initializers[name] = Frozen(relayOut ? ChannelsLastCopy(tensor, type) : tensor.to(type));
            tensor.Dispose();
        }
        _entryNodes = includingEntry ? [] : entry.Select(p => p.i).ToHashSet();
        _narrowInputs = includingEntry;
        _computeType = type;
    }

    /// <summary>A 4-D tensor converted to <paramref name="type"/> and laid out channels-last in one pass (a conversion
    /// and then a permuted copy took twice as long at start-up).</summary>
    static Tensor ChannelsLastCopy(Tensor t, ScalarType type)
    {
        long c = t.shape[1], h = t.shape[2], w = t.shape[3];
        return empty_strided(t.shape, [c * h * w, 1, w * c, c], dtype: type, device: t.device).copy_(t);
    }

    /// <summary>The frozen tensor behind an initializer (owned by the graph), or null.</summary>
    public Tensor? Initializer(string name) => _initializers.GetValueOrDefault(name);

    /// <summary>Runs node <paramref name="index"/> of <see cref="Nodes"/> alone (the bench times layers one by one).</summary>
    internal Tensor[] RunNode(int index, IReadOnlyList<Tensor?> inputs) => _nodes[index].Kernel(inputs);

    /// <summary>Loads an ONNX file, each initializer's elements read from it straight into its tensor (<see cref="OnnxFile"/>).</summary>
    public static OnnxGraph Load(string path, Device? device = null, OnnxLoadOptions? options = null)
    {
        using var file = OnnxFile.Open(path);
        return Load(file.Model, file, device, options);
    }

    public static OnnxGraph Load(ModelProto model, Device? device = null, OnnxLoadOptions? options = null) => Load(model, null, device, options);

    static OnnxGraph Load(ModelProto model, OnnxFile? file, Device? device, OnnxLoadOptions? options)
    {
        device ??= CPU;
        options ??= new OnnxLoadOptions();
        var graph = model.Graph ?? throw new InvalidDataException("The ONNX model has no graph.");
        var opset = model.OpsetImport.Where(o => o.Domain is "" or "ai.onnx").Select(o => o.Version).DefaultIfEmpty(1).Max();

        var initializers = new Dictionary<string, Tensor>();
        try
        {
            for (var i = 0; i < graph.Initializer.Count; i++)
            {
                var proto = graph.Initializer[i];
                initializers[proto.Name] = Frozen(OnnxTensors.ToTorch(proto, device, file, i));
            }

            var nodes = new List<NodeProto>();
            foreach (var node in graph.Node)
            {
                if (node.OpType == "Constant" && node.Domain is "" or "ai.onnx")
                    initializers[node.Output[0]] = Frozen(OnnxTensors.FromConstant(node, new OnnxAttributes(node), device));
                else
                    nodes.Add(node);
            }

            var inputs = graph.Input.Select(i => i.Name).Where(n => !initializers.ContainsKey(n)).ToArray();
            var outputs = graph.Output.Select(o => o.Name).ToArray();
            var ordered = TopologicalOrder(nodes, inputs.Concat(initializers.Keys));
            var foldedInto = new Dictionary<string, string>();
            if (options.FoldBatchNormIntoConv)
                ordered = FoldBatchNorms(ordered, initializers, outputs, foldedInto);

            var compiled = ordered.Select(n =>
            {
                var label = Label(n);
                var info = new OnnxNodeInfo(n.Name, n.OpType, n.Input.ToArray(), n.Output.ToArray());
                return new CompiledNode(info, OnnxOperators.Compile(n, label, opset));
            }).ToArray();
            return new OnnxGraph(initializers, compiled, inputs, outputs, foldedInto, opset, device);
        }
        catch
        {
            foreach (var t in initializers.Values) t.Dispose();
            throw;
        }
    }

    /// <summary>Runs a graph with a single input.</summary>
    public IReadOnlyDictionary<string, Tensor> Run(Tensor input, IReadOnlyCollection<string> outputs, Action<string, Tensor>? onOutput = null)
    {
        if (InputNames.Count != 1)
            throw new InvalidOperationException($"The graph has {InputNames.Count} inputs ({string.Join(", ", InputNames)}); name them.");
        return Run(new Dictionary<string, Tensor> { [InputNames[0]] = input }, outputs, onOutput);
    }

    /// <summary>
    /// Computes the named values (any node output, not only graph outputs). Differentiable with respect to the inputs;
    /// the caller owns the returned tensors, the inputs stay the caller's. <paramref name="onOutput"/> sees each requested
    /// node output as soon as it is computed (see <see cref="Backbones.IBackbone"/>'s Forward with onTap).
    /// </summary>
    public IReadOnlyDictionary<string, Tensor> Run(IReadOnlyDictionary<string, Tensor> inputs, IReadOnlyCollection<string> outputs,
        Action<string, Tensor>? onOutput = null)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        foreach (var name in InputNames)
            if (!inputs.ContainsKey(name)) throw new ArgumentException($"Missing graph input '{name}'.", nameof(inputs));

        var plan = _plans.GetOrAdd(string.Join('\n', outputs.Distinct().Order()), _ => MakePlan(outputs));
        var remaining = new Dictionary<string, int>(plan.Uses);
        var computed = new Dictionary<string, Tensor>();
        var wanted = outputs.ToHashSet();
        var results = new Dictionary<string, Tensor>();
        using var scope = NewDisposeScope();
        if (_narrowInputs && _computeType is { } narrow)
            inputs = inputs.ToDictionary(p => p.Key, p => p.Value.is_floating_point() && p.Value.dtype != narrow ? p.Value.to(narrow) : p.Value);
        try
        {
            foreach (var index in plan.Nodes)
            {
                var node = _nodes[index].Info;
                var args = node.Inputs.Select(name => name == "" ? null : Resolve(name, inputs, computed)).ToArray();
                var produced = _nodes[index].Kernel(args);
                if (_computeType is { } type && _entryNodes.Contains(index))
                    for (var i = 0; i < produced.Length; i++)
                        if (produced[i].is_floating_point()) using (var full = produced[i]) produced[i] = full.to(type);
                for (var i = 0; i < produced.Length; i++)
                {
                    var name = i < node.Outputs.Count ? node.Outputs[i] : "";
                    if (name != "" && (wanted.Contains(name) || remaining.GetValueOrDefault(name) > 0)) computed[name] = produced[i];
                    else produced[i].Dispose();
                    if (name != "" && wanted.Contains(name)) onOutput?.Invoke(name, produced[i]);
                }
                foreach (var name in node.Inputs.Distinct())
                {
                    if (!computed.TryGetValue(name, out var value) || wanted.Contains(name)) continue;
                    if (--remaining[name] == 0)
                    {
                        value.Dispose();
                        computed.Remove(name);
                    }
                }
            }
            foreach (var name in wanted)
            {
                // A graph input or initializer asked for by name comes back as a new handle the caller may dispose.
                var value = computed.TryGetValue(name, out var t) ? t : Resolve(name, inputs, computed).alias();
                results[name] = value.MoveToOuterDisposeScope();
            }
            return results;
        }
        catch
        {
            foreach (var t in computed.Values) t.Dispose();
            throw;
        }
    }

    Tensor Resolve(string name, IReadOnlyDictionary<string, Tensor> inputs, Dictionary<string, Tensor> computed) =>
        computed.TryGetValue(name, out var t) ? t
        : inputs.TryGetValue(name, out t) ? t
        : _initializers.TryGetValue(name, out t) ? t
        : throw new InvalidOperationException($"Value '{name}' is not available.");

    /// <summary>Only the ancestors of the requested values run; counts how often each value is still consumed.</summary>
    Plan MakePlan(IReadOnlyCollection<string> outputs)
    {
        var needed = new SortedSet<int>();
        var pending = new Stack<string>(outputs);
        while (pending.Count > 0)
        {
            var name = pending.Pop();
            if (_producer.TryGetValue(name, out var index))
            {
                if (!needed.Add(index)) continue;
                foreach (var input in _nodes[index].Info.Inputs.Where(i => i != "")) pending.Push(input);
            }
            else if (!InputNames.Contains(name) && !_initializers.ContainsKey(name))
            {
                throw new ArgumentException(_foldedInto.TryGetValue(name, out var into)
                    ? $"Value '{name}' was folded into '{into}' when the graph loaded; load without FoldBatchNormIntoConv to tap it."
                    : $"The graph has no value named '{name}'.", nameof(outputs));
            }
        }
        var uses = new Dictionary<string, int>();
        foreach (var index in needed)
            foreach (var input in _nodes[index].Info.Inputs.Where(i => i != "").Distinct())
                uses[input] = uses.GetValueOrDefault(input) + 1;
        return new Plan(needed.ToArray(), uses);
    }

    static Tensor Frozen(Tensor t)
    {
        t.requires_grad = false;
        return t.DetachFromDisposeScope();
    }

    static string Label(NodeProto node) =>
        node.Name != "" ? $"'{node.Name}'" : $"producing '{string.Join("', '", node.Output.Where(o => o != ""))}'";

    static List<NodeProto> TopologicalOrder(List<NodeProto> nodes, IEnumerable<string> available)
    {
        var ready = available.ToHashSet();
        var ordered = new List<NodeProto>(nodes.Count);
        var waiting = new List<NodeProto>(nodes);
        while (waiting.Count > 0)
        {
            var next = waiting.Where(n => n.Input.All(i => i == "" || ready.Contains(i))).ToList();
            if (next.Count == 0)
            {
                var stuck = waiting[0];
                var missing = stuck.Input.First(i => i != "" && !ready.Contains(i));
                throw new InvalidDataException($"ONNX node {Label(stuck)} ({stuck.OpType}) needs '{missing}', which nothing produces (or the graph has a cycle).");
            }
            foreach (var n in next)
            {
                ordered.Add(n);
                ready.UnionWith(n.Output);
            }
            waiting.RemoveAll(next.Contains);
        }
        return ordered;
    }

    /// <summary>
    /// y = γ·(W∗x + b − μ)/√(σ² + ε) + β  ≡  (s·W)∗x + (s·(b − μ) + β)  with  s = γ/√(σ² + ε). s and the bias are computed
    /// in float64; s·W in the weights' own type (one rounding of s more than a float64 product: a few 1e-8 relative, where
    /// a float64 copy of ResNet18's weights took most of half a second to make at start-up). The Conv's and the
    /// BatchNormalization's own initializers are dropped when nothing else reads them.
    /// </summary>
    static List<NodeProto> FoldBatchNorms(List<NodeProto> nodes, Dictionary<string, Tensor> initializers, string[] graphOutputs,
        Dictionary<string, string> foldedInto)
    {
        var consumers = nodes.SelectMany(n => n.Input.Distinct().Select(i => (Input: i, Node: n)))
            .ToLookup(p => p.Input, p => p.Node);
        var folded = new HashSet<NodeProto>();
        var replaced = new Dictionary<string, string>();
        var result = new List<NodeProto>();
        foreach (var node in nodes)
        {
            if (folded.Contains(node)) continue;
            if (node.OpType != "Conv" || node.Output.Count != 1 || graphOutputs.Contains(node.Output[0]) ||
                consumers[node.Output[0]].ToList() is not [{ OpType: "BatchNormalization" } bn] ||
                bn.Input[0] != node.Output[0] || bn.Output.Skip(1).Any(o => o != "") ||
                new OnnxAttributes(bn) is var a && (a.Int("spatial", 1) != 1 || a.Int("training_mode", 0) != 0) ||
                !node.Input.Skip(1).Concat(bn.Input.Skip(1)).All(initializers.ContainsKey))
            {
                result.Add(node);
                continue;
            }

            var wName = $"{node.Output[0]}::folded_weight";
            var bName = $"{node.Output[0]}::folded_bias";
            using (NewDisposeScope())
            {
                const ScalarType exact = ScalarType.Float64;
                var w = initializers[node.Input[1]];
                var b = node.Input.Count > 2 && node.Input[2] != "" ? initializers[node.Input[2]].to(exact) : null;
                var (gamma, beta, mean, variance) = (initializers[bn.Input[1]].to(exact), initializers[bn.Input[2]].to(exact),
                    initializers[bn.Input[3]].to(exact), initializers[bn.Input[4]].to(exact));
                var scale = gamma.div(variance.add(a.Float("epsilon", 1e-5f)).sqrt());
                var perChannel = scale.to(w.dtype).view([-1, .. Enumerable.Repeat(1L, (int)w.dim() - 1)]);
                // Scaled where it lies when this Conv alone reads it: no second copy of the weights to allocate.
                var alone = consumers[node.Input[1]].Count() == 1 && !graphOutputs.Contains(node.Input[1]);
                initializers[wName] = alone ? w.mul_(perChannel) : Frozen(w.mul(perChannel).MoveToOuterDisposeScope());
                if (alone) initializers.Remove(node.Input[1]);
                var foldedB = (b is null ? mean.neg() : b.sub(mean)).mul(scale).add(beta).to(w.dtype);
                initializers[bName] = Frozen(foldedB.MoveToOuterDisposeScope());
            }
            foreach (var input in node.Input.Skip(1).Concat(bn.Input.Skip(1)).Where(i => i != ""))
                replaced[input] = bn.Output[0];

            var conv = node.Clone();
            conv.Input.Clear();
            conv.Input.Add([node.Input[0], wName, bName]);
            conv.Output.Clear();
            conv.Output.Add(bn.Output[0]);
            foldedInto[node.Output[0]] = bn.Output[0];
            folded.Add(bn);
            result.Add(conv);
        }

        var stillRead = result.SelectMany(n => n.Input).Concat(graphOutputs).ToHashSet();
        foreach (var (name, into) in replaced.Where(p => !stillRead.Contains(p.Key)))
        {
            initializers.Remove(name, out var unused);
            unused?.Dispose();
            foldedInto[name] = into;
        }
        return result;
    }

    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        foreach (var t in _initializers.Values) t.Dispose();
        _initializers.Clear();
    }
}

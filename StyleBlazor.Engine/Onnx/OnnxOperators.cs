using Onnx;
using TorchSharp;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace StyleBlazor.Engine.Onnx;

/// <summary>One compiled node: maps its input tensors (null where the ONNX input name is empty) to its outputs.</summary>
delegate Tensor[] OnnxKernel(IReadOnlyList<Tensor?> inputs);

/// <summary>
/// Compiles ONNX nodes into differentiable TorchSharp operations. Attributes are read once, at load time; each kernel
/// disposes its own temporaries and returns fresh tensors (never one of its inputs), so the executor may free values.
/// </summary>
static class OnnxOperators
{
    delegate OnnxKernel Compiler(NodeProto node, OnnxAttributes attributes, long opset);

    static readonly Dictionary<string, Compiler> Compilers = new()
    {
        ["Conv"] = Conv,
        ["BatchNormalization"] = BatchNormalization,
        ["Relu"] = (_, _, _) => x => [x[0]!.relu()],
        ["MaxPool"] = MaxPool,
        ["AveragePool"] = AveragePool,
        ["GlobalAveragePool"] = (_, _, _) => x => [x[0]!.mean(Enumerable.Range(2, (int)x[0]!.dim() - 2).Select(d => (long)d).ToArray(), keepdim: true)],
        ["Add"] = (n, a, _) => Broadcasting(a, (x, y) => x.add(y)),
        ["Sub"] = (n, a, _) => Broadcasting(a, (x, y) => x.sub(y)),
        ["Mul"] = (n, a, _) => Broadcasting(a, (x, y) => x.mul(y)),
        ["Concat"] = Concat,
        ["Flatten"] = Flatten,
        ["Reshape"] = Reshape,
        ["Gemm"] = Gemm,
        ["MatMul"] = (_, _, _) => x => [x[0]!.matmul(x[1]!)],
        ["Dropout"] = Dropout,
        ["Identity"] = (_, _, _) => x => [x[0]!.alias()],
        ["Softmax"] = Softmax,
        ["Split"] = Split,
    };

    /// <summary>Operators the executor runs; Constant nodes are turned into initializers when the graph loads.</summary>
    public static IEnumerable<string> Supported => Compilers.Keys.Append("Constant").Order();

    public static OnnxKernel Compile(NodeProto node, string label, long opset)
    {
        if (node.Domain is not ("" or "ai.onnx") || !Compilers.TryGetValue(node.OpType, out var compile))
        {
            var op = node.Domain is "" or "ai.onnx" ? node.OpType : $"{node.Domain}.{node.OpType}";
            throw new NotSupportedException(
                $"ONNX operator '{op}' (node {label}) is not supported. Supported operators: {string.Join(", ", Supported)}.");
        }
        try
        {
            return compile(node, new OnnxAttributes(node), opset);
        }
        catch (NotSupportedException e)
        {
            throw new NotSupportedException($"ONNX node {label} ({node.OpType}): {e.Message}", e);
        }
    }

    // ---- convolution and pooling -------------------------------------------------------------------------------

    static OnnxKernel Conv(NodeProto node, OnnxAttributes a, long opset)
    {
        var strides = a.Ints("strides");
        var dilations = a.Ints("dilations");
        var pads = a.Ints("pads");
        var autoPad = a.String("auto_pad", "NOTSET");
        var group = a.Int("group", 1);
        return x =>
        {
            using var scope = NewDisposeScope();
            var (input, weight) = (x[0]!, x[1]!);
            var bias = x.Count > 2 ? x[2] : null;
            var spatial = (int)input.dim() - 2;
            var kernel = weight.shape[2..];
            var s = strides ?? Ones(spatial);
            var d = dilations ?? Ones(spatial);
            var p = ResolvePads(autoPad, pads, input.shape[2..], kernel, s, d);
            if (spatial == 1)
            {
                // 1-D runs as 2-D with a height of one.
                input = input.unsqueeze(2);
                weight = weight.unsqueeze(2);
                (s, d, p) = ([1, s[0]], [1, d[0]], [0, p[0], 0, p[1]]);
                spatial = 2;
            }
            if (spatial != 2) throw new NotSupportedException($"Conv over {spatial} spatial dimensions is not supported (1-D and 2-D are).");

            var y = SpaceToDepth(input, weight, bias, s, d, p, group) ?? Direct(input, weight, bias, s, d, p, group);
            if (x[0]!.dim() == 3) y = y.squeeze(2);
            return [y.MoveToOuterDisposeScope()];
        };
    }

    static Tensor Direct(Tensor input, Tensor weight, Tensor? bias, long[] s, long[] d, long[] p, long group)
    {
        var (padded, symmetric) = PadIfAsymmetric(input, p, 0.0, weight.shape[2..], s, d);
        return F.conv2d(padded, weight, bias, strides: s, padding: symmetric, dilation: d, groups: group);
    }

    /// <summary>
    /// A stride-2 convolution of an input with few channels (ResNet's 7×7/2 stem on the RGB image) as a stride-1 one on
    /// its space-to-depth rearrangement: pixel (2m + ry, 2n + rx) of channel c becomes pixel (m, n) of channel 4c + 2ry + rx,
    /// and the kernel, given a leading zero tap where the top/left padding is odd and a trailing one to an even size, is
    /// cut the same way into a half-size kernel on 4× the channels. The same products and sums; oneDNN's direct kernels
    /// are slow for 3 input channels (its input gradient above all), and 12 suit them far better. Null when the layer or
    /// the input does not fit (odd sides, dilation, groups).
    /// </summary>
    static Tensor? SpaceToDepth(Tensor input, Tensor weight, Tensor? bias, long[] s, long[] d, long[] p, long group)
    {
        long channels = input.shape[1], height = input.shape[2], width = input.shape[3];
        if (s is not [2, 2] || d is not [1, 1] || group != 1 || channels > 4 || height % 2 != 0 || width % 2 != 0 || weight.shape[2] < 3)
            return null;
        long[] kernel = [weight.shape[2], weight.shape[3]];
        var lead = new long[2];
        var half = new long[2];
        var begin = new long[2];
        var end = new long[2];
        long[] outputs = new long[2];
        for (int i = 0; i < 2; i++)
        {
            outputs[i] = (input.shape[2 + i] + p[i] + p[i + 2] - kernel[i]) / 2 + 1;
            lead[i] = p[i] % 2;
            half[i] = (kernel[i] + lead[i] + 1) / 2;
            begin[i] = (p[i] + lead[i]) / 2;
            end[i] = outputs[i] - 1 - begin[i] + half[i] - input.shape[2 + i] / 2;
            if (end[i] < 0) return null;
        }
        using var scope = NewDisposeScope();
        long o = weight.shape[0];
        // Zero taps: lead before, and after up to 2·half.
        var padded = F.pad(weight, [lead[1], 2 * half[1] - kernel[1] - lead[1], lead[0], 2 * half[0] - kernel[0] - lead[0]]);
        var cut = padded.view(o, channels, half[0], 2, half[1], 2).permute(0, 1, 3, 5, 2, 4).reshape(o, 4 * channels, half[0], half[1]);
        var unshuffled = F.pixel_unshuffle(input, 2);
        if (Transfer.ImageTensors.IsChannelsLast(input)) cut = Transfer.ImageTensors.ToChannelsLast(cut); // keeps the output NHWC
        var y = F.conv2d(F.pad(unshuffled, [begin[1], end[1], begin[0], end[0]]), cut, bias);
        return y.MoveToOuterDisposeScope();
    }

    static OnnxKernel MaxPool(NodeProto node, OnnxAttributes a, long opset)
    {
        if (node.Output.Count > 1 && node.Output[1] != "")
            throw new NotSupportedException("the Indices output of MaxPool is not supported.");
        if (a.Int("storage_order", 0) != 0 && node.Output.Count > 1)
            throw new NotSupportedException("storage_order=1 is not supported.");
        var kernel = a.Ints("kernel_shape") ?? throw new NotSupportedException("MaxPool needs kernel_shape.");
        var strides = a.Ints("strides") ?? Ones(kernel.Length);
        var dilations = a.Ints("dilations") ?? Ones(kernel.Length);
        var pads = a.Ints("pads");
        var autoPad = a.String("auto_pad", "NOTSET");
        var ceil = a.Int("ceil_mode", 0) != 0;
        return x => Pool2d(x[0]!, kernel, strides, dilations, pads, autoPad, (input, k, s, d, p) =>
        {
            // Explicit padding with -inf, so a padded cell never wins the max (torch's own padding does the same).
            var (padded, symmetric) = PadIfAsymmetric(input, p, double.NegativeInfinity, k, s, d, ceil, maxSymmetric: k);
            return F.max_pool2d(padded, k, s, symmetric, d, ceil);
        });
    }

    static OnnxKernel AveragePool(NodeProto node, OnnxAttributes a, long opset)
    {
        var kernel = a.Ints("kernel_shape") ?? throw new NotSupportedException("AveragePool needs kernel_shape.");
        var dilations = a.Ints("dilations");
        if (dilations is not null && dilations.Any(v => v != 1)) throw new NotSupportedException("dilated AveragePool is not supported.");
        var strides = a.Ints("strides") ?? Ones(kernel.Length);
        var pads = a.Ints("pads");
        var autoPad = a.String("auto_pad", "NOTSET");
        var ceil = a.Int("ceil_mode", 0) != 0;
        var countIncludePad = a.Int("count_include_pad", 0) != 0;
        return x => Pool2d(x[0]!, kernel, strides, Ones(kernel.Length), pads, autoPad, (input, k, s, _, p) =>
        {
            var (padded, symmetric) = PadIfAsymmetric(input, p, 0.0, k, s, Ones(k.Length), ceil, maxSymmetric: k);
            var mean = F.avg_pool2d(padded, k, s, symmetric, ceil, count_include_pad: countIncludePad || !ReferenceEquals(padded, input));
            if (countIncludePad || ReferenceEquals(padded, input)) return mean;
            // Explicitly zero-padded, but padded cells must not count: divide by the share of real cells in each window.
            using var ones = torch.ones(1, 1, input.shape[2], input.shape[3], dtype: input.dtype, device: input.device);
            using var paddedOnes = F.pad(ones, TorchPadOrder(p));
            using var share = F.avg_pool2d(paddedOnes, k, s, ceil_mode: ceil);
            using (mean) return mean.div(share);
        });
    }

    delegate Tensor Pool2dBody(Tensor input, long[] kernel, long[] strides, long[] dilations, long[] pads);

    static Tensor[] Pool2d(Tensor input, long[] kernel, long[] strides, long[] dilations, long[]? pads, string autoPad, Pool2dBody body)
    {
        using var scope = NewDisposeScope();
        var p = ResolvePads(autoPad, pads, input.shape[2..], kernel, strides, dilations);
        Tensor y;
        if (kernel.Length == 1)
            y = body(input.unsqueeze(2), [1, kernel[0]], [1, strides[0]], [1, dilations[0]], [0, p[0], 0, p[1]]).squeeze(2);
        else if (kernel.Length == 2)
            y = body(input, kernel, strides, dilations, p);
        else
            throw new NotSupportedException($"pooling over {kernel.Length} spatial dimensions is not supported (1-D and 2-D are).");
        return [y.MoveToOuterDisposeScope()];
    }

    /// <summary>ONNX pads are [begin_1, begin_2, …, end_1, end_2, …]; auto_pad SAME_* computes them from the input size.</summary>
    static long[] ResolvePads(string autoPad, long[]? pads, long[] inputSize, long[] kernel, long[] strides, long[] dilations)
    {
        var n = kernel.Length;
        switch (autoPad)
        {
            case "" or "NOTSET":
                return pads ?? new long[2 * n];
            case "VALID":
                return new long[2 * n];
            case "SAME_UPPER" or "SAME_LOWER":
                var result = new long[2 * n];
                for (var i = 0; i < n; i++)
                {
                    var outSize = (inputSize[i] + strides[i] - 1) / strides[i];
                    var total = Math.Max(0, (outSize - 1) * strides[i] + (kernel[i] - 1) * dilations[i] + 1 - inputSize[i]);
                    var small = total / 2;
                    (result[i], result[i + n]) = autoPad == "SAME_UPPER" ? (small, total - small) : (total - small, small);
                }
                return result;
            default:
                throw new NotSupportedException($"auto_pad '{autoPad}' is not supported.");
        }
    }

    /// <summary>
    /// Torch pads symmetrically only; asymmetric ONNX pads (CNTK's stride-2 layers use top/left 1, bottom/right 0) are
    /// applied explicitly with <paramref name="value"/>, a copy of the whole map. Where padding the end as much as the
    /// begin gives as many outputs (an even side under CNTK's stride-2 pads), every window is the same and never reaches
    /// the extra end padding, so torch's own symmetric padding computes the same values without the copy.
    /// Returns the tensor to run on and the symmetric padding left to torch.
    /// </summary>
    static (Tensor Input, long[] Symmetric) PadIfAsymmetric(Tensor input, long[] pads, double value, long[] kernel, long[] strides,
        long[] dilations, bool ceil = false, long[]? maxSymmetric = null)
    {
        var n = pads.Length / 2;
        var begin = pads[..n];
        var end = pads[n..];
        long Outputs(int i, long padding) => (input.shape[2 + i] + padding - dilations[i] * (kernel[i] - 1) - 1) / strides[i] + 1;
        var sameWindows = Enumerable.Range(0, n).All(i => begin[i] == end[i]
            || (!ceil && begin[i] > end[i] && Outputs(i, 2 * begin[i]) == Outputs(i, begin[i] + end[i])));
        // Torch pooling only pads up to half the kernel; beyond that pad explicitly as well.
        var torchCanPad = sameWindows && (maxSymmetric is null || begin.Select((b, i) => b <= maxSymmetric[i] / 2).All(ok => ok));
        if (torchCanPad) return (input, begin);
        return (F.pad(input, TorchPadOrder(pads), PaddingModes.Constant, value), new long[n]);
    }

    /// <summary>F.pad wants (last-dim begin, last-dim end, previous-dim begin, …).</summary>
    static long[] TorchPadOrder(long[] pads)
    {
        var n = pads.Length / 2;
        var result = new long[2 * n];
        for (var i = 0; i < n; i++)
        {
            result[2 * i] = pads[n - 1 - i];
            result[2 * i + 1] = pads[2 * n - 1 - i];
        }
        return result;
    }

    static long[] Ones(int n) => Enumerable.Repeat(1L, n).ToArray();

    // ---- normalisation and element-wise ------------------------------------------------------------------------

    static OnnxKernel BatchNormalization(NodeProto node, OnnxAttributes a, long opset)
    {
        if (a.Int("spatial", 1) != 1) throw new NotSupportedException("BatchNormalization with spatial=0 is not supported.");
        if (a.Int("training_mode", 0) != 0 || node.Output.Skip(1).Any(o => o != ""))
            throw new NotSupportedException("BatchNormalization in training mode is not supported (inference only).");
        var epsilon = a.Float("epsilon", 1e-5f);
        return x => [F.batch_norm(x[0]!, x[3]!, x[4]!, x[1], x[2], training: false, eps: epsilon)];
    }

    /// <summary>Numpy broadcasting (opset ≥ 7); before opset 7 <c>broadcast=1, axis=k</c> aligned B with A's axis k.</summary>
    static OnnxKernel Broadcasting(OnnxAttributes a, Func<Tensor, Tensor, Tensor> op)
    {
        if (a.Int("broadcast", 0) == 0 || !a.Has("axis")) return x => [op(x[0]!, x[1]!)];
        var axis = a.Int("axis", 0);
        return x =>
        {
            var (left, right) = (x[0]!, x[1]!);
            var start = axis < 0 ? axis + left.dim() : axis;
            var trailing = left.dim() - start - right.dim();
            using var aligned = right.reshape([.. right.shape, .. Ones((int)trailing)]);
            return [op(left, aligned)];
        };
    }

    static OnnxKernel Concat(NodeProto node, OnnxAttributes a, long opset)
    {
        var axis = a.Int("axis", opset < 4 ? 1 : long.MinValue);
        if (axis == long.MinValue) throw new NotSupportedException("Concat needs an axis.");
        return x => [torch.cat(x.Select(t => t!).ToArray(), axis)];
    }

    static OnnxKernel Softmax(NodeProto node, OnnxAttributes a, long opset)
    {
        if (opset >= 13)
        {
            var axis13 = a.Int("axis", -1);
            return x => [x[0]!.softmax(axis13)];
        }
        // Before opset 13 Softmax flattened the input to 2-D at axis and normalised over the second dimension.
        var axis = a.Int("axis", 1);
        return x =>
        {
            using var scope = NewDisposeScope();
            var input = x[0]!;
            var k = axis < 0 ? axis + input.dim() : axis;
            var rows = input.shape[..(int)k].Aggregate(1L, (p, v) => p * v);
            var y = input.reshape(rows, -1).softmax(1).reshape(input.shape);
            return [y.MoveToOuterDisposeScope()];
        };
    }

    static OnnxKernel Gemm(NodeProto node, OnnxAttributes a, long opset)
    {
        var transA = a.Int("transA", 0) != 0;
        var transB = a.Int("transB", 0) != 0;
        var alpha = a.Float("alpha", 1f);
        var beta = a.Float("beta", 1f);
        return x =>
        {
            using var scope = NewDisposeScope();
            var left = transA ? x[0]!.t() : x[0]!;
            var right = transB ? x[1]!.t() : x[1]!;
            var c = x.Count > 2 ? x[2] : null;
            var y = c is null || beta == 0
                ? left.matmul(right).mul(alpha)
                : torch.addmm(c, left, right, beta: beta, alpha: alpha);
            return [y.MoveToOuterDisposeScope()];
        };
    }

    // ---- shape -------------------------------------------------------------------------------------------------

    static OnnxKernel Flatten(NodeProto node, OnnxAttributes a, long opset)
    {
        var axis = a.Int("axis", 1);
        return x =>
        {
            var input = x[0]!;
            var k = (int)(axis < 0 ? axis + input.dim() : axis);
            var rows = input.shape[..k].Aggregate(1L, (p, v) => p * v);
            var columns = input.shape[k..].Aggregate(1L, (p, v) => p * v);
            return [input.reshape(rows, columns)];
        };
    }

    static OnnxKernel Reshape(NodeProto node, OnnxAttributes a, long opset)
    {
        var shapeAttribute = a.Ints("shape");
        var allowZero = a.Int("allowzero", 0) != 0;
        return x =>
        {
            var input = x[0]!;
            var shape = x.Count > 1 && x[1] is { } s ? s.data<long>().ToArray() : shapeAttribute
                ?? throw new NotSupportedException("Reshape needs a shape input or attribute.");
            // 0 copies the input's size at that position unless allowzero=1.
            var target = shape.Select((v, i) => v == 0 && !allowZero ? input.shape[i] : v).ToArray();
            return [input.reshape(target)];
        };
    }

    static OnnxKernel Split(NodeProto node, OnnxAttributes a, long opset)
    {
        var axis = a.Int("axis", 0);
        var sizesAttribute = a.Ints("split");
        var outputs = node.Output.Count;
        return x =>
        {
            var input = x[0]!;
            var dim = axis < 0 ? axis + input.dim() : axis;
            var sizes = x.Count > 1 && x[1] is { } s ? s.data<long>().ToArray() : sizesAttribute;
            if (sizes is null)
            {
                // Equal parts; since opset 18 the last one may be smaller.
                var part = (input.shape[dim] + outputs - 1) / outputs;
                sizes = Enumerable.Range(0, outputs).Select(i => Math.Min(part, input.shape[dim] - i * part)).ToArray();
            }
            // Split views share storage with the input; clone so each output can be freed on its own schedule.
            return input.split(sizes, dim).Select(v => { using (v) return v.clone(); }).ToArray();
        };
    }

    static OnnxKernel Dropout(NodeProto node, OnnxAttributes a, long opset)
    {
        var wantsMask = node.Output.Count > 1 && node.Output[1] != "";
        // Inference: identity. The mask, when asked for, keeps everything.
        return x => wantsMask ? [x[0]!.alias(), torch.ones_like(x[0]!, dtype: ScalarType.Bool)] : [x[0]!.alias()];
    }
}

using Onnx;
using static TorchSharp.torch;

namespace StyleBlazor.Engine.Onnx;

/// <summary>Turns ONNX <see cref="TensorProto"/>s (initializers, Constant values) into TorchSharp tensors.</summary>
static class OnnxTensors
{
    /// <param name="file">The file <paramref name="proto"/> was read from, at <paramref name="index"/> among the graph's
    /// initializers, when its elements were left there for the tensor to read (<see cref="OnnxFile"/>).</param>
    public static Tensor ToTorch(TensorProto proto, Device device, OnnxFile? file = null, int index = -1)
    {
        if (proto.DataLocation == TensorProto.Types.DataLocation.External)
            throw new NotSupportedException($"Tensor '{proto.Name}' keeps its data in an external file; only self-contained ONNX files are supported.");

        var dims = proto.Dims.ToArray();
        using var scope = NewDisposeScope();
        Tensor host;
        if (file?.ElementByteCount(index, proto) is { } byteCount)
        {
            host = Empty(proto, dims, byteCount);
            file.ReadElements(index, host.bytes);
        }
        else if (proto.RawData.Length > 0)
        {
            host = Empty(proto, dims, proto.RawData.Length);
            proto.RawData.Span.CopyTo(host.bytes);
        }
        else
        {
            host = (TensorProto.Types.DataType)proto.DataType switch
            {
                TensorProto.Types.DataType.Float => tensor(proto.FloatData.ToArray()),
                TensorProto.Types.DataType.Double => tensor(proto.DoubleData.ToArray()),
                TensorProto.Types.DataType.Int64 => tensor(proto.Int64Data.ToArray()),
                TensorProto.Types.DataType.Int32 => tensor(proto.Int32Data.ToArray()),
                TensorProto.Types.DataType.Bool => tensor(proto.Int32Data.Select(v => v != 0).ToArray()),
                var other => throw Unsupported(proto, other),
            };
            if (host.numel() != Count(dims))
                throw new InvalidDataException($"Tensor '{proto.Name}' holds {host.numel()} elements for its shape [{string.Join(", ", dims)}].");
        }
        // ONNX stores a bool in a byte, read as uint8 (Empty); torch's bool wants 0 or 1.
        if ((TensorProto.Types.DataType)proto.DataType == TensorProto.Types.DataType.Bool && host.dtype == ScalarType.Byte) host = host.ne(0);
        return host.reshape(dims).to(device).detach().MoveToOuterDisposeScope();
    }

    /// <summary>
    /// A CPU tensor for elements stored little-endian (as raw_data and packed float_data store them), checked to be
    /// <paramref name="byteCount"/> bytes long.
    /// </summary>
    static Tensor Empty(TensorProto proto, long[] dims, int byteCount)
    {
        var (type, size) = (TensorProto.Types.DataType)proto.DataType switch
        {
            TensorProto.Types.DataType.Float => (ScalarType.Float32, 4),
            TensorProto.Types.DataType.Double => (ScalarType.Float64, 8),
            TensorProto.Types.DataType.Int64 => (ScalarType.Int64, 8),
            TensorProto.Types.DataType.Int32 => (ScalarType.Int32, 4),
            TensorProto.Types.DataType.Bool => (ScalarType.Byte, 1),
            var other => throw Unsupported(proto, other),
        };
        if (byteCount != Count(dims) * size)
            throw new InvalidDataException($"Tensor '{proto.Name}' holds {byteCount} bytes of data; its shape [{string.Join(", ", dims)}] needs {Count(dims) * size}.");
        return empty(dims, type);
    }

    static long Count(long[] dims) => dims.Aggregate(1L, (count, d) => count * d);

    static NotSupportedException Unsupported(TensorProto proto, TensorProto.Types.DataType type) =>
        new($"Tensor '{proto.Name}' has element type {type}; supported: float, double, int64, int32, bool.");

    /// <summary>The value of a Constant node (opset 1–13 attribute forms), on <paramref name="device"/>.</summary>
    public static Tensor FromConstant(NodeProto node, OnnxAttributes attributes, Device device)
    {
        if (attributes.Tensor("value") is { } proto) return ToTorch(proto, device);
        if (attributes.Has("value_float")) return tensor(attributes.Float("value_float", 0), device: device);
        if (attributes.Floats("value_floats") is { } floats) return tensor(floats, device: device);
        if (attributes.Has("value_int")) return tensor(attributes.Int("value_int", 0), device: device);
        if (attributes.Ints("value_ints") is { } ints) return tensor(ints, device: device);
        throw new NotSupportedException($"Constant node '{node.Name}' has no supported value attribute (value, value_float(s), value_int(s)).");
    }
}

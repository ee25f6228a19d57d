using System.Runtime.InteropServices;
using Onnx;
using static TorchSharp.torch;

namespace StyleBlazor.Engine.Onnx;

/// <summary>Turns ONNX <see cref="TensorProto"/>s (initializers, Constant values) into TorchSharp tensors.</summary>
static class OnnxTensors
{
    public static Tensor ToTorch(TensorProto proto, Device device)
    {
        if (proto.DataLocation == TensorProto.Types.DataLocation.External)
            throw new NotSupportedException($"Tensor '{proto.Name}' keeps its data in an external file; only self-contained ONNX files are supported.");

        var dims = proto.Dims.ToArray();
        var raw = proto.RawData.Span;
        Tensor flat = (TensorProto.Types.DataType)proto.DataType switch
        {
            TensorProto.Types.DataType.Float => tensor(raw.Length > 0 ? MemoryMarshal.Cast<byte, float>(raw).ToArray() : proto.FloatData.ToArray()),
            TensorProto.Types.DataType.Double => tensor(raw.Length > 0 ? MemoryMarshal.Cast<byte, double>(raw).ToArray() : proto.DoubleData.ToArray()),
            TensorProto.Types.DataType.Int64 => tensor(raw.Length > 0 ? MemoryMarshal.Cast<byte, long>(raw).ToArray() : proto.Int64Data.ToArray()),
            TensorProto.Types.DataType.Int32 => tensor(raw.Length > 0 ? MemoryMarshal.Cast<byte, int>(raw).ToArray() : proto.Int32Data.ToArray()),
            TensorProto.Types.DataType.Bool => tensor(raw.Length > 0 ? raw.ToArray().Select(b => b != 0).ToArray() : proto.Int32Data.Select(v => v != 0).ToArray()),
            var other => throw new NotSupportedException($"Tensor '{proto.Name}' has element type {other}; supported: float, double, int64, int32, bool."),
        };
        using var scope = NewDisposeScope();
        return flat.reshape(dims).to(device).detach().MoveToOuterDisposeScope();
    }

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

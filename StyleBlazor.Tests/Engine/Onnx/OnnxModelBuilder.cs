using Google.Protobuf;
using Onnx;

namespace StyleBlazor.Tests.Engine.Onnx;

/// <summary>Builds small ONNX models in memory with the generated protobuf classes.</summary>
sealed class OnnxModelBuilder(long opset = 13)
{
    readonly GraphProto _graph = new() { Name = "test" };

    public OnnxModelBuilder Input(string name, params long[] shape)
    {
        _graph.Input.Add(FloatValue(name, shape));
        return this;
    }

    public OnnxModelBuilder Output(string name)
    {
        _graph.Output.Add(FloatValue(name, null));
        return this;
    }

    public OnnxModelBuilder Initializer(string name, float[] data, params long[] dims)
    {
        var t = new TensorProto { Name = name, DataType = (int)TensorProto.Types.DataType.Float };
        t.Dims.Add(dims);
        t.FloatData.Add(data);
        _graph.Initializer.Add(t);
        return this;
    }

    public OnnxModelBuilder Initializer(string name, long[] data)
    {
        var t = new TensorProto { Name = name, DataType = (int)TensorProto.Types.DataType.Int64 };
        t.Dims.Add(data.Length);
        t.Int64Data.Add(data);
        _graph.Initializer.Add(t);
        return this;
    }

    public OnnxModelBuilder Node(string opType, string[] inputs, string[] outputs, string name = "", params AttributeProto[] attributes)
    {
        var node = new NodeProto { OpType = opType, Name = name };
        node.Input.Add(inputs);
        node.Output.Add(outputs);
        node.Attribute.Add(attributes);
        _graph.Node.Add(node);
        return this;
    }

    public ModelProto Build()
    {
        var model = new ModelProto { IrVersion = 7, ProducerName = "StyleBlazor.Tests", Graph = _graph.Clone() };
        model.OpsetImport.Add(new OperatorSetIdProto { Domain = "", Version = opset });
        return model;
    }

    public static AttributeProto Attr(string name, long value) =>
        new() { Name = name, Type = AttributeProto.Types.AttributeType.Int, I = value };

    public static AttributeProto Attr(string name, float value) =>
        new() { Name = name, Type = AttributeProto.Types.AttributeType.Float, F = value };

    public static AttributeProto Attr(string name, string value) =>
        new() { Name = name, Type = AttributeProto.Types.AttributeType.String, S = ByteString.CopyFromUtf8(value) };

    public static AttributeProto Attr(string name, params long[] values)
    {
        var a = new AttributeProto { Name = name, Type = AttributeProto.Types.AttributeType.Ints };
        a.Ints.Add(values);
        return a;
    }

    static ValueInfoProto FloatValue(string name, long[]? shape)
    {
        var tensorType = new TypeProto.Types.Tensor { ElemType = (int)TensorProto.Types.DataType.Float };
        if (shape is not null)
        {
            tensorType.Shape = new TensorShapeProto();
            foreach (var d in shape) tensorType.Shape.Dim.Add(new TensorShapeProto.Types.Dimension { DimValue = d });
        }
        return new ValueInfoProto { Name = name, Type = new TypeProto { TensorType = tensorType } };
    }
}

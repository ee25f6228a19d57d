using Google.Protobuf;
using Onnx;
using StyleBlazor.Engine.Onnx;
using StyleBlazor.Tests.Support;
using static TorchSharp.torch;
using DataType = Onnx.TensorProto.Types.DataType;

namespace StyleBlazor.Tests.Engine.Onnx;

/// <summary>A model loaded from its file, where the initializers' elements are read into their tensors and not parsed by protobuf.</summary>
public sealed class OnnxFileTests : IDisposable
{
    readonly TemporaryWeightsDirectory _directory = new();

    static TensorProto Raw(string name, DataType type, byte[] bytes, params long[] dims)
    {
        var proto = new TensorProto { Name = name, DataType = (int)type, RawData = ByteString.CopyFrom(bytes) };
        proto.Dims.Add(dims);
        return proto;
    }

    static byte[] Bytes<T>(params T[] values) where T : unmanaged =>
        System.Runtime.InteropServices.MemoryMarshal.AsBytes(values.AsSpan()).ToArray();

    string Save(byte[] bytes, string name = "model.onnx")
    {
        var path = _directory.File(name);
        File.WriteAllBytes(path, bytes);
        return path;
    }

    [Fact]
    public void EveryInitializerHasTheValuesAndShapeItHasInTheFile()
    {
        var weights = TestData.Uniform(40, 2 * 3 * 3 * 3, 0.5);
        var model = new OnnxModelBuilder().Input("x", 1, 3, 5, 5)
            .Initializer("w", weights, 2, 3, 3, 3) // packed float_data
            .Initializer("shape", [1L, -1])         // int64_data: protobuf reads it
            .Node("Conv", ["x", "w", "b"], ["c"], "conv").Node("Reshape", ["c", "shape"], ["y"], "flat").Output("y").Build();
        model.Graph.Initializer.Add([
            Raw("b", DataType.Float, Bytes(0.25f, -1.5f), 2),
            Raw("d", DataType.Double, Bytes(1.5, -2.0, 1e300), 3),
            Raw("i", DataType.Int32, Bytes(7, -8), 2, 1),
            Raw("l", DataType.Int64, Bytes(1L << 40, -3L), 2),
            Raw("flags", DataType.Bool, [1, 0, 2], 3),
        ]);

        using var fromFile = OnnxGraph.Load(Save(model.ToByteArray()));
        using var fromProto = OnnxGraph.Load(model);
        using var scope = NewDisposeScope();

        Assert.Equal(weights, fromFile.Initializer("w")!.data<float>().ToArray());
        Assert.Equal([2, 3, 3, 3], fromFile.Initializer("w")!.shape);
        Assert.Equal([0.25f, -1.5f], fromFile.Initializer("b")!.data<float>().ToArray());
        Assert.Equal([1.5, -2.0, 1e300], fromFile.Initializer("d")!.data<double>().ToArray());
        Assert.Equal([7, -8], fromFile.Initializer("i")!.data<int>().ToArray());
        Assert.Equal([2, 1], fromFile.Initializer("i")!.shape);
        Assert.Equal([1L << 40, -3L], fromFile.Initializer("l")!.data<long>().ToArray());
        Assert.Equal([true, false, true], fromFile.Initializer("flags")!.data<bool>().ToArray());
        Assert.Equal([1L, -1L], fromFile.Initializer("shape")!.data<long>().ToArray());
        var x = TestData.UniformTensor(41, 1, 3, 5, 5);
        Assert.Equal(fromProto.Run(x, ["y"])["y"].data<float>().ToArray(), fromFile.Run(x, ["y"])["y"].data<float>().ToArray());
    }

    [Fact]
    public void AFloatDataFieldWrittenInTwoPiecesIsReadWhole()
    {
        // Protobuf joins the pieces of a packed field written more than once; the file reader must not keep only one.
        var head = new TensorProto { Name = "w", DataType = (int)DataType.Float };
        head.Dims.Add(4);
        head.FloatData.Add([1f, 2f]);
        var tail = new TensorProto();
        tail.FloatData.Add([3f, 4f]);
        var model = new OnnxModelBuilder().Input("x", 4).Node("Add", ["x", "w"], ["y"], "add").Output("y").Build();
        var graph = model.Graph;
        model.Graph = null;
        var bytes = model.ToByteArray()
            .Concat(Field(7, [.. graph.ToByteArray(), .. Field(5, [.. head.ToByteArray(), .. tail.ToByteArray()])])).ToArray();
        Assert.Equal([1f, 2f, 3f, 4f], ModelProto.Parser.ParseFrom(bytes).Graph.Initializer.Single().FloatData);

        using var loaded = OnnxGraph.Load(Save(bytes));

        Assert.Equal([1f, 2f, 3f, 4f], loaded.Initializer("w")!.data<float>().ToArray());
    }

    static byte[] Field(int number, byte[] payload)
    {
        using var stream = new MemoryStream();
        var output = new CodedOutputStream(stream);
        output.WriteTag(number, WireFormat.WireType.LengthDelimited);
        output.WriteBytes(ByteString.CopyFrom(payload));
        output.Flush();
        return stream.ToArray();
    }

    [Fact]
    public void ATensorWhoseBytesDoNotFitItsShapeIsAnErrorNamingIt()
    {
        var model = new OnnxModelBuilder().Input("x", 3).Node("Add", ["x", "b"], ["y"], "add").Output("y").Build();
        model.Graph.Initializer.Add(Raw("b", DataType.Float, new byte[10], 3));

        var error = Assert.Throws<InvalidDataException>(() => OnnxGraph.Load(Save(model.ToByteArray())));

        Assert.Contains("'b' holds 10 bytes", error.Message);
        Assert.Contains("[3] needs 12", error.Message);
    }

    [Theory]
    [InlineData("empty", "the file is empty")]
    [InlineData("cut in the weights", "cut short")]
    [InlineData("cut at the end", "cut short")]
    [InlineData("text", "wire type")]
    public void AFileThatIsNoModelIsAnErrorNamingTheFile(string kind, string reason)
    {
        var model = new OnnxModelBuilder().Input("x", 1, 3, 8, 8).Initializer("w", TestData.Uniform(42, 4 * 3 * 9), 4, 3, 3, 3)
            .Node("Conv", ["x", "w"], ["y"], "conv").Output("y").Build().ToByteArray();
        var bytes = kind switch
        {
            "empty" => [],
            "cut in the weights" => model[..(model.Length / 2)],
            "cut at the end" => model[..^1],
            _ => "this is a text file, not a model\n"u8.ToArray(),
        };
        var path = Save(bytes, $"{kind}.onnx");

        var error = Assert.Throws<InvalidDataException>(() => OnnxGraph.Load(path));

        Assert.Contains($"'{path}' is not a readable ONNX model", error.Message);
        Assert.Contains(reason, error.Message);
    }

    [Fact]
    public void AFileCutShortWhileItLoadsIsAnErrorNamingItAndNotACrash()
    {
        // A new model copied over the file while the server loads it: read, not mapped, so no SIGBUS.
        var model = new OnnxModelBuilder().Input("x", 1, 3, 8, 8).Initializer("w", TestData.Uniform(43, 64 * 3 * 9), 64, 3, 3, 3)
            .Node("Conv", ["x", "w"], ["y"], "conv").Output("y").Build();
        var path = Save(model.ToByteArray());
        using var file = OnnxFile.Open(path);
        using (var stream = new FileStream(path, FileMode.Open, FileAccess.Write, FileShare.ReadWrite | FileShare.Delete))
            stream.SetLength(100);

        var error = Assert.Throws<InvalidDataException>(() => OnnxTensors.ToTorch(file.Model.Graph.Initializer[0], CPU, file, 0));

        Assert.Contains($"'{path}' is not a readable ONNX model: it ends at byte 100", error.Message);
        Assert.Contains("replaced while it loaded", error.Message);
    }

    public void Dispose() => _directory.Dispose();
}

using Google.Protobuf;
using Onnx;
using StyleBlazor.Engine.Backbones;
using static StyleBlazor.Tests.Engine.Onnx.OnnxModelBuilder;
using static TorchSharp.torch;

namespace StyleBlazor.Tests.Engine.Onnx;

public sealed class OnnxVgg19BackboneTests : IDisposable
{
    readonly string _directory = Directory.CreateTempSubdirectory("styleblazor-vgg19-onnx-").FullName;

    /// <summary>
    /// The model zoo's vgg19-7 layout with narrow random layers: 16 Conv→Relu pairs in blocks of 2, 2, 4, 4, 4 with a
    /// MaxPool after each block, then Flatten and three Gemms with Relu/Dropout between them and a Softmax.
    /// </summary>
    static ModelProto ZooLayoutVgg19(int[] convsPerBlock, int size = 32)
    {
        var builder = new OnnxModelBuilder(8).Input("data_0", 1, 3, size, size);
        var (x, channels, seed) = ("data_0", 3L, 1);
        for (var block = 1; block <= convsPerBlock.Length; block++)
        {
            var width = block == 1 ? 4L : 8L;
            for (var k = 1; k <= convsPerBlock[block - 1]; k++)
            {
                var scale = 1 / Math.Sqrt(channels * 9);
                builder.Initializer($"conv{block}_{k}_w_0", TestData.Uniform(seed++, width * channels * 9, scale), width, channels, 3, 3)
                    .Initializer($"conv{block}_{k}_b_0", TestData.Uniform(seed++, width, 0.1), width)
                    .Node("Conv", [x, $"conv{block}_{k}_w_0", $"conv{block}_{k}_b_0"], [$"conv{block}_{k}_1"], "",
                        Attr("kernel_shape", 3, 3), Attr("pads", 1, 1, 1, 1), Attr("strides", 1, 1))
                    .Node("Relu", [$"conv{block}_{k}_1"], [$"conv{block}_{k}_2"]);
                (x, channels) = ($"conv{block}_{k}_2", width);
            }
            builder.Node("MaxPool", [x], [$"pool{block}_1"], "", Attr("kernel_shape", 2, 2), Attr("strides", 2, 2), Attr("pads", 0, 0, 0, 0));
            x = $"pool{block}_1";
        }
        var features = channels * (size >> convsPerBlock.Length) * (size >> convsPerBlock.Length);
        builder.Node("Flatten", [x], ["flatten_1"]);
        x = "flatten_1";
        foreach (var (name, inputs, outputs) in new[] { ("fc6", features, 16L), ("fc7", 16L, 16L), ("fc8", 16L, 10L) })
        {
            builder.Initializer($"{name}_w_0", TestData.Uniform(seed++, outputs * inputs, 0.2), outputs, inputs)
                .Initializer($"{name}_b_0", TestData.Uniform(seed++, outputs, 0.1), outputs)
                .Node("Gemm", [x, $"{name}_w_0", $"{name}_b_0"], [$"{name}_1"], "", Attr("transB", 1L));
            x = $"{name}_1";
            if (name == "fc8") break;
            builder.Node("Relu", [x], [$"{name}_2"]).Node("Dropout", [$"{name}_2"], [$"{name}_3"], "", Attr("ratio", 0.5f));
            x = $"{name}_3";
        }
        return builder.Node("Softmax", [x], ["prob_1"]).Output("prob_1").Build();
    }

    string Save(ModelProto model, string name)
    {
        var path = Path.Combine(_directory, name);
        File.WriteAllBytes(path, model.ToByteArray());
        return path;
    }

    [Fact]
    public void AZooLayoutVgg19LoadsWithTheArticlesTapNamesAndMatchesOnnxRuntime()
    {
        var model = ZooLayoutVgg19([2, 2, 4, 4, 4]);
        using var backbone = OnnxVgg19Backbone.Load(Save(model, "vgg19-7.onnx"), CPU);
        using var scope = NewDisposeScope();
        var input = TestData.UniformTensor(5, 1, 3, 32, 32).mul(2);

        var taps = backbone.Forward(input, backbone.Layers.Select(l => l.Name).ToArray());

        string[] expectedNames = ["block1_conv1", "block1_conv2", "block2_conv1", "block2_conv2",
            .. Enumerable.Range(3, 3).SelectMany(b => Enumerable.Range(1, 4).Select(k => $"block{b}_conv{k}"))];
        Assert.Equal(expectedNames, backbone.Layers.Select(l => l.Name));
        Assert.Equal([1, 1, 2, 2, 4, 4, 4, 4, 8, 8, 8, 8, 16, 16, 16, 16], backbone.Layers.Select(l => l.Stride));
        Assert.Equal([4, 4, 8, 8], backbone.Layers.Take(4).Select(l => l.Channels));

        // The k-th Relu after the k-th Conv of block b is the zoo's conv{b}_{k}_2.
        var reluValues = expectedNames.Select(n => $"conv{n[5]}_{n[^1]}_2").ToArray();
        var expected = OnnxRuntimeReference.Run(model, new Dictionary<string, Tensor> { ["data_0"] = input }, reluValues);
        foreach (var (name, value) in expectedNames.Zip(reluValues))
            Assert.InRange(OnnxRuntimeReference.RelativeError(taps[name], expected[value]), 0, 1e-4);
    }

    [Fact]
    public void AGraphWithoutSixteenConvReluPairsIsAnErrorNamingTheFile()
    {
        var path = Save(ZooLayoutVgg19([2, 2, 4, 4, 3]), "vgg18-ish.onnx");

        var error = Assert.Throws<InvalidDataException>(() => OnnxVgg19Backbone.Load(path, CPU));

        Assert.Contains(path, error.Message);
        Assert.Contains("15 Conv→Relu pairs", error.Message);
    }

    public void Dispose() => Directory.Delete(_directory, recursive: true);
}

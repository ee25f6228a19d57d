using Google.Protobuf;
using Microsoft.ML.OnnxRuntime;
using Onnx;
using TorchSharp;
using static TorchSharp.torch;

namespace StyleBlazor.Tests.Engine.Onnx;

/// <summary>Runs a model with ONNX Runtime, the reference implementation, exposing any intermediate values as outputs.</summary>
static class OnnxRuntimeReference
{
    public static Dictionary<string, Tensor> Run(ModelProto model, IReadOnlyDictionary<string, Tensor> inputs, IReadOnlyCollection<string> values)
    {
        var exposed = model.Clone();
        foreach (var name in values.Where(v => exposed.Graph.Output.All(o => o.Name != v)))
            exposed.Graph.Output.Add(new ValueInfoProto
            {
                Name = name,
                Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = (int)TensorProto.Types.DataType.Float } },
            });

        using var options = new SessionOptions { GraphOptimizationLevel = GraphOptimizationLevel.ORT_DISABLE_ALL, IntraOpNumThreads = 2 };
        using var session = new InferenceSession(exposed.ToByteArray(), options);
        var ortInputs = inputs.Select(p => OrtValue.CreateTensorValueFromMemory(p.Value.contiguous().data<float>().ToArray(), p.Value.shape)).ToArray();
        try
        {
            using var runOptions = new RunOptions();
            using var results = session.Run(runOptions, inputs.Keys.ToArray(), ortInputs, values.ToArray());
            return values.Zip(results).ToDictionary(p => p.First,
                p => tensor(p.Second.GetTensorDataAsSpan<float>().ToArray()).reshape(p.Second.GetTensorTypeAndShape().Shape));
        }
        finally
        {
            foreach (var v in ortInputs) v.Dispose();
        }
    }

    /// <summary>max |actual − expected| / max |expected|: the error relative to the tensor's scale.</summary>
    public static double RelativeError(Tensor actual, Tensor expected)
    {
        Assert.Equal(expected.shape, actual.shape);
        using var scope = NewDisposeScope();
        var scale = expected.abs().max().ToDouble();
        return actual.detach().cpu().sub(expected).abs().max().ToDouble() / Math.Max(scale, 1e-12);
    }
}

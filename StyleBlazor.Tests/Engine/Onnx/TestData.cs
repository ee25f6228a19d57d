using static TorchSharp.torch;

namespace StyleBlazor.Tests.Engine.Onnx;

/// <summary>Deterministic random values, independent of torch's global generator (test classes run in parallel).</summary>
static class TestData
{
    public static float[] Uniform(int seed, long count, double scale = 1)
    {
        var random = new Random(seed);
        return Enumerable.Range(0, (int)count).Select(_ => (float)((random.NextDouble() * 2 - 1) * scale)).ToArray();
    }

    public static Tensor UniformTensor(int seed, params long[] shape) =>
        tensor(Uniform(seed, shape.Aggregate(1L, (p, d) => p * d))).reshape(shape);
}

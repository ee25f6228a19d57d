using System.Diagnostics;
using StyleBlazor.Engine;
using StyleBlazor.Engine.Backbones;
using StyleBlazor.Engine.Losses;
using StyleBlazor.Engine.Transfer;
using TorchSharp;
using static TorchSharp.torch;

namespace StyleBlazor.Bench;

/// <summary>
/// An experiment (<c>precision</c>), not the app: one VGG19 forward and input-gradient backward to block5_conv2 with
/// the Gram terms, in float32 and with the network in bfloat16 (this CPU has AVX512_BF16), timed, and how far the
/// bfloat16 image gradient is from the float32 one.
/// </summary>
static class PrecisionProbe
{
    public static int Run(int size, int iterations, string malloc)
    {
        ProcessStats.TuneMalloc(malloc);
        TorchRuntime.Configure(CPU, 2);
        var o = BackboneRecipes.ArticleVgg19;
        string[] taps = [.. o.StyleLayers.Select(l => l.Layer), o.ContentLayer];
        using var net32 = Vgg19Backbone.CreateRandom(0);
        using var net16 = Vgg19Backbone.CreateRandom(0);
        net16.to(ScalarType.BFloat16);
        using var contentImage = SyntheticImages.Content(size, size);
        using var x0 = net32.Preprocessing.Preprocess(ImageTensors.ToTensor(contentImage, new SixLabors.ImageSharp.Size(size, size), CPU));
        Tensor Grad(Vgg19Backbone net, ScalarType type, out double ms)
        {
            using var scope = NewDisposeScope();
            var x = x0.detach().clone().requires_grad_(true);
            var clock = Stopwatch.StartNew();
            var terms = new List<Tensor>();
            net.Forward(x.to(type), taps, (layer, map) => terms.Add(GramMatrix.Compute(map.to(ScalarType.Float32), o.Normalization).square().sum().MoveToOuterDisposeScope()));
            var j = stack(terms).sum();
            var g = autograd.grad([j], [x])[0];
            ms = clock.Elapsed.TotalMilliseconds;
            return g.MoveToOuterDisposeScope();
        }
        for (int i = 0; i < iterations; i++)
        {
            using var g32 = Grad(net32, ScalarType.Float32, out double t32);
            using var g16 = Grad(net16, ScalarType.BFloat16, out double t16);
            double cos = nn.functional.cosine_similarity(g32.flatten(), g16.flatten(), dim: 0).item<float>();
            double rel = (g32 - g16).norm().item<float>() / g32.norm().item<float>();
            Console.WriteLine($"{size}²: float32 {t32:F0} ms, bfloat16 {t16:F0} ms ({t32 / t16:F2}x); gradient cosine {cos:F5}, relative error {rel:F4}; peak RSS {ProcessStats.PeakRssMiB():F0} MiB");
        }
        return 0;
    }
}

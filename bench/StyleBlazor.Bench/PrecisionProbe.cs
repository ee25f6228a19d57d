using System.Diagnostics;
using StyleBlazor.Engine;
using StyleBlazor.Engine.Backbones;
using StyleBlazor.Engine.Losses;
using StyleBlazor.Engine.Optimisation;
using StyleBlazor.Engine.Transfer;
using TorchSharp;
using static TorchSharp.torch;

namespace StyleBlazor.Bench;

/// <summary>
/// <c>precision</c>: one VGG19 forward and input-gradient backward to block5_conv2 with the Gram terms, in float32 and
/// in bfloat16 (<see cref="ReducedPrecisionBackbone"/>, Backbones:Precision; this CPU has AVX512_BF16), timed, and how far the
/// bfloat16 image gradient is from the float32 one. With <c>--loop N</c> also the article's loop for N iterations
/// with each network, every image scored by the float32 network: does bfloat16 descend as far?
/// </summary>
static class PrecisionProbe
{
    public static int Run(int size, int iterations, int loop, string malloc)
    {
        ProcessStats.TuneMalloc(malloc);
        TorchRuntime.Configure(CPU, 2);
        var o = BackboneRecipes.ArticleVgg19;
        string[] taps = [.. o.StyleLayers.Select(l => l.Layer), o.ContentLayer];
        using var net32 = Vgg19Backbone.CreateRandom(0);
        using var net16 = new ReducedPrecisionBackbone(Vgg19Backbone.CreateRandom(0), ScalarType.BFloat16);
        using var contentImage = SyntheticImages.Content(size, size);
        using var x0 = net32.Preprocessing.Preprocess(ImageTensors.ToTensor(contentImage, new SixLabors.ImageSharp.Size(size, size), CPU));
        Tensor Grad(IBackbone net, out double ms)
        {
            using var scope = NewDisposeScope();
            var x = x0.detach().clone().requires_grad_(true);
            var clock = Stopwatch.StartNew();
            var terms = new List<Tensor>();
            net.Forward(x, taps, (layer, map) => terms.Add(GramMatrix.Compute(map, o.Normalization).square().sum().MoveToOuterDisposeScope()));
            var j = stack(terms).sum();
            var g = autograd.grad([j], [x])[0];
            ms = clock.Elapsed.TotalMilliseconds;
            return g.MoveToOuterDisposeScope();
        }
        for (int i = 0; i < iterations; i++)
        {
            using var g32 = Grad(net32, out double t32);
            using var g16 = Grad(net16, out double t16);
            double cos = nn.functional.cosine_similarity(g32.flatten(), g16.flatten(), dim: 0).item<float>();
            double rel = (g32 - g16).norm().item<float>() / g32.norm().item<float>();
            Console.WriteLine($"{size}²: float32 {t32:F0} ms, bfloat16 {t16:F0} ms ({t32 / t16:F2}x); gradient cosine {cos:F5}, relative error {rel:F4}; peak RSS {ProcessStats.PeakRssMiB():F0} MiB");
        }
        if (loop > 0) Loop(net32, net16, x0, size, loop);
        return 0;
    }

    static void Loop(Vgg19Backbone net32, IBackbone net16, Tensor content, int size, int iterations)
    {
        var o = BackboneRecipes.ArticleVgg19;
        using var styleImage = SyntheticImages.Style(size, size);
        using var style = net32.Preprocessing.Preprocess(ImageTensors.ToTensor(styleImage, new SixLabors.ImageSharp.Size(size, size), CPU));
        using var score = new TransferObjective(net32, content, [(style, 1.0)], o);
        var (low, high) = net32.Preprocessing.ClipBounds(CPU);
        foreach (var (name, net) in new[] { ("float32", (IBackbone)net32), ("bfloat16", net16) })
        {
            using var objective = new TransferObjective(net, content, [(style, 1.0)], o);
            using var image = content.detach().clone().requires_grad_(true);
            using var adam = new Tf1Adam(image, o.LearningRate, o.Beta1, o.Beta2, o.Epsilon, o.EpsilonHat, o.Nesterov);
            var clock = Stopwatch.StartNew();
            var line = new List<string>();
            double best = double.MaxValue;
            for (int i = 0; i <= iterations; i++)
            {
                using var scope = NewDisposeScope();
                double scored;
                using (no_grad()) scored = score.Evaluate(image).Total.ToDouble();
                best = Math.Min(best, scored);
                if (i % Math.Max(1, iterations / 6) == 0 || i == iterations) line.Add($"{i}: {scored:G5}");
                if (i == iterations) break;
                var (total, _) = objective.Evaluate(image);
                var grad = autograd.grad([total], [image])[0];
                using (no_grad())
                {
                    adam.Step(image, grad);
                    image.clamp_(low, high);
                }
            }
            Console.WriteLine($"loop {size}², network in {name}: J by the float32 network at iteration {string.Join(", ", line)}; best {best:G6}; {clock.Elapsed.TotalSeconds:F0} s with scoring");
        }
    }
}

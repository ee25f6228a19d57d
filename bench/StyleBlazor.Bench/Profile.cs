using System.Diagnostics;
using System.Text.Json;
using StyleBlazor.Engine;
using StyleBlazor.Engine.Backbones;
using StyleBlazor.Engine.Losses;
using StyleBlazor.Engine.Optimisation;
using StyleBlazor.Engine.Transfer;
using TorchSharp;
using static TorchSharp.torch;

namespace StyleBlazor.Bench;

/// <summary>
/// Where one iteration of the article's VGG19 loop spends its time (<c>profile</c>): the engine's own parts
/// (backbone with the style terms built during the pass, content loss, <c>autograd.grad</c>, TF1 Adam, clip) timed
/// phase by phase. The CPU runs each op to completion before returning, so wall-clock phases are exact there.
/// </summary>
static class Profile
{
    public static int Run(int size, int iterations, int threads, int interop, string malloc, string winograd)
    {
        bool tuned = ProcessStats.TuneMalloc(malloc);
        TorchRuntime.Configure(CPU, threads, interop);
        if (winograd != "auto") TorchRuntime.WinogradConvolutions = winograd == "on";
        Console.WriteLine($"{MatrixLibrary.Describe()}; Winograd for blocks 3-5: {(TorchRuntime.WinogradConvolutions ? "on" : "off")}");
        var o = BackboneRecipes.ArticleVgg19;
        using var net = Vgg19Backbone.CreateRandom(0);
        using var contentImage = SyntheticImages.Content(size, size);
        using var styleImage = SyntheticImages.Style(size, size);
        var working = new SixLabors.ImageSharp.Size(size, size);
        var styleLayers = o.StyleLayers.Select(l => l.Layer).ToArray();
        string[] taps = [.. styleLayers, o.ContentLayer];

        using var content = net.Preprocessing.Preprocess(ImageTensors.ToTensor(contentImage, working, CPU));
        using var style = net.Preprocessing.Preprocess(ImageTensors.ToTensor(styleImage, working, CPU));
        Tensor contentTarget;
        var grams = new Dictionary<string, Tensor>();
        using (no_grad())
        using (NewDisposeScope())
        {
            contentTarget = net.Forward(content, [o.ContentLayer])[o.ContentLayer].DetachFromDisposeScope();
            var s = net.Forward(style, styleLayers);
            foreach (var l in styleLayers) grams[l] = GramMatrix.Compute(s[l], o.Normalization).DetachFromDisposeScope();
        }
        using var image = content.detach().clone().requires_grad_(true);
        using var adam = new Tf1Adam(image, o.LearningRate, o.Beta1, o.Beta2, o.Epsilon, o.EpsilonHat, o.Nesterov);
        var (low, high) = net.Preprocessing.ClipBounds(CPU);

        var phases = new Dictionary<string, List<double>> { ["forward + style terms"] = [], ["content loss + J"] = [], ["backward"] = [], ["Adam + clip"] = [] };
        var clock = new Stopwatch();
        double Lap() { double ms = clock.Elapsed.TotalMilliseconds; clock.Restart(); return ms; }
        for (int i = 0; i < iterations + 1; i++) // the first is a warm-up
        {
            using var scope = NewDisposeScope();
            clock.Restart();
            var terms = new List<Tensor>();
            var features = net.Forward(image, taps, (layer, map) =>
            {
                if (grams.TryGetValue(layer, out var g)) terms.Add(StyleLoss.Compute(g, map, o.Normalization).DetachFromDisposeScope());
            });
            double forward = Lap();
            var js = stack(terms.Select(t => t.mul(1.0 / terms.Count)).ToArray()).sum();
            var loss = ContentLoss.Compute(contentTarget, features[o.ContentLayer], o.Normalization).mul(o.ContentWeight) + js.mul(o.StyleWeight);
            foreach (var t in terms) t.Dispose();
            double lossMs = Lap();
            var grad = autograd.grad([loss], [image])[0];
            double backward = Lap();
            using (no_grad())
            {
                adam.Step(image, grad);
                image.clamp_(low, high);
            }
            double step = Lap();
            if (i == 0) continue;
            phases["forward + style terms"].Add(forward);
            phases["content loss + J"].Add(lossMs);
            phases["backward"].Add(backward);
            phases["Adam + clip"].Add(step);
        }
        contentTarget.Dispose();
        foreach (var g in grams.Values) g.Dispose();

        var medians = phases.ToDictionary(p => p.Key, p => Math.Round(Worker.Median(p.Value), 1));
        double total = medians.Values.Sum();
        foreach (var (phase, ms) in medians)
            Console.WriteLine($"{phase,-24} {ms,9:F1} ms  {100 * ms / total,5:F1} %");
        Console.WriteLine($"{"one iteration",-24} {total,9:F1} ms  ({Flops.Vgg19(size, size, taps) / 1e9 / (total / 1000):F0} GFLOP/s, {threads} threads, {get_num_interop_threads()} interop)");
        Console.WriteLine("RESULT " + JsonSerializer.Serialize(new
        {
            side = "profile", size, threads, interop_threads = get_num_interop_threads(), malloc = tuned ? malloc : "default",
            phases_ms = medians, total_ms = total,
        }));
        return 0;
    }
}

using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;
using StyleBlazor.Engine;
using StyleBlazor.Engine.Backbones;
using StyleBlazor.Engine.Imaging;
using StyleBlazor.Engine.Transfer;
using static TorchSharp.torch;

namespace StyleBlazor.Bench;

/// <summary>
/// <c>schedule</c>: one ResNet18 run on a gallery pair with a schedule given on the command line, to compare schedules
/// by their picture at full size and their time (issue 19). Writes the PNG and prints the time of each stage and the
/// final J (measured at the final size without jitter, so comparable between schedules).
/// <code>schedule --pair cat --out x.png --iterations 210 --coarse 160 --stages 0.25:3,0.5:1 [--precision bfloat16]
///   [--threads 2] [--lr 3] [--beta1 0.9] [--beta2 0.999] [--nesterov on|off] [--jitter 7] [--averaged 10] [--eta-trace FILE] [--style-layers stem,stage1] [--resnet-nhwc on|off] [--seed 0] [--precision auto|float32|bfloat16]
///   [--second-style colosseum [--cold-first]]</code>
/// Without --coarse and --stages it is the recipe as shipped. With --second-style the pair's content is run again with
/// that pair's style twice, once with the content targets the first run left in a <see cref="ContentTargetCache"/> and
/// once making its own (in that order, or the other with --cold-first), as a user who tries a second style on a photo.
/// </summary>
static class ScheduleRun
{
    public static int Run(Args a)
    {
        var root = Path.GetDirectoryName(Compare.FindUpwards("StyleBlazor.sln"))
            ?? throw new ArgumentException("Run the bench from inside the StyleBlazor repository.");
        var pair = TimeToResult.FindPair(a.Str("pair", "cat"));
        var clock = Stopwatch.StartNew();
        if (NativeHeap.Active == NativeAllocator.Jemalloc || a.Str("malloc", "jemalloc") == "reuse") NativeHeap.ReuseFreedMemory();
        TorchRuntime.Configure(CPU, a.Int("threads", 0));
        if (a.StrOrNull("resnet-nhwc") is { } nhwc) TorchRuntime.ResNet18ChannelsLast = nhwc == "on";

        var options = BackboneRecipes.ResNet18;
        if (a.Has("iterations")) options = options.WithIterations(a.Int("iterations", options.Iterations));
        if (a.Has("coarse")) options = options with { CoarseIterations = a.Int("coarse", options.CoarseIterations) };
        if (a.StrOrNull("stages") is { } stages)
            options = options with
            {
                CoarseStages = stages.Split(',').Select(s => s.Split(':')).Select(p =>
                    new CoarseStage(double.Parse(p[0], CultureInfo.InvariantCulture), double.Parse(p[1], CultureInfo.InvariantCulture))).ToArray(),
            };
        if (a.StrOrNull("lr") is { } lr) options = options with { LearningRate = double.Parse(lr, CultureInfo.InvariantCulture) };
        if (a.StrOrNull("beta1") is { } beta1) options = options with { Beta1 = double.Parse(beta1, CultureInfo.InvariantCulture) };
        if (a.StrOrNull("beta2") is { } beta2) options = options with { Beta2 = double.Parse(beta2, CultureInfo.InvariantCulture) };
        if (a.StrOrNull("nesterov") is { } nesterov) options = options with { Nesterov = nesterov == "on" }; // off: plain Adam, the recipe until 2026-12-06
        if (a.StrOrNull("style-layers") is { } layers) // equal weights summing to 1, as the recipe's
        {
            var names = layers.Split(',');
            options = options with { StyleLayers = names.Select(n => new StyleLayerWeight(n, 1.0 / names.Length)).ToArray() };
        }
        if (a.Has("jitter")) options = options with { JitterPixels = a.Int("jitter", options.JitterPixels) };
        if (a.Has("averaged")) options = options with { AveragedIterates = a.Int("averaged", options.AveragedIterates) };
        options = options with { Seed = a.Int("seed", 0), MaxSide = a.Int("size", options.MaxSide) };
        if (options.Validate() is { } problem) throw new ArgumentException(problem);

        var intake = new ImageIntake(new ImageIntakeOptions());
        string samples = Path.Combine(root, "wwwroot-assets", "samples");
        using var content = intake.DecodeAsync(File.ReadAllBytes(Path.Combine(samples, pair.Content))).GetAwaiter().GetResult();
        using var style = intake.DecodeAsync(File.ReadAllBytes(Path.Combine(samples, pair.Style))).GetAwaiter().GetResult();
        // As the app loads it: --precision auto (the default) is bfloat16 with NHWC where the CPU does bfloat16 natively.
        double decoded = clock.Elapsed.TotalSeconds;
        var catalog = new BackboneCatalog(new BackboneCatalogOptions().WithPrecision(a.StrOrNull("precision"), "--precision"));
        IBackbone backbone = catalog.Load("resnet18", CPU);
        double setUp = clock.Elapsed.TotalSeconds;

        using var cache = new ContentTargetCache(long.MaxValue);
        string output = a.Str("out", Path.Combine(Path.GetTempPath(), $"{pair.Name}.png"));
        Report(pair.Name, style, output, a.StrOrNull("second-style") is null ? null : cache);
        if (a.StrOrNull("second-style") is { } second)
        {
            var other = TimeToResult.FindPair(second);
            using var otherStyle = intake.DecodeAsync(File.ReadAllBytes(Path.Combine(samples, other.Style))).GetAwaiter().GetResult();
            string name = pair.WithStyleOf(other).Name;
            var (found, made) = cache.Counts;
            Console.WriteLine($"content targets kept after the first run: {cache.Sets} sets, {cache.Bytes / 1048576.0:F1} MiB, {made} made");
            foreach (bool kept in a.Flag("cold-first") ? new[] { false, true } : [true, false])
                Report($"{name} ({(kept ? "the content's targets kept" : "its own targets")})", otherStyle,
                    Path.Combine(Path.GetDirectoryName(output)!, $"{name}-{(kept ? "kept" : "own")}.png"), kept ? cache : null);
            var (reused, madeAfter) = cache.Counts;
            Console.WriteLine($"content targets: {reused - found} reused, {madeAfter - made} made by the run that kept them");
        }
        backbone.Dispose();
        return 0;

        void Report(string name, Image<Rgb24> style, string output, ContentTargetCache? targets)
        {
            var reports = new List<TransferProgress>();
            var cpu = new List<double>(); // this thread's CPU ms at each report: with --threads 1 the run's work, whatever the load
            double cpuStart = ThreadCpuClock.Milliseconds();
            var result = StyleTransfer.Run(backbone, content, [style], options, p => { reports.Add(p); cpu.Add(ThreadCpuClock.Milliseconds() - cpuStart); }, _ => false,
                contentTargets: targets);
            double cpuEnd = ThreadCpuClock.Milliseconds() - cpuStart;
            using (var image = result.BestImage.ToImage()) image.SaveAsPng(output);

            var perStage = reports.Take(reports.Count - 1).GroupBy(r => r.Stage!.Index).Select(g =>
            {
                var first = g.First();
                int firstIndex = reports.IndexOf(first), nextIndex = reports.FindIndex(r => r.Stage!.Index > g.Key);
                if (nextIndex < 0) nextIndex = reports.Count - 1; // the last stage runs to the final report
                var next = reports[nextIndex];
                // CPU from this stage's first report to the next stage's: its steps (the next stage's set-up included).
                return new
                {
                    size = $"{first.Stage!.Width}x{first.Stage.Height}",
                    steps = g.Count(),
                    seconds = Math.Round((next.Elapsed - (g.Key == 0 ? TimeSpan.Zero : first.Elapsed)).TotalSeconds, 3),
                    seconds_per_step = Math.Round((next.Elapsed - first.Elapsed).TotalSeconds / g.Count(), 4),
                    cpu_ms_per_step = Math.Round((cpu[nextIndex] - cpu[firstIndex]) / g.Count(), 1),
                };
            }).ToArray();
            if (a.StrOrNull("eta-trace") is { } trace)
            {
                // Per report: iteration, seconds since the start, the estimate of the time left, and the time really left.
                double end = reports[^1].Elapsed.TotalSeconds;
                File.WriteAllLines(trace, reports.Select(r => string.Create(CultureInfo.InvariantCulture,
                    $"{r.Iteration},{r.Elapsed.TotalSeconds:F3},{r.Remaining?.TotalSeconds:F3},{end - r.Elapsed.TotalSeconds:F3}")));
            }
            double eta = TimeToResult.EtaError(reports.Select(r => (r.Elapsed.TotalSeconds, r.Remaining?.TotalSeconds)).ToArray());
            Console.WriteLine($"{name}: {string.Join(" + ", perStage.Select(s => $"{s.steps}@{s.size} {s.seconds:F2} s ({s.seconds_per_step * 1000:F0} ms/step, CPU {s.cpu_ms_per_step:F0} ms/step)"))}; " +
                              $"engine {result.Elapsed.TotalSeconds:F2} s (CPU {cpuEnd / 1000:F2} s, first report at CPU {cpu[0] / 1000:F2} s), set-up {setUp:F2} s (pictures decoded at {decoded:F2} s), final J {reports[^1].Loss.Total:F4} " +
                              $"(J_C {reports[^1].Loss.Content:F4}, J_S {reports[^1].Loss.Style:F4}, TV {reports[^1].Loss.TotalVariation:F3}), ETA error {eta * 100:F0} %, load {ProcessStats.LoadAverage()}; {output}");
            Console.WriteLine("RESULT " + JsonSerializer.Serialize(new
            {
                pair = name, output, stages = perStage, engine_s = result.Elapsed.TotalSeconds, engine_cpu_s = cpuEnd / 1000, set_up_s = setUp,
                final_j = reports[^1].Loss.Total, j_c = reports[^1].Loss.Content, j_s = reports[^1].Loss.Style, tv = reports[^1].Loss.TotalVariation,
                eta_error = eta, load = ProcessStats.LoadAverage(),
            }));
        }
    }
}

using System.Diagnostics;
using System.Text.Json;
using StyleBlazor.Engine;
using StyleBlazor.Engine.Backbones;
using StyleBlazor.Engine.Transfer;
using TorchSharp;
using static TorchSharp.torch;

namespace StyleBlazor.Bench;

/// <summary>Settings of one measured run, shared by the app worker and (as command-line flags) the peer.</summary>
sealed record RunSettings(string Backbone, int Size, int Iterations, int Warmup, int Threads, int Seed)
{
    public int InteropThreads { get; init; }
    public bool Frames { get; init; }
    public string Malloc { get; init; } = "default";
    public string? ChannelsLast { get; init; }
    /// <summary>"on"/"off": ResNet18's activations NHWC inside the network (TorchRuntime.ResNet18ChannelsLast); null = as configured.</summary>
    public string? ResNetChannelsLast { get; init; }
    public string? WeightsFile { get; init; }
    /// <summary>"float32" or "bfloat16" (Backbones:Precision).</summary>
    public string Precision { get; init; } = "float32";
}

/// <summary>
/// The app side of one measurement, in its own process so peak RSS belongs to this run alone: the engine's real loop
/// (<see cref="StyleTransfer.Run"/>), timed between successive progress reports.
/// </summary>
static class Worker
{
    public static readonly Dictionary<string, string> ResNet18OnnxValues = new()
    {
        ["stem"] = "ReLU253_Output_0", ["stage1"] = "ReLU283_Output_0", ["stage2"] = "ReLU315_Output_0",
        ["stage3"] = "ReLU347_Output_0", ["stage4"] = "ReLU393_Output_0",
    };

    public static StyleTransferOptions Options(string backbone, int size, int iterations) => backbone switch
    {
        "vgg19" => BackboneRecipes.ArticleVgg19 with { MaxSide = size, Iterations = iterations },
        // The recipe without its coarse stage, so every timed iteration runs at the size asked for.
        "resnet18" => BackboneRecipes.ResNet18 with { MaxSide = size, Iterations = iterations, CoarseIterations = 0 },
        _ => throw new ArgumentException($"Unknown backbone '{backbone}' (vgg19 or resnet18)."),
    };

    public static IBackbone CreateBackbone(string name, int seed) => name switch
    {
        "vgg19" => Vgg19Backbone.CreateRandom(seed),
        "resnet18" => new ResNet18Backbone(),
        _ => throw new ArgumentException($"Unknown backbone '{name}'."),
    };

    public static double GigaFlops(string backbone, int size, StyleTransferOptions o)
    {
        var taps = o.StyleLayers.Select(l => l.Layer).Append(o.ContentLayer).Distinct().ToArray();
        return (backbone.StartsWith("vgg19")
            ? Flops.Vgg19(size, size, taps)
            : Flops.ResNet18(size, size, taps.Select(t => ResNet18OnnxValues[t]).ToArray())) / 1e9;
    }

    public static int Run(RunSettings s)
    {
        bool mallocTuned = ProcessStats.TuneMalloc(s.Malloc);
        TorchRuntime.Configure(CPU, s.Threads, s.InteropThreads);
        ApplyChannelsLast(s.ChannelsLast);
        if (s.ResNetChannelsLast is { } nhwc) TorchRuntime.ResNet18ChannelsLast = nhwc is "on" or "true" or "1";

        int total = s.Warmup + s.Iterations + 1; // +1: the interval into the last step is a full iteration too
        var options = Options(s.Backbone, s.Size, total);
        var network = CreateBackbone(s.Backbone, s.Seed);
        using var backbone = BackboneCatalogOptions.ParsePrecision(s.Precision, "--precision") is { } type
            ? new ReducedPrecisionBackbone(network, type)
            : network;
        using var content = SyntheticImages.Content(s.Size, s.Size);
        using var style = SyntheticImages.Style(s.Size, s.Size);

        double rssBeforeLoop = ProcessStats.RssMiB();
        var stamps = new List<(double Seconds, long Faults)>(total + 1);
        var rss = new List<double>(total + 1);
        var losses = new List<double>(total + 1);
        var clock = Stopwatch.StartNew();
        StyleTransfer.Run(backbone, content, [style], options, p =>
        {
            stamps.Add((clock.Elapsed.TotalSeconds, ProcessStats.MinorFaults()));
            rss.Add(Math.Round(ProcessStats.PeakRssMiB()));
            losses.Add(p.Loss.Total);
        }, wantsFrame: _ => s.Frames);
        double peakRss = ProcessStats.PeakRssMiB();
        // What an idle server holds after the engine hands freed memory back (StyleEngineService, after a quiet minute).
        NativeHeap.ReleaseFreedMemory();
        double rssAfterRelease = ProcessStats.RssMiB();

        // stamps[i] is taken when iteration i's loss is known; stamps[i+1] - stamps[i] is one whole iteration.
        var times = Enumerable.Range(s.Warmup, s.Iterations).Select(i => stamps[i + 1].Seconds - stamps[i].Seconds).ToArray();
        var faults = Enumerable.Range(s.Warmup, s.Iterations).Select(i => (double)(stamps[i + 1].Faults - stamps[i].Faults)).ToArray();
        var result = new Dictionary<string, object?>
        {
            ["side"] = "app",
            ["backbone"] = s.Backbone,
            ["config"] = (mallocTuned ? $"malloc={s.Malloc}" : "malloc=default") + (s.Precision == "float32" ? "" : $" {s.Precision}"),
            ["precision"] = s.Precision,
            ["size"] = s.Size,
            ["threads"] = get_num_threads(),
            ["interop_threads"] = get_num_interop_threads(),
            ["channels_last"] = TorchRuntime.ChannelsLast,
            ["resnet18_channels_last"] = TorchRuntime.ResNet18ChannelsLast,
            ["malloc"] = mallocTuned ? s.Malloc : "default",
            ["mkl"] = MatrixLibrary.CodePath.ToString(),
            ["allocator"] = NativeHeap.Active.ToString(),
            ["iterations"] = s.Iterations,
            ["warmup"] = s.Warmup,
            ["median_s"] = Median(times),
            ["min_s"] = times.Min(),
            ["times_s"] = times.Select(t => Math.Round(t, 4)).ToArray(),
            ["minor_faults_per_iteration"] = Median(faults),
            ["peak_rss_mib"] = Math.Round(peakRss, 1),
            ["rss_after_release_mib"] = Math.Round(rssAfterRelease, 1),
            ["rss_before_loop_mib"] = Math.Round(rssBeforeLoop, 1),
            ["peak_rss_after_each_iteration_mib"] = rss.ToArray(),
            ["loss_first"] = losses[0],
            ["loss_at_last_step"] = losses[s.Warmup + s.Iterations],
            ["gflop_per_iteration"] = Math.Round(GigaFlops(s.Backbone, s.Size, options), 2),
        };
        Console.WriteLine("RESULT " + JsonSerializer.Serialize(result));
        return 0;
    }

    public static void ApplyChannelsLast(string? value)
    {
        if (value is null) return;
        TorchRuntime.ChannelsLast = value switch { "on" or "true" or "1" => true, "off" or "false" or "0" => false,
            _ => throw new ArgumentException($"--channels-last takes on or off (got '{value}').") };
    }

    public static double Median(IReadOnlyList<double> values)
    {
        var sorted = values.Order().ToArray();
        int n = sorted.Length;
        return n == 0 ? double.NaN : n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
    }

    /// <summary>Writes the random VGG19's conv weights and biases (float32, little endian, forward order) for the peer.</summary>
    public static int DumpWeights(int seed, string path)
    {
        using var backbone = Vgg19Backbone.CreateRandom(seed);
        using var file = File.Create(path);
        foreach (var shape in Vgg19Backbone.ConvolutionShapes())
        {
            var conv = backbone.Convolution(shape.Name);
            foreach (var t in new[] { conv.weight!, conv.bias! })
            {
                using var c = t.detach().contiguous();
                file.Write(System.Runtime.InteropServices.MemoryMarshal.AsBytes(c.data<float>().ToArray().AsSpan()));
            }
        }
        Console.WriteLine($"wrote {path} ({file.Length / 1048576.0:F1} MiB)");
        return 0;
    }
}

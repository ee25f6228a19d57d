using System.Diagnostics;
using System.Text.Json;
using StyleBlazor.Engine;
using StyleBlazor.Engine.Transfer;
using TorchSharp;
using static TorchSharp.torch;

namespace StyleBlazor.Bench;

/// <summary>
/// Is the engine's memory flat? Runs the real loop at a small size and records, at iteration 100 and at the last one,
/// the live tensor count of the run's thread (TorchSharp's dispose-scope statistics: tensors created and not yet
/// disposed) and the resident set. Engine only: the peer has no equivalent to compare.
/// </summary>
static class MemoryCheck
{
    public static int Run(string backbone, int size, int early, int late, int threads, string? channelsLast, string malloc)
    {
        bool tuned = ProcessStats.TuneMalloc(malloc);
        TorchRuntime.Configure(CPU, threads);
        Worker.ApplyChannelsLast(channelsLast);
        var options = Worker.Options(backbone, size, late);
        using var net = Worker.CreateBackbone(backbone, 0);
        using var content = SyntheticImages.Content(size, size);
        using var style = SyntheticImages.Style(size, size);

        var stats = DisposeScopeManager.Statistics;
        var samples = new Dictionary<int, Dictionary<string, object>>();
        var clock = Stopwatch.StartNew();
        double last = 0;
        var recent = new Queue<double>();
        StyleTransfer.Run(net, content, [style], options, p =>
        {
            double now = clock.Elapsed.TotalSeconds;
            recent.Enqueue(now - last);
            if (recent.Count > 20) recent.Dequeue();
            last = now;
            if (p.Iteration == early || p.Iteration == late)
                samples[p.Iteration] = new()
                {
                    ["live_tensors"] = stats.ThreadTotalLiveCount,
                    ["rss_mib"] = Math.Round(ProcessStats.RssMiB(), 1),
                    ["peak_rss_mib"] = Math.Round(ProcessStats.PeakRssMiB(), 1),
                    ["managed_heap_mib"] = Math.Round(GC.GetTotalMemory(false) / 1048576.0, 1),
                    ["median_s_last_20"] = Math.Round(Worker.Median(recent.ToArray()), 4),
                };
        }, wantsFrame: _ => false);

        var result = new Dictionary<string, object>
        {
            ["side"] = "memory",
            ["backbone"] = backbone,
            ["size"] = size,
            ["channels_last"] = TorchRuntime.ChannelsLast,
            ["malloc"] = tuned ? malloc : "default",
            [$"at_{early}"] = samples[early],
            [$"at_{late}"] = samples[late],
        };
        Console.WriteLine("RESULT " + JsonSerializer.Serialize(result));
        return 0;
    }
}

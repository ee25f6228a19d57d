using System.Diagnostics;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace StyleBlazor.Bench;

/// <summary>
/// The comparison of issue 8: app and PyTorch peer interleaved in one run (app, peer, app, peer, …), every measurement
/// in its own child process, then one table per backbone and size, the memory-flatness check, and the web app end to
/// end (<see cref="EndToEnd"/>).
/// </summary>
static class Compare
{
    public static int Run(Args a)
    {
        var sizes = a.Ints("sizes", [256, 512]);
        var backbones = a.Strs("backbones", ["vgg19", "resnet18"]);
        int iterations = a.Int("iterations", 10), warmup = a.Int("warmup", 2), repeats = a.Int("repeats", 2), threads = a.Int("threads", 2);
        string python = a.Str("python", "/usr/bin/python3");
        string? peer = a.Has("no-peer") ? null : a.StrOrNull("peer") ?? FindPeerScript();
        string? outPath = a.StrOrNull("out");
        var mallocs = a.Strs("malloc", ["jemalloc", "reuse", "default"]);
        var peerMallocs = a.Strs("peer-malloc", ["default", "jemalloc"]);
        var precisions = a.Strs("precision", ["float32", "bfloat16"]);
        // App configurations as the results name them: the allocator, then the precision when not float32.
        var appConfigs = mallocs.SelectMany(m => precisions.Select(p => (Malloc: m, Precision: p, Label: p == "float32" ? m : $"{m} {p}"))).ToList();

        Console.WriteLine($"# StyleBlazor bench — {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC");
        Console.WriteLine($"machine: {Environment.ProcessorCount} cores, {CpuModel()}; load average at start: {ProcessStats.LoadAverage()}");
        Console.WriteLine($"app configurations: {string.Join(", ", appConfigs.Select(c => "malloc=" + c.Label))} " +
                          "(jemalloc = preloaded with the MKL vendor-check answer, NativeHeap.ReuseFreedMemory(), as the Docker image; jemalloc-mkl-generic = without that answer; reuse = the same on glibc, as `dotnet run`; default = glibc as it comes)");
        Console.WriteLine($"peer configurations: {string.Join(", ", peerMallocs.Select(m => "malloc=" + m))} (as a user runs the script; with jemalloc preloaded and the same no-decay setting)");
        Console.WriteLine($"settings: sizes {string.Join(",", sizes)}, {iterations} timed iterations after {warmup} warm-up, {repeats} interleaved repeat(s), {threads} threads");
        if (peer is null) Console.WriteLine("peer: skipped (--no-peer or bench/peer.py not found)");

        string weights = Path.Combine(Path.GetTempPath(), $"styleblazor-vgg19-random-seed0.bin");
        if (peer is not null && backbones.Any(b => b.StartsWith("vgg19")) && !File.Exists(weights))
            Child(Self(["dump-weights", "--seed", "0", "--out", weights]), "dump-weights");

        var appFlags = new List<string>();
        foreach (var f in new[] { "channels-last", "interop" })
            if (a.StrOrNull(f) is { } v) appFlags.AddRange(["--" + f, v]);
        if (a.Flag("frames")) appFlags.Add("--frames");
        var peerFlags = new List<string>();
        if (a.StrOrNull("peer-channels-last") is { } pcl) peerFlags.AddRange(["--channels-last", pcl]);

        var runs = new List<JsonObject>();
        foreach (var backbone in backbones)
            foreach (var size in sizes)
                for (int r = 0; r < repeats; r++)
                {
                    string[] common = ["--backbone", backbone, "--size", $"{size}", "--iterations", $"{iterations}", "--warmup", $"{warmup}", "--threads", $"{threads}"];
                    foreach (var (malloc, precision, label) in appConfigs)
                    {
                        var result = Child(WithAllocator(Self(["worker", .. common, "--malloc", WorkerMalloc(malloc), "--precision", precision, .. appFlags]), malloc, keepFreedPages: false),
                            $"app[malloc={label}] {backbone} {size}² #{r + 1}");
                        // The worker knows its allocator, not what else was preloaded: name the configuration as run.
                        if ((string?)result["malloc"] == WorkerMalloc(malloc)) result["config"] = $"malloc={label}";
                        runs.Add(result);
                    }
                    if (peer is not null && backbone.StartsWith("vgg19"))
                        foreach (var malloc in peerMallocs)
                        {
                            var start = new ProcessStartInfo(python, [peer, .. common[2..], "--backbone", "vgg19", "--weights", weights, .. peerFlags]);
                            var result = Child(malloc == "jemalloc" ? ProcessStats.Preload(start, keepFreedPages: true) : start, $"peer[malloc={malloc}] vgg19 {size}² #{r + 1}");
                            result["config"] = $"malloc={malloc}";
                            runs.Add(result);
                        }
                }

        Console.WriteLine();
        Console.WriteLine("## Per-iteration time and memory (median over all timed iterations of all repeats; peak RSS: the highest of the repeats)");
        Console.WriteLine();
        Console.WriteLine("| backbone | size | app config | peer config | app s/it | peer s/it | app/peer | app peak RSS MiB | peer peak RSS MiB | GFLOP/it | app GFLOP/s | peer GFLOP/s | app faults/it | peer faults/it | J₀ app vs peer |");
        Console.WriteLine("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|");
        foreach (var backbone in backbones)
            foreach (var size in sizes)
            {
                foreach (var malloc in appConfigs.Select(c => c.Label))
                foreach (var peerMalloc in backbone.StartsWith("vgg19") && peer is not null ? peerMallocs : ["—"])
                {
                    var pr = Summary(runs, "peer", "vgg19", size, peerMalloc);
                    var app = Summary(runs, "app", backbone, size, malloc);
                    double gflop = app?.Gflop ?? pr?.Gflop ?? double.NaN;
                    string ratio = app is not null && pr is not null ? $"{app.Median / pr.Median:F3}" : "—";
                    string loss = app is null || pr is null ? "—"
                        : app.LossFirst == pr.LossFirst ? "identical"
                        : $"{Math.Abs(app.LossFirst - pr.LossFirst) / Math.Abs(pr.LossFirst):0.0e+0} rel.";
                    Console.WriteLine($"| {backbone} | {size}² | malloc={malloc} | {(pr is null ? "—" : "malloc=" + peerMalloc)} | {F(app?.Median)} | {F(pr?.Median)} | {ratio} | {F(app?.PeakRss, 0)} | {F(pr?.PeakRss, 0)} | " +
                                      $"{gflop:F1} | {F(gflop / app?.Median, 1)} | {F(gflop / pr?.Median, 1)} | {F(app?.Faults, 0)} | {F(pr?.Faults, 0)} | {loss} |");
                }
            }
        if (backbones.Contains("resnet18"))
            Console.WriteLine("\nResNet18: app only. The peer would need the embedded CNTK ONNX model in PyTorch 1.13, which cannot load ONNX without onnx2torch (not packaged in Debian).");

        if (!a.Has("no-memory"))
        {
            int size = a.Int("memory-size", 128), early = a.Int("memory-early", 100), late = a.Int("memory-late", 1000);
            Console.WriteLine($"\n## Memory flatness (engine, vgg19 {size}², malloc={mallocs[0]}, iteration {early} vs {late})\n");
            var m = Child(WithAllocator(Self(["memory", "--size", $"{size}", "--early", $"{early}", "--late", $"{late}", "--threads", $"{threads}", "--malloc", WorkerMalloc(mallocs[0]),
                .. appFlags.Where((f, i) => f == "--channels-last" || (i > 0 && appFlags[i - 1] == "--channels-last"))]), mallocs[0], keepFreedPages: false), "memory");
            runs.Add(m);
            Console.WriteLine("| iteration | live tensors | RSS MiB | peak RSS MiB | managed heap MiB | median s/it (last 20) |");
            Console.WriteLine("|---|---|---|---|---|---|");
            foreach (var at in new[] { early, late })
            {
                var s = m[$"at_{at}"]!;
                Console.WriteLine($"| {at} | {s["live_tensors"]} | {s["rss_mib"]} | {s["peak_rss_mib"]} | {s["managed_heap_mib"]} | {s["median_s_last_20"]} |");
            }
        }

        if (!a.Has("no-endtoend"))
        {
            var endToEnd = EndToEnd.Measure(a);
            runs.AddRange(endToEnd.Select(e => e.Result));
            EndToEnd.Print(endToEnd, a);
        }
        Console.WriteLine($"\nload average at end: {ProcessStats.LoadAverage()}");

        if (outPath is not null)
        {
            File.WriteAllText(outPath, new JsonArray(runs.Select(r => (JsonNode)r.DeepClone()).ToArray()).ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
            Console.WriteLine($"raw results: {outPath}");
        }
        return 0;
    }

    sealed record Side(double Median, double PeakRss, double Gflop, double LossFirst, double Faults);

    static Side? Summary(List<JsonObject> runs, string side, string backbone, int size, string? malloc)
    {
        var mine = runs.Where(r => (string?)r["side"] == side && (string?)r["backbone"] == backbone && (int?)r["size"] == size &&
                                   (malloc is null || (string?)r["config"] == $"malloc={malloc}")).ToList();
        if (mine.Count == 0) return null;
        var times = mine.SelectMany(r => r["times_s"]!.AsArray().Select(t => (double)t!)).ToArray();
        return new Side(Worker.Median(times), mine.Max(r => (double)r["peak_rss_mib"]!), (double)mine[0]["gflop_per_iteration"]!,
            (double)mine[0]["loss_first"]!, Worker.Median(mine.Select(r => (double?)r["minor_faults_per_iteration"] ?? double.NaN).ToArray()));
    }

    static string F(double? v, int digits = 3) => v is { } x && !double.IsNaN(x) ? x.ToString($"F{digits}") : "—";

    /// <summary>
    /// The app's preloads for a configuration: <c>jemalloc</c> is the Docker image's (jemalloc and the MKL vendor-check
    /// answer), <c>jemalloc-mkl-generic</c> jemalloc alone (MKL on its non-Intel path, for comparison).
    /// </summary>
    public static ProcessStartInfo WithAllocator(ProcessStartInfo start, string malloc, bool keepFreedPages) => malloc switch
    {
        "jemalloc" => ProcessStats.Preload(start, keepFreedPages, mklIntelCodePaths: true),
        "jemalloc-mkl-generic" => ProcessStats.Preload(start, keepFreedPages),
        _ => start,
    };

    /// <summary>What the worker sets up itself: the same for both jemalloc configurations.</summary>
    static string WorkerMalloc(string malloc) => malloc.StartsWith("jemalloc") ? "jemalloc" : malloc;

    static ProcessStartInfo Self(string[] args)
    {
        var host = Environment.ProcessPath!;
        return Path.GetFileNameWithoutExtension(host) == "dotnet"
            ? new ProcessStartInfo(host, [typeof(Compare).Assembly.Location, .. args])
            : new ProcessStartInfo(host, args);
    }

    /// <summary>Runs a child to completion, passes its stderr through, and returns its RESULT line (or an empty object).</summary>
    public static JsonObject Child(ProcessStartInfo start, string label)
    {
        start.RedirectStandardOutput = true;
        start.UseShellExecute = false;
        var clock = Stopwatch.StartNew();
        using var process = Process.Start(start)!;
        string output = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        var line = output.Split('\n').LastOrDefault(l => l.StartsWith("RESULT "));
        if (process.ExitCode != 0 || line is null)
        {
            Console.WriteLine($"{label}: FAILED (exit {process.ExitCode}) {output.Trim()}");
            return new JsonObject();
        }
        var result = JsonNode.Parse(line["RESULT ".Length..])!.AsObject();
        string summary = result["median_s"] is { } m
            ? $"median {(double)m:F3} s/it, peak RSS {(double)result["peak_rss_mib"]!:F0} MiB, {(double?)result["minor_faults_per_iteration"] ?? double.NaN:F0} minor faults/it"
            : result["overhead_percent"] is { } o ? $"streaming overhead {(double)o:+0.0;-0.0} %, first frame p50 {(double)result["first_frame_p50_ms"]!:F0} ms"
            : "done";
        Console.WriteLine($"{label}: {summary} ({clock.Elapsed.TotalSeconds:F0} s, load {ProcessStats.LoadAverage()})");
        return result;
    }

    /// <summary>bench/peer.py, found from the working or the program's directory upwards.</summary>
    public static string? FindPeerScript() => FindUpwards(Path.Combine("bench", "peer.py"));

    /// <summary>The first <paramref name="relativePath"/> found from the working or the program's directory upwards.</summary>
    public static string? FindUpwards(string relativePath)
    {
        foreach (var start in new[] { Environment.CurrentDirectory, AppContext.BaseDirectory })
            for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
            {
                var candidate = Path.Combine(dir.FullName, relativePath);
                if (File.Exists(candidate)) return candidate;
            }
        return null;
    }

    static string CpuModel()
    {
        try { return File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("model name"))?.Split(':', 2)[1].Trim() ?? "?"; }
        catch (IOException) { return "?"; }
    }
}

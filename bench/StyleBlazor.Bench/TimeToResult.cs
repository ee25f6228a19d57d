using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace StyleBlazor.Bench;

/// <summary>
/// <c>time-to-result</c> (issue 19): how long a user waits for the default picture. The default recipe (no option but
/// the pictures) on the five gallery pairs, each as a user meets it:
/// <list type="bullet">
/// <item><b>cli</b>: <c>stylize</c> in its own process, timed from its start to its exit (start-up, decoding, the run,
/// the PNG); the first frame is the first progress line (the starting image, iteration 0);</item>
/// <item><b>load</b>: the web app (started once, warm) with one watcher, the owner, through the hub: from Submit to the
/// first Frame and to Ended (<c>tools/LoadTest --time-to-result</c>);</item>
/// <item><b>studio</b>: the same app with Debian's headless Chromium in the Studio, driven by Playwright up to the click
/// on Start and then left alone: from the click to the first frame drawn on the canvas, the final frame and the finished
/// phase (<see cref="StudioWatcher"/>).</item>
/// </list>
/// Per pair: wall time, time to the first frame, the steps at each size, the final J, and how far the engine's
/// remaining-time estimate was from the real time left, from the 10 % mark on. <c>--second-style PAIR</c> follows each
/// pair by its photo with that pair's style; <c>--kept-targets</c> lets the app keep content targets from job to job, as
/// it does by default (the bench turns that off otherwise, so that each job meets its photo for the first time).
/// </summary>
static class TimeToResult
{
    public sealed record Pair(string Name, string Content, string Style)
    {
        /// <summary>This pair's photo with <paramref name="other"/>'s style, e.g. cat-great-wave.</summary>
        public Pair WithStyleOf(Pair other) => new($"{Name.Split('-')[0]}-{string.Join('-', other.Name.Split('-').Skip(1))}", Content, other.Style);
    }

    /// <summary>The gallery's pairs (docs/gallery/README.md), from wwwroot-assets/samples.</summary>
    public static readonly Pair[] GalleryPairs =
    [
        new("cat-starry-night", "photo-chelsea-cat.png", "art-van-gogh-starry-night.jpg"),
        new("red-panda-ejiri", "photo-red-panda.webp", "art-hokusai-ejiri-suruga.png"),
        new("colosseum-great-wave", "photo-colosseum.webp", "art-hokusai-great-wave.png"),
        new("machu-picchu-night-cafe", "photo-machu-picchu.webp", "art-van-gogh-night-cafe.webp"),
        new("astronaut-pere-tanguy", "photo-astronaut.png", "art-van-gogh-pere-tanguy.webp"),
    ];

    public static int Run(Args a)
    {
        var root = Path.GetDirectoryName(Compare.FindUpwards("StyleBlazor.sln"))
            ?? throw new ArgumentException("Run the bench from inside the StyleBlazor repository.");
        string app = a.Str("app", Path.Combine(root, "StyleBlazor", "bin", "Release", "net10.0", "StyleBlazor.dll")); // --app: another build to compare
        if (!File.Exists(app)) throw new ArgumentException($"{app} is missing: run `dotnet build -c Release StyleBlazor` first.");
        string samples = Path.Combine(root, "wwwroot-assets", "samples");
        var names = a.Strs("pairs", GalleryPairs.Select(p => p.Name).ToArray());
        var pairs = names.Select(FindPair).ToArray();
        if (a.StrOrNull("second-style") is { } second)
        {
            // After each pair, its photo with another pair's style: the user who tries a second style. In the web modes the
            // app keeps the photo's content targets from the first job (with --kept-targets); the CLI makes its own.
            var style = FindPair(second);
            pairs = [.. pairs.SelectMany(p => new[] { p, p.WithStyleOf(style) })];
        }
        var modes = a.Strs("modes", ["cli"]);
        string malloc = a.Str("malloc", "jemalloc");
        int repeats = a.Int("repeats", 1);
        string outDirectory = a.Str("out-dir", Path.Combine(Path.GetTempPath(), "styleblazor-time-to-result"));
        Directory.CreateDirectory(outDirectory);
        // Anything after --stylize-args is handed to stylize as it is (e.g. "--iterations 120"); the web modes take the default.
        var extra = (a.StrOrNull("stylize-args") ?? "").Split(' ', StringSplitOptions.RemoveEmptyEntries);

        Console.WriteLine($"# time to result — {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC, {Environment.ProcessorCount} cores, load {ProcessStats.LoadAverage()}");
        Console.WriteLine($"app: {app}; malloc={malloc} ({(malloc == "jemalloc" ? "jemalloc and the MKL answer preloaded, as the Docker image" : "glibc, as `dotnet run`")}); modes {string.Join(",", modes)}; {repeats} repeat(s)");
        var rows = new List<Row>();
        for (int r = 0; r < repeats; r++)
        {
            if (modes.Contains("cli"))
                foreach (var pair in pairs)
                    rows.Add(Cli(app, samples, pair, malloc, Path.Combine(outDirectory, $"{pair.Name}.png"), extra, r,
                        Path.Combine(outDirectory, $"cli-{pair.Name}-{r + 1}.jsonl")) with { Round = r + 1 });
            if (modes.Any(m => m is "load" or "studio"))
                rows.AddRange(Web(app, root, samples, pairs, malloc, modes, a.Int("threads", 0), r, outDirectory, a.Flag("warm-job"), a.Flag("kept-targets"))
                    .Select(w => w with { Round = r + 1 }));
        }

        Console.WriteLine("\n| mode | pair | wall s | final frame s | first frame s | engine s | steps per size | final J | ETA error from 10 % (max) | load at start |");
        Console.WriteLine("|---|---|---|---|---|---|---|---|---|---|");
        foreach (var row in rows)
            Console.WriteLine($"| {row.Mode} | {row.Pair} | {F(row.Wall, 2)} | {F(row.FinalFrame, 2)} | {F(row.FirstFrame, 2)} | {F(row.Engine, 2)} | {row.Steps} | {F(row.FinalJ, 4)} | " +
                              $"{(double.IsNaN(row.EtaError) ? "—" : $"{row.EtaError * 100:F0} %")} | {row.Load} |");
        foreach (var mode in rows.Select(r => r.Mode).Distinct())
        {
            var mine = rows.Where(r => r.Mode == mode).ToArray();
            Console.WriteLine($"{mode}: median wall {Worker.Median(mine.Select(r => r.Wall).ToArray()):F2} s, median first frame " +
                              $"{Worker.Median(mine.Select(r => r.FirstFrame).ToArray()):F2} s over {mine.Length} run(s)");
        }
        PrintRatios(rows);
        Console.WriteLine("RESULT " + JsonSerializer.Serialize(rows, new JsonSerializerOptions { NumberHandling = System.Text.Json.Serialization.JsonNumberHandling.AllowNamedFloatingPointLiterals }));
        return rows.All(r => !double.IsNaN(r.Wall)) ? 0 : 1;
    }

    public sealed record Row(string Mode, string Pair, double Wall, double FirstFrame, double Engine, string Steps, double FinalJ, double EtaError, string Load)
    {
        /// <summary>CPU seconds during the run: the process doing the work (cli: stylize; web: the app), its torch
        /// thread with its OpenMP team, and the watcher's processes (studio: the browser's; load: the load tool).</summary>
        public double CpuProcess { get; init; } = double.NaN;
        public double CpuTorch { get; init; } = double.NaN;
        public double CpuBrowser { get; init; } = double.NaN;
        /// <summary>Web modes: when the final picture reached the watcher. Ended (the wall) comes after the result is stored.</summary>
        public double FinalFrame { get; init; } = double.NaN;
        /// <summary>The repeat it ran in, from 1: the CLI's runs and one fresh app's jobs.</summary>
        public int Round { get; init; }
    }

    /// <summary>
    /// Issue 19's "within 15 % of the CLI": each web run's final frame against the CLI's wall on the same pair in the same
    /// round (the VM's pace drifts between rounds), and the Studio against the load tool in the same app.
    /// </summary>
    static void PrintRatios(IReadOnlyList<Row> rows)
    {
        foreach (var (mode, against) in new[] { ("load", "cli"), ("studio", "cli"), ("studio", "load") })
        {
            double[] ratios = [.. rows.Where(r => r.Mode == mode && !double.IsNaN(r.FinalFrame))
                .Select(r => (Run: r, Base: rows.FirstOrDefault(b => b.Mode == against && b.Pair == r.Pair && b.Round == r.Round)))
                .Where(x => x.Base is not null)
                .Select(x => x.Run.FinalFrame / (against == "cli" ? x.Base!.Wall : x.Base!.FinalFrame))
                .Where(double.IsFinite)];
            if (ratios.Length == 0) continue;
            Console.WriteLine($"{mode} against {against} (to the final frame{(against == "cli" ? "; the CLI to its exit" : "")}): {string.Join(", ", ratios.Select(x => F(x, 2)))}; " +
                              $"{F(ratios.Min(), 2)}–{F(ratios.Max(), 2)}, median {F(Worker.Median(ratios), 2)}, within 15 % in {ratios.Count(x => x <= 1.15)} of {ratios.Length}");
        }
    }

    static string F(double v, int digits) => double.IsNaN(v) ? "—" : v.ToString($"F{digits}", CultureInfo.InvariantCulture);

    /// <summary>One <c>stylize</c> run in its own process, timed from outside; its progress lines are kept in <paramref name="history"/> (for <c>eta-replay</c>).</summary>
    static Row Cli(string app, string samples, Pair pair, string malloc, string output, string[] extra, int repeat, string history)
    {
        string load = ProcessStats.LoadAverage();
        var start = new ProcessStartInfo("dotnet", [app, "stylize", "--content", Path.Combine(samples, pair.Content),
            "--style", Path.Combine(samples, pair.Style), "--out", output, "--progress-json", .. extra])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        Compare.WithAllocator(start, malloc, keepFreedPages: false);
        var progress = new List<(double At, JsonObject Line)>();
        double cpuBefore = ProcessCpu.EndedChildrenSeconds();
        var clock = Stopwatch.StartNew();
        using var process = Process.Start(start)!;
        var errors = process.StandardError.ReadToEndAsync();
        while (process.StandardOutput.ReadLine() is { } line)
            if (line.StartsWith('{')) progress.Add((clock.Elapsed.TotalSeconds, JsonNode.Parse(line)!.AsObject()));
        process.WaitForExit();
        double wall = clock.Elapsed.TotalSeconds;
        double cpu = ProcessCpu.EndedChildrenSeconds() - cpuBefore; // the CLI's process, once it has been waited for
        if (process.ExitCode != 0 || progress.Count == 0)
        {
            Console.WriteLine($"cli {pair.Name}: FAILED (exit {process.ExitCode}) {errors.Result.Trim()}");
            return new Row("cli", pair.Name, double.NaN, double.NaN, double.NaN, "", double.NaN, double.NaN, load);
        }
        var lines = progress.Select(p => p.Line).ToArray();
        File.WriteAllLines(history, lines.Select(l => l.ToJsonString()));
        var reports = Reports(lines);
        var row = new Row("cli", pair.Name, wall, progress[0].At, (double)lines[^1]["elapsed"]!, StepsPerSize(lines),
            (double)lines[^1]["J"]!, EtaError(reports), load) { CpuProcess = cpu };
        Console.WriteLine($"cli {pair.Name} #{repeat + 1}: wall {row.Wall:F2} s, first frame {row.FirstFrame:F2} s, engine {row.Engine:F2} s, {row.Steps}, J {row.FinalJ:F4}, " +
                          $"ETA error {row.EtaError * 100:F0} % at most, {EtaMeanError(reports) * 100:F1} % on average, CPU {cpu:F1} s (load {load})");
        return row;
    }

    /// <summary>The time and the estimate of the time left in each progress line (the CLI's --progress-json, the load tool's --history).</summary>
    static (double Elapsed, double? Remaining)[] Reports(IReadOnlyList<JsonObject> lines) =>
        [.. lines.Select(l => ((double)l["elapsed"]!, (double?)l["remaining"]))];

    /// <summary>"80@128x96 + 40@256x192 + 20@512x384": the steps run at each working size (the final evaluation left out).</summary>
    public static string StepsPerSize(IReadOnlyList<JsonObject> lines) =>
        string.Join(" + ", lines.Take(lines.Count - 1).GroupBy(l => (string?)l["size"] ?? "?").Select(g => $"{g.Count()}@{g.Key}"));

    /// <summary>
    /// The largest relative difference between the engine's estimate of the time left and the time that was really
    /// left, over every report from 10 % of the run's time to its last 5 % (where a few hundredths of a second are a
    /// large share); NaN when the run gave no estimates.
    /// </summary>
    public static double EtaError(IReadOnlyList<(double Elapsed, double? Remaining)> reports) =>
        EtaErrors(reports) is { Length: > 0 } errors ? errors.Max() : double.NaN;

    /// <summary>The mean of the same differences as <see cref="EtaError"/>'s: how far off the estimate was on the whole.</summary>
    public static double EtaMeanError(IReadOnlyList<(double Elapsed, double? Remaining)> reports) =>
        EtaErrors(reports) is { Length: > 0 } errors ? errors.Average() : double.NaN;

    static double[] EtaErrors(IReadOnlyList<(double Elapsed, double? Remaining)> reports)
    {
        double end = reports[^1].Elapsed;
        return reports.Where(r => r.Remaining is not null && r.Elapsed >= 0.1 * end && r.Elapsed <= 0.95 * end)
            .Select(r => Math.Abs(r.Remaining!.Value - (end - r.Elapsed)) / (end - r.Elapsed)).ToArray();
    }

    public static Pair FindPair(string name) => GalleryPairs.FirstOrDefault(p => p.Name.StartsWith(name))
        ?? throw new ArgumentException($"Unknown pair '{name}' ({string.Join(", ", GalleryPairs.Select(p => p.Name))}).");

    /// <summary>The web modes against one warm app: the load tool with one watcher, and Chromium in the Studio.</summary>
    /// <param name="warmJob">--warm-job: a small job (128 px, 60 steps) with one watcher through the hub before the measured
    /// ones, so that none of them is the app's first (what a warm-up through the hub would do).</param>
    /// <param name="keptTargets">
    /// --kept-targets: the app keeps content targets from job to job, as it does by default. Without it the bench turns
    /// that off, so that every job meets its photo for the first time, as every row before 2026-12-06 did (the Studio's
    /// job would otherwise take the targets of the load tool's job on the same pair).
    /// </param>
    static IEnumerable<Row> Web(string app, string root, string samples, Pair[] pairs, string malloc, string[] modes, int threads, int repeat, string outDirectory,
        bool warmJob, bool keptTargets)
    {
        // A build serves the project's static files through its runtime manifest; a publish (--app into a publish folder,
        // e.g. ReadyToRun as the Docker image builds it) serves its own wwwroot, so it is its own content root.
        string appFolder = Path.GetDirectoryName(Path.GetFullPath(app))!;
        string contentRoot = Directory.Exists(Path.Combine(appFolder, "wwwroot")) ? appFolder : Path.Combine(root, "StyleBlazor");
        using var server = EndToEnd.AppServer.Start(app, contentRoot, threads, malloc, keptTargets ? [] : ["--Engine:ContentTargetCacheMiB", "0"]);
        string loadTool = Path.Combine(root, "tools", "LoadTest", "bin", "Release", "net10.0", "LoadTest.dll");
        var rows = new List<Row>();
        if (warmJob)
        {
            var clock = Stopwatch.StartNew();
            using var warm = Process.Start(new ProcessStartInfo("dotnet", [loadTool, "--url", server.Url, "--watchers", "1", "--jobs", "1",
                "--iterations", "60", "--side", "128"]) { RedirectStandardOutput = true, RedirectStandardError = true })!;
            // Both pipes drained at once, as for the CLI: one read after the other stalls a child that fills the second.
            var errors = warm.StandardError.ReadToEndAsync();
            string output = warm.StandardOutput.ReadToEnd();
            warm.WaitForExit();
            if (warm.ExitCode != 0) throw new InvalidOperationException($"The warm job failed ({warm.ExitCode}):\n{output}{errors.Result}");
            Console.WriteLine($"warm job: 60 steps at 128 px with one watcher, {clock.Elapsed.TotalSeconds:F1} s with the load tool's start");
        }
        if (modes.Contains("load"))
        {
            if (!File.Exists(loadTool)) throw new ArgumentException($"{loadTool} is missing: run `dotnet build -c Release tools/LoadTest` first.");
            foreach (var pair in pairs)
            {
                string load = ProcessStats.LoadAverage();
                // The engine's estimate report by report, for its mean error (and a closer look).
                string history = Path.Combine(outDirectory, $"load-{pair.Name}-{repeat + 1}.jsonl");
                var appBefore = ProcessCpu.ThreadSeconds(server.Pid);
                double appTotalBefore = ProcessCpu.ProcessSeconds(server.Pid);
                double watcherBefore = ProcessCpu.EndedChildrenSeconds();
                var result = Compare.Child(new ProcessStartInfo("dotnet", [loadTool, "--url", server.Url, "--time-to-result", "1",
                    "--content", Path.Combine(samples, pair.Content), "--style", Path.Combine(samples, pair.Style), "--timeout", "900",
                    "--history", history]), $"load {pair.Name}");
                // The load tool's whole run (its own start included) and the app's threads over the same span.
                double watcherCpu = ProcessCpu.EndedChildrenSeconds() - watcherBefore;
                var appCpu = ProcessCpu.Difference(appBefore, ProcessCpu.ThreadSeconds(server.Pid));
                rows.Add(result.Count == 0
                    ? new Row("load", pair.Name, double.NaN, double.NaN, double.NaN, "", double.NaN, double.NaN, load)
                    : new Row("load", pair.Name, (double)result["wall_s"]!, (double)result["first_frame_s"]!, (double)result["engine_s"]!,
                        (string)result["steps"]!, (double)result["final_j"]!, (double)result["eta_error"]!, load)
                    {
                        CpuProcess = ProcessCpu.ProcessSeconds(server.Pid) - appTotalBefore, CpuTorch = appCpu.GetValueOrDefault("torch-0"), CpuBrowser = watcherCpu,
                        FinalFrame = (double?)result["last_frame_s"] ?? double.NaN,
                    });
                double meanError = File.Exists(history)
                    ? EtaMeanError(Reports(File.ReadLines(history).Select(l => JsonNode.Parse(l)!.AsObject()).ToArray()))
                    : double.NaN;
                Console.WriteLine($"load {pair.Name} #{repeat + 1}: wall {rows[^1].Wall:F2} s (the final frame at {rows[^1].FinalFrame:F2} s), first frame {rows[^1].FirstFrame:F2} s, engine {rows[^1].Engine:F2} s, " +
                                  $"ETA error {rows[^1].EtaError * 100:F0} % at most, {meanError * 100:F1} % on average ({history}); " +
                                  $"CPU: app {rows[^1].CpuProcess:F1} s ({AppThreads(appCpu)}), the load tool {watcherCpu:F1} s");
            }
        }
        if (modes.Contains("studio"))
            foreach (var pair in pairs)
            {
                string load = ProcessStats.LoadAverage();
                int self = Environment.ProcessId;
                Dictionary<string, double> appBefore = [], appAfter = [];
                double appTotalBefore = double.NaN, appTotalAfter = double.NaN;
                Dictionary<string, double> browserBefore = [], browserAfter = [];
                int runsEnded = RunsEnded(server.Log());
                int logBefore = server.Log().Length;
                var (wall, firstFrame, finalFrame, frames) = StudioWatcher.RunAsync(server.Url, Path.Combine(samples, pair.Content), Path.Combine(samples, pair.Style),
                    runEnded: () => RunsEnded(server.Log()) > runsEnded,
                    started: () => { appBefore = ProcessCpu.ThreadSeconds(server.Pid); appTotalBefore = ProcessCpu.ProcessSeconds(server.Pid); browserBefore = Browser(); },
                    finished: () => { appAfter = ProcessCpu.ThreadSeconds(server.Pid); appTotalAfter = ProcessCpu.ProcessSeconds(server.Pid); browserAfter = Browser(); })
                    .GetAwaiter().GetResult();
                // The bench's children less the app: Chromium's processes and Playwright's driver.
                Dictionary<string, double> Browser() => ProcessCpu.ChildrenSecondsByKind(self, server.Pid);
                var browserCpu = ProcessCpu.Difference(browserBefore, browserAfter);
                var engine = EngineSeconds(server.Log());
                var appCpu = ProcessCpu.Difference(appBefore, appAfter);
                var row = new Row("studio", pair.Name, wall, firstFrame, engine, $"{frames} frames drawn", double.NaN, double.NaN, load)
                {
                    CpuProcess = appTotalAfter - appTotalBefore, CpuTorch = appCpu.GetValueOrDefault("torch-0"), CpuBrowser = browserCpu.Values.Sum(),
                    FinalFrame = finalFrame,
                };
                rows.Add(row);
                Console.WriteLine($"studio {pair.Name} #{repeat + 1}: wall {wall:F2} s (the final frame drawn at {finalFrame:F2} s), first frame {firstFrame:F2} s, engine {engine:F2} s, {frames} frames drawn; " +
                                  $"CPU: app {row.CpuProcess:F1} s ({AppThreads(appCpu)}), browser {row.CpuBrowser:F1} s " +
                                  $"({string.Join(", ", browserCpu.Where(p => p.Value >= 0.05).OrderByDescending(p => p.Value).Select(p => $"{p.Key} {p.Value:F1}"))}; load {load}); " +
                                  ContentTargets(server.Log()[logBefore..]));
            }
        return rows;
    }

    /// <summary>An app's threads by CPU seconds, the busiest first: "torch-0 30.1, .NET TP Worker 2.3, …" (torch-0 is
    /// the torch thread with its OpenMP team).</summary>
    static string AppThreads(Dictionary<string, double> cpu) =>
        string.Join(", ", cpu.Where(p => p.Value >= 0.05).OrderByDescending(p => p.Value).Take(6).Select(p => $"{p.Key} {p.Value:F1}"));

    /// <summary>
    /// What the app's log says of content targets over one Studio job: those made while the page was being filled in
    /// (each preparation, and its time) and those the job found made.
    /// </summary>
    static string ContentTargets(string log)
    {
        var prepared = Regex.Matches(log, @"Made (\d+) content targets before a job, in (\S+)").Select(m =>
            $"{m.Groups[1].Value} in {TimeSpan.Parse(m.Groups[2].Value, CultureInfo.InvariantCulture).TotalSeconds:F2} s");
        var kept = Regex.Match(log, @"(\d+) content targets kept from earlier jobs");
        string made = string.Join(", ", prepared);
        return $"content targets made before Start: {(made.Length > 0 ? made : "none")}; kept at Start: {(kept.Success ? kept.Groups[1].Value : "?")}";
    }

    /// <summary>How many jobs the app's log says have ended, whichever way.</summary>
    static int RunsEnded(string log) => Regex.Count(log, @"Job \S+ (completed: best J|stopped: |failed \(error|ran out of memory)");

    /// <summary>The engine's own time for the last completed job, from the app's log ("… in 00:00:09.1234567").</summary>
    static double EngineSeconds(string log)
    {
        var line = log.Split('\n').LastOrDefault(l => l.Contains(" completed: best J"));
        var at = line?.LastIndexOf(" in ", StringComparison.Ordinal) ?? -1;
        return at >= 0 && TimeSpan.TryParse(line![(at + 4)..].Trim(), CultureInfo.InvariantCulture, out var t) ? t.TotalSeconds : double.NaN;
    }
}

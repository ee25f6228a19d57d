using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json.Nodes;

namespace StyleBlazor.Bench;

/// <summary>
/// The web app end to end (issue 8): starts the built app (Release) on a free 127.0.0.1 port, warm, runs the load
/// command's end-to-end scenario against it (submit → first frame; engine pace with 10 watchers versus none), and
/// stops it. Needs <c>dotnet build -c Release StyleBlazor tools/LoadTest</c>, which bench/run.sh does.
/// </summary>
static class EndToEnd
{
    /// <summary>Frame-rate settings measured: the app's default, and the most it allows (60/s, above any iteration rate here).</summary>
    public static readonly (string Label, string[] ServerArgs)[] FrameSettings =
    [
        ("frames at the default 4/s", []),
        ("up to 60/s: every improved iteration at these paces", ["--Frames:MaxFramesPerSecond", "60"]),
    ];

    public static int RunVerb(Args a)
    {
        var results = Measure(a);
        Print(results, a);
        return results.All(r => r.Result.Count > 0) ? 0 : 1;
    }

    public static List<(string Label, JsonObject Result)> Measure(Args a)
    {
        var root = Path.GetDirectoryName(Compare.FindUpwards("StyleBlazor.sln"))
            ?? throw new ArgumentException("Run the bench from inside the StyleBlazor repository.");
        string app = Path.Combine(root, "StyleBlazor", "bin", "Release", "net10.0", "StyleBlazor.dll");
        string load = Path.Combine(root, "tools", "LoadTest", "bin", "Release", "net10.0", "LoadTest.dll");
        foreach (var built in new[] { app, load })
            if (!File.Exists(built))
                throw new ArgumentException($"{built} is missing: run `dotnet build -c Release StyleBlazor` and `dotnet build -c Release tools/LoadTest` first (bench/run.sh does).");

        var results = new List<(string, JsonObject)>();
        foreach (var (label, serverArgs) in FrameSettings)
        {
            using var server = AppServer.Start(app, Path.Combine(root, "StyleBlazor"), a.Int("threads", 2), a.Str("endtoend-malloc", "jemalloc"), serverArgs);
            string[] scenario =
            [
                load, "--url", server.Url, "--endtoend", $"{a.Int("endtoend-repeats", 4)}", "--first-frames", $"{a.Int("first-frames", 6)}",
                "--iterations", $"{a.Int("endtoend-iterations", 60)}", "--side", $"{a.Int("endtoend-side", 512)}",
                "--backbone", a.Str("endtoend-backbone", "resnet18"), "--timeout", "900",
            ];
            var result = Compare.Child(new ProcessStartInfo("dotnet", scenario), $"end to end, {label}");
            if (result.Count == 0) Console.WriteLine(server.Log());
            results.Add((label, result));
        }
        return results;
    }

    public static void Print(List<(string Label, JsonObject Result)> results, Args a)
    {
        Console.WriteLine($"\n## End to end (the web app on 127.0.0.1, {a.Str("endtoend-backbone", "resnet18")} at {a.Int("endtoend-side", 512)} px, warm service)\n");
        Console.WriteLine("| frame setting | submit → first frame p50 / p95 ms | s/it, nobody watching | s/it, 10 watchers | streaming overhead | frames per watcher |");
        Console.WriteLine("|---|---|---|---|---|---|");
        foreach (var (label, r) in results)
        {
            if (r.Count == 0) { Console.WriteLine($"| {label} | failed | | | | |"); continue; }
            Console.WriteLine($"| {label} | {(double)r["first_frame_p50_ms"]!:F0} / {(double)r["first_frame_p95_ms"]!:F0} | " +
                              $"{(double)r["off_s_per_iteration"]!:F4} | {(double)r["on_s_per_iteration"]!:F4} | {(double)r["overhead_percent"]!:+0.0;-0.0} % | {(double)r["frames_per_watcher"]!:F1} |");
        }
        foreach (var (label, r) in results.Where(r => r.Result.Count > 0))
            Console.WriteLine($"{label}: s/it per job, off {Join(r["off_runs"])}; on {Join(r["on_runs"])}; first frames in order {Join(r["first_frame_ms"], "F0")} ms");
        Console.WriteLine("\ns/it: the engine's own clock over each job's full-size stage (from its loss history); jobs off and on alternate (off-on, on-off, …).");
    }

    static string Join(JsonNode? values, string format = "F4") =>
        string.Join(", ", values!.AsArray().Select(v => ((double)v!).ToString(format)));

    /// <summary>The app in its own process, with a throw-away data directory; killed on dispose.</summary>
    internal sealed class AppServer : IDisposable
    {
        readonly Process _process;
        readonly StringBuilder _log = new();
        readonly string _data;

        AppServer(Process process, string url, string data)
        {
            _process = process;
            Url = url;
            _data = data;
        }

        public string Url { get; }

        public int Pid => _process.Id;

        /// <summary>Starts the app; <paramref name="malloc"/> "jemalloc" preloads it as the Docker image does, else glibc.</summary>
        public static AppServer Start(string dll, string contentRoot, int threads, string malloc, string[] extraArgs)
        {
            int port;
            using (var probe = new TcpListener(IPAddress.Loopback, 0))
            {
                probe.Start();
                port = ((IPEndPoint)probe.LocalEndpoint).Port;
            }
            string url = $"http://127.0.0.1:{port}";
            string data = Directory.CreateTempSubdirectory("styleblazor-bench-").FullName;
            var start = new ProcessStartInfo("dotnet",
            [
                dll, "--urls", url, "--contentRoot", contentRoot, "--Results:DataDirectory", data, "--Engine:CpuThreads", $"{threads}",
                // One bench user submits every job; the per-session and per-address rates are not what is measured.
                "--Limits:SubmissionsPerMinutePerSession", "1000", "--Limits:SubmissionsPerMinutePerAddress", "1000",
                .. extraArgs,
            ])
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                UseShellExecute = false,
                Environment = { ["ASPNETCORE_ENVIRONMENT"] = "Production" },
            };
            // STYLEBLAZOR_BENCH_APP_ENV="NAME=VALUE;…": settings for the app alone (a JIT log, a DOTNET_ knob), not the bench's.
            foreach (var setting in (System.Environment.GetEnvironmentVariable("STYLEBLAZOR_BENCH_APP_ENV") ?? "").Split(';', StringSplitOptions.RemoveEmptyEntries))
            {
                var (name, value) = setting.Split('=', 2) is [var n, var v] ? (n, v)
                    : throw new ArgumentException($"STYLEBLAZOR_BENCH_APP_ENV: '{setting}' is not NAME=VALUE.");
                start.Environment[name] = value;
            }
            var server = new AppServer(Process.Start(Compare.WithAllocator(start, malloc, keepFreedPages: false))!, url, data);
            server._process.OutputDataReceived += (_, e) => { lock (server._log) server._log.AppendLine(e.Data); };
            server._process.ErrorDataReceived += (_, e) => { lock (server._log) server._log.AppendLine(e.Data); };
            server._process.BeginOutputReadLine();
            server._process.BeginErrorReadLine();
            server.WaitUntilServing(TimeSpan.FromMinutes(3));
            return server;
        }

        /// <summary>The app answers only after the engine has warmed up its default backbone.</summary>
        void WaitUntilServing(TimeSpan limit)
        {
            using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
            var clock = Stopwatch.StartNew();
            while (clock.Elapsed < limit)
            {
                if (_process.HasExited) throw new InvalidOperationException($"The app exited ({_process.ExitCode}):\n{Log()}");
                try
                {
                    if (http.GetAsync($"{Url}/api/diagnostics").Result.IsSuccessStatusCode) return;
                }
                catch (AggregateException) { }
                Thread.Sleep(500);
            }
            throw new TimeoutException($"The app did not answer within {limit}:\n{Log()}");
        }

        public string Log() { lock (_log) return _log.ToString(); }

        public void Dispose()
        {
            if (!_process.HasExited) _process.Kill(entireProcessTree: true);
            _process.WaitForExit();
            _process.Dispose();
            try { Directory.Delete(_data, recursive: true); } catch (IOException) { }
        }
    }
}

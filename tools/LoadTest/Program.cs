using StyleBlazor.Hubs;
using StyleBlazor.Jobs;
// A load command for a running StyleBlazor (not a test): M jobs, N watchers spread over them, and what it cost.
//   dotnet run --project tools/LoadTest -- --url http://127.0.0.1:5000 --watchers 50 --jobs 2 [--iterations 100] [--side 256] [--backbone NAME]
// Issue 7's scenario, N users submitting and watching M consecutive jobs in all (see UsersScenario):
//   dotnet run --project tools/LoadTest -- --url http://127.0.0.1:5000 --users 50 --jobs 200 --iterations 20 --side 64 --backbone resnet18
// Issue 19's time to a good picture: one job with the default recipe on two picture files, watched by its owner (see EndToEndScenario):
//   dotnet run --project tools/LoadTest -- --url http://127.0.0.1:5000 --time-to-result 1 --content a.png --style b.jpg [--history reports.jsonl]
// Issue 15's numbers across nodes: N jobs submitted on one web node and watched on another (see ScaleOutScenario):
//   dotnet run --project tools/LoadTest -- --url http://127.0.0.1:5001 --watch-url http://127.0.0.1:5002 --scale-out 12 [--first-frames 10] [--iterations 30] [--side 128]
// Issue 8's end-to-end numbers (submit -> first frame; engine pace with 10 watchers versus none), R repeats (see EndToEndScenario):
//   dotnet run --project tools/LoadTest -- --url http://127.0.0.1:5000 --endtoend 3 [--first-frames 6] [--iterations 60] [--side 512] [--backbone resnet18]
using System.Diagnostics;
using System.Net.Http.Json;
using System.Security.Cryptography;
using Microsoft.AspNetCore.SignalR.Client;
using Microsoft.Extensions.DependencyInjection;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;

var settings = Arguments.Parse(args);
if (settings is null)
{
    Console.Error.WriteLine("usage: LoadTest --url http://127.0.0.1:PORT (--watchers N | --users N | --endtoend R | --scale-out N --watch-url URL) --jobs M [--iterations K] [--side PX] [--backbone NAME] [--timeout SECONDS]");
    return 2;
}
if (!settings.Url.IsLoopback)
{
    Console.Error.WriteLine($"Refusing to load {settings.Url}: this command only runs against 127.0.0.1 / localhost.");
    return 2;
}

if (settings.Users > 0) return await UsersScenario.RunAsync(settings, ConnectAsync, (w, h, seed) => Png(w, h, seed));
if (settings.EndToEndRepeats > 0) return await EndToEndScenario.RunAsync(settings, ConnectAsync, (w, h, seed) => Png(w, h, seed));
if (settings.TimeToResult) return await EndToEndScenario.TimeToResultAsync(settings, ConnectAsync);
if (settings.ScaleOutJobs > 0) return await ScaleOutScenario.RunAsync(settings, ConnectAsync, (w, h, seed) => Png(w, h, seed));

using var http = new HttpClient { BaseAddress = settings.Url };
var before = await http.GetFromJsonAsync<Diagnostics>("/api/diagnostics") ?? throw new InvalidOperationException("No diagnostics.");
var clock = Stopwatch.StartNew();

// Each job from its own browser session (the per-session queue limit is 3).
var submitters = new List<HubConnection>();
var jobIds = new List<string>();
int refused = 0;
for (int i = 0; i < settings.Jobs; i++)
{
    var connection = await ConnectAsync(settings.Url);
    submitters.Add(connection);
    var reply = await connection.InvokeAsync<SubmitReply>("Submit", new SubmitRequest
    {
        Content = Png(settings.Side, settings.Side * 3 / 4, seed: 2 * i),
        Styles = [Png(settings.Side, settings.Side, seed: 2 * i + 1)],
        // The working size: a small upload alone would be scaled up to the recipe's size.
        Options = new TransferSettings { Backbone = settings.Backbone, Iterations = settings.Iterations, Size = settings.Side },
    });
    if (reply.Accepted) jobIds.Add(reply.JobId!);
    else { refused++; Console.WriteLine($"job {i} refused: {reply.Refusal}: {reply.Message}"); }
}
if (jobIds.Count == 0) { Console.Error.WriteLine("No job was accepted."); return 1; }

var watchers = new List<Watcher>();
for (int i = 0; i < settings.Watchers; i++)
{
    var watcher = new Watcher(await ConnectAsync(settings.Url));
    watchers.Add(watcher);
    if (!await watcher.Connection.InvokeAsync<bool>("Watch", jobIds[i % jobIds.Count]))
        Console.WriteLine($"watcher {i}: job not found");
}

var allEnded = Task.WhenAll(watchers.Select(w => w.Ended));
var finished = await Task.WhenAny(allEnded, Task.Delay(TimeSpan.FromSeconds(settings.TimeoutSeconds))) == allEnded;
var elapsed = clock.Elapsed;
foreach (var c in watchers.Select(w => w.Connection).Concat(submitters)) await c.DisposeAsync();
await Task.Delay(500); // let the server see the disconnects
var after = await http.GetFromJsonAsync<Diagnostics>("/api/diagnostics") ?? before;

static string Mb(long bytes) => $"{bytes / 1048576.0:0.0} MB";
var ends = watchers.GroupBy(w => w.Ended.IsCompletedSuccessfully ? w.Ended.Result : "(no end)").Select(g => $"{g.Key} {g.Count()}");
Console.WriteLine($"""
    jobs            {jobIds.Count} accepted, {refused} refused; watchers {watchers.Count}; {(finished ? "all ended" : "TIMED OUT")} after {elapsed.TotalSeconds:0.0} s
    watcher ends    {string.Join(", ", ends)}
    progress msgs   {watchers.Sum(w => w.Progress)} received
    frames          {watchers.Sum(w => w.Frames)} delivered to watchers ({Mb(watchers.Sum(w => w.FrameBytes))}); server: {after.FramesSent - before.FramesSent} sent, {after.FramesCoalesced - before.FramesCoalesced} dropped (coalesced for slow watchers), {after.FramesEncoded - before.FramesEncoded} encoded, {after.FramesSupersededBeforeEncoding - before.FramesSupersededBeforeEncoding} superseded before encoding
    server memory   RSS {Mb(before.RssBytes)} -> {Mb(after.RssBytes)}; GC heap {Mb(before.GcHeapBytes)} -> {Mb(after.GcHeapBytes)}; live tensors {before.LiveTensors} -> {after.LiveTensors}; watchers still registered {after.Watchers}
    """);
return finished ? 0 : 1;

static async Task<HubConnection> ConnectAsync(Uri server)
{
    // A fresh browser session per connection, as separate browsers would have.
    string cookie = $"sb-session={Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)).TrimEnd('=').Replace('+', '-').Replace('/', '_')}";
    var connection = new HubConnectionBuilder()
        .WithUrl(new Uri(server, "hubs/progress"), o => o.Headers["Cookie"] = cookie)
        .AddMessagePackProtocol()
        .Build();
    await connection.StartAsync();
    return connection;
}

static byte[] Png(int width, int height, int seed)
{
    var rng = new Random(seed);
    using var image = new Image<Rgb24>(width, height);
    for (int y = 0; y < height; y++)
        for (int x = 0; x < width; x++)
            image[x, y] = new Rgb24((byte)(x * 255 / width), (byte)(y * 255 / height), (byte)rng.Next(256));
    using var stream = new MemoryStream();
    image.SaveAsPng(stream);
    return stream.ToArray();
}

sealed class Watcher
{
    readonly TaskCompletionSource<string> _ended = new(TaskCreationOptions.RunContinuationsAsynchronously);
    int _frames, _progress;
    long _frameBytes;

    public Watcher(HubConnection connection)
    {
        Connection = connection;
        connection.On<JobUpdate.Progress>("Progress", _ => Interlocked.Increment(ref _progress));
        connection.On<JobUpdate.Frame>("Frame", frame => { Interlocked.Increment(ref _frames); Interlocked.Add(ref _frameBytes, frame.Bytes.Length); });
        connection.On<JobUpdate.Ended>("Ended", end => _ended.TrySetResult(end.State.ToString()));
    }

    public HubConnection Connection { get; }
    public Task<string> Ended => _ended.Task;
    public int Frames => _frames;
    public int Progress => _progress;
    public long FrameBytes => _frameBytes;
}

sealed record Diagnostics(long RssBytes, long GcHeapBytes, long LiveTensors, int Watchers, long FramesEncoded,
    long FramesSupersededBeforeEncoding, long FramesSent, long FramesCoalesced);

sealed record Arguments(Uri Url, int Watchers, int Jobs, int? Iterations, int Side, string? Backbone, int TimeoutSeconds, int Users)
{
    /// <summary>Repeats of the streaming off/on pair (EndToEndScenario); 0 = not that scenario.</summary>
    public int EndToEndRepeats { get; init; }

    /// <summary>Jobs whose submit-to-first-frame time EndToEndScenario measures.</summary>
    public int FirstFrameJobs { get; init; }

    /// <summary>One job of the default recipe on <see cref="ContentFile"/> and <see cref="StyleFile"/> (EndToEndScenario.TimeToResultAsync).</summary>
    public bool TimeToResult { get; init; }
    public string? ContentFile { get; init; }
    public string? StyleFile { get; init; }
    /// <summary>Where TimeToResultAsync writes every progress report it saw (iteration, elapsed, ETA) as JSON lines; null: nowhere.</summary>
    public string? HistoryFile { get; init; }
    /// <summary>Jobs queued at once by ScaleOutScenario (0 = not that scenario), watched through <see cref="WatchUrl"/>.</summary>
    public int ScaleOutJobs { get; init; }

    /// <summary>Another web node of the same deployment, where ScaleOutScenario watches.</summary>
    public Uri? WatchUrl { get; init; }

    public static Arguments? Parse(string[] args)
    {
        var map = new Dictionary<string, string>();
        for (int i = 0; i + 1 < args.Length; i += 2)
        {
            if (!args[i].StartsWith("--")) return null;
            map[args[i][2..]] = args[i + 1];
        }
        if (!map.TryGetValue("url", out var url) || !Uri.TryCreate(url, UriKind.Absolute, out var uri)) return null;
        int Int(string key, int fallback) => map.TryGetValue(key, out var v) && int.TryParse(v, out var n) && n > 0 ? n : fallback;
        return new Arguments(uri, Int("watchers", 10), Int("jobs", 1), map.ContainsKey("iterations") ? Int("iterations", 100) : null,
            Int("side", 256), map.GetValueOrDefault("backbone"), Int("timeout", 600), map.ContainsKey("users") ? Int("users", 50) : 0)
        {
            EndToEndRepeats = map.ContainsKey("endtoend") ? Int("endtoend", 3) : 0,
            FirstFrameJobs = Int("first-frames", 6),
            TimeToResult = map.ContainsKey("time-to-result"),
            ContentFile = map.GetValueOrDefault("content"),
            StyleFile = map.GetValueOrDefault("style"),
            HistoryFile = map.GetValueOrDefault("history"),
            ScaleOutJobs = map.ContainsKey("scale-out") ? Int("scale-out", 12) : 0,
            WatchUrl = map.TryGetValue("watch-url", out var watch) && Uri.TryCreate(watch, UriKind.Absolute, out var watchUri) && watchUri.IsLoopback ? watchUri : null,
        };
    }
}

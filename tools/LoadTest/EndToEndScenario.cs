using StyleBlazor.Hubs;
using StyleBlazor.Jobs;
using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.AspNetCore.SignalR.Client;

/// <summary>
/// Issue 8's end-to-end numbers, against a warm server (<c>--endtoend R</c>):
/// <list type="bullet">
/// <item>time from Submit to the first Frame, as the submitting user sees it (each job watched by its owner);</item>
/// <item>the engine's pace with frame streaming off (nobody watches) versus on (the owner and nine other sessions
/// watch from the start), R interleaved repeats of the same job. The pace is read afterwards from the job's own loss
/// history (the engine's elapsed time at every iteration), so "off" really has no connection watching.</item>
/// </list>
/// Prints a summary and one <c>RESULT {json}</c> line for the bench.
/// </summary>
static class EndToEndScenario
{
    const int WatchersWhenOn = 10;

    public static async Task<int> RunAsync(Arguments settings, Func<Uri, Task<HubConnection>> connect, Func<int, int, int, byte[]> png)
    {
        using var http = new HttpClient { BaseAddress = settings.Url };
        var before = await http.GetFromJsonAsync<Diagnostics>("/api/diagnostics") ?? throw new InvalidOperationException("No diagnostics.");
        int iterations = settings.Iterations ?? 60;
        // Every job is the same picture, so off and on differ only in who watches.
        byte[] content = png(settings.Side, settings.Side * 3 / 4, 1), style = png(settings.Side, settings.Side, 2);
        SubmitRequest Request(int n) => new()
        {
            Content = content,
            Styles = [style],
            Options = new TransferSettings { Backbone = settings.Backbone, Iterations = n, Size = settings.Side, Seed = 1 },
        };
        var owner = await connect(settings.Url);
        // This client's own first call compiles its SignalR and MessagePack paths (a browser has no such cost);
        // asking to watch an unknown job pays it before anything is timed.
        await owner.InvokeAsync<bool>("Watch", "no-such-job");

        // 1. Submit -> first frame, the owner watching each job from the moment it is accepted.
        var firstFrames = new List<double>();
        for (int i = 0; i < settings.FirstFrameJobs; i++)
        {
            var run = await RunJobAsync(owner, Request(Math.Min(iterations, 20)), watchers: 1, settings, connect, http);
            firstFrames.Add(run.FirstFrameMs);
        }

        // 2. Streaming off versus on, interleaved in the order off-on, on-off, off-on, … so neither side always runs
        // right after the other (an earlier version ran off first every time, and off measured consistently slower).
        var off = new List<JobPace>();
        var on = new List<JobPace>();
        for (int r = 0; r < settings.EndToEndRepeats; r++)
        {
            foreach (bool watched in r % 2 == 0 ? new[] { false, true } : [true, false])
                (watched ? on : off).Add(await RunJobAsync(owner, Request(iterations), watchers: watched ? WatchersWhenOn : 0, settings, connect, http));
            Console.WriteLine($"repeat {r + 1}: off {off[^1].SecondsPerIteration:0.0000} s/it, on {on[^1].SecondsPerIteration:0.0000} s/it ({on[^1].FramesPerWatcher:0.0} frames per watcher)");
        }
        await owner.DisposeAsync();
        var after = await http.GetFromJsonAsync<Diagnostics>("/api/diagnostics") ?? before;

        double offPace = off.Sum(p => p.Seconds) / off.Sum(p => p.Iterations);
        double onPace = on.Sum(p => p.Seconds) / on.Sum(p => p.Iterations);
        double overhead = onPace / offPace - 1;
        var sorted = firstFrames.Order().ToList();
        double Percentile(double p) => sorted.Count == 0 ? double.NaN : sorted[(int)Math.Min(sorted.Count - 1, Math.Ceiling(p * sorted.Count) - 1)];
        Console.WriteLine($"""
            first frame     submit -> first frame p50 {Percentile(0.5):0} ms, p95 {Percentile(0.95):0} ms, max {sorted.LastOrDefault():0} ms ({sorted.Count} jobs, {settings.Backbone ?? "default backbone"}, {settings.Side} px; in order: {string.Join(", ", firstFrames.Select(f => f.ToString("0")))} ms)
            streaming off   {1 / offPace:0.000} it/s ({offPace:0.0000} s/it over {off.Sum(p => p.Iterations)} full-size iterations of {off.Count} jobs, no watcher)
            streaming on    {1 / onPace:0.000} it/s ({onPace:0.0000} s/it over {on.Sum(p => p.Iterations)} iterations of {on.Count} jobs, {WatchersWhenOn} watchers, {on.Average(p => p.FramesPerWatcher):0.0} frames each)
            overhead        {overhead * 100:+0.0;-0.0} % time per iteration with streaming on
            server          RSS {before.RssBytes / 1048576.0:0} -> {after.RssBytes / 1048576.0:0} MiB, live tensors {before.LiveTensors} -> {after.LiveTensors}, frames sent {after.FramesSent - before.FramesSent}
            """);
        Console.WriteLine("RESULT " + JsonSerializer.Serialize(new
        {
            backbone = settings.Backbone ?? "default",
            side = settings.Side,
            iterations,
            first_frame_ms = firstFrames,
            first_frame_p50_ms = Percentile(0.5),
            first_frame_p95_ms = Percentile(0.95),
            off_s_per_iteration = offPace,
            on_s_per_iteration = onPace,
            off_runs = off.Select(p => p.SecondsPerIteration),
            on_runs = on.Select(p => p.SecondsPerIteration),
            watchers = WatchersWhenOn,
            frames_per_watcher = on.Average(p => p.FramesPerWatcher),
            overhead_percent = overhead * 100,
            rss_mib_before = before.RssBytes / 1048576.0,
            rss_mib_after = after.RssBytes / 1048576.0,
            live_tensors_before = before.LiveTensors,
            live_tensors_after = after.LiveTensors,
        }));
        return 0;
    }

    /// <summary>
    /// Issue 19: one job with the server's default recipe (only the two pictures given), watched by its owner from the
    /// moment it is accepted, as a user who presses Start: Submit → first Frame, Submit → Ended, the engine's own time,
    /// the final J, and how far the ETA the watchers were shown was from the time really left, from the 10 % mark on.
    /// </summary>
    public static async Task<int> TimeToResultAsync(Arguments settings, Func<Uri, Task<HubConnection>> connect)
    {
        if (settings.ContentFile is null || settings.StyleFile is null) throw new ArgumentException("--time-to-result needs --content FILE and --style FILE.");
        var request = new SubmitRequest
        {
            Content = await File.ReadAllBytesAsync(settings.ContentFile),
            Styles = [await File.ReadAllBytesAsync(settings.StyleFile)],
        };
        var owner = await connect(settings.Url);
        await owner.InvokeAsync<bool>("Watch", "no-such-job"); // this client's own first call, before anything is timed
        var progress = new List<LossRecord>();
        var ended = new TaskCompletionSource<JobUpdate.Ended>(TaskCreationOptions.RunContinuationsAsynchronously);
        var firstFrame = new TaskCompletionSource<double>(TaskCreationOptions.RunContinuationsAsynchronously);
        int frames = 0;
        string finalSize = "";
        long submittedAt = 0;
        double lastFrame = double.NaN; // the final frame arrives before Ended, which waits for the result to be stored
        owner.On<JobUpdate.Progress>("Progress", p => { lock (progress) progress.Add(p.Loss); });
        owner.On<JobUpdate.Frame>("Frame", f =>
        {
            Interlocked.Increment(ref frames);
            finalSize = $"{f.Width}x{f.Height}"; // frames are drawn at the final size, whatever the stage
            double at = Stopwatch.GetElapsedTime(submittedAt).TotalSeconds;
            Volatile.Write(ref lastFrame, at);
            firstFrame.TrySetResult(at);
        });
        owner.On<JobUpdate.Ended>("Ended", e => ended.TrySetResult(e));

        submittedAt = Stopwatch.GetTimestamp();
        var reply = await owner.InvokeAsync<SubmitReply>("Submit", request);
        if (!reply.Accepted) throw new InvalidOperationException($"The job was refused: {reply.Refusal}: {reply.Message}");
        await owner.InvokeAsync<bool>("Watch", reply.JobId!);
        var end = await ended.Task.WaitAsync(TimeSpan.FromSeconds(settings.TimeoutSeconds));
        double wall = Stopwatch.GetElapsedTime(submittedAt).TotalSeconds;
        await owner.DisposeAsync();
        if (end.State != JobState.Completed) throw new InvalidOperationException($"The job ended {end.State}: {end.Message}");

        // Progress updates are never coalesced, so the owner saw every iteration; a late join would get them as History.
        var history = progress.OrderBy(r => r.Iteration).ToArray();
        double engine = history[^1].ElapsedSeconds;
        if (settings.HistoryFile is { } file)
            await File.WriteAllLinesAsync(file, history.Select(r => JsonSerializer.Serialize(new { iteration = r.Iteration, elapsed = r.ElapsedSeconds, remaining = r.EtaSeconds, final_size = finalSize })));
        var judged = history.Where(r => r.ElapsedSeconds >= 0.1 * engine && r.ElapsedSeconds <= 0.95 * engine && r.EtaSeconds > 0).ToArray();
        double etaError = judged.Length == 0 ? double.NaN
            : judged.Max(r => Math.Abs(r.EtaSeconds!.Value - (engine - r.ElapsedSeconds)) / (engine - r.ElapsedSeconds));
        Console.WriteLine($"time to result  wall {wall:0.00} s (submit -> ended; the final frame at {lastFrame:0.00} s), first frame {firstFrame.Task.Result:0.00} s, engine {engine:0.00} s, " +
                          $"{history[^1].Iteration} iterations, final J {history[^1].Total:0.0000}, {frames} frames, ETA error {etaError * 100:0} %");
        Console.WriteLine("RESULT " + JsonSerializer.Serialize(new
        {
            wall_s = wall,
            first_frame_s = firstFrame.Task.Result,
            last_frame_s = lastFrame,
            engine_s = engine,
            steps = $"{history[^1].Iteration} steps",
            final_j = history[^1].Total,
            frames,
            eta_error = etaError,
        }));
        return 0;
    }

    /// <summary>The engine's pace over one job's full-size stage, and what its watchers saw.</summary>
    sealed record JobPace(double Seconds, int Iterations, double FirstFrameMs, double FramesPerWatcher)
    {
        public double SecondsPerIteration => Seconds / Iterations;
    }

    static async Task<JobPace> RunJobAsync(HubConnection owner, SubmitRequest request, int watchers, Arguments settings,
        Func<Uri, Task<HubConnection>> connect, HttpClient http)
    {
        // The other watchers connect first, so connecting is not part of the run.
        var others = new List<HubConnection>();
        for (int i = 1; i < watchers; i++) others.Add(await connect(settings.Url));
        var frames = new int[watchers];
        var ended = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var firstFrame = new TaskCompletionSource<double>(TaskCreationOptions.RunContinuationsAsynchronously);
        var handlers = new List<IDisposable>();
        long submittedAt = Stopwatch.GetTimestamp();
        if (watchers > 0)
        {
            foreach (var (connection, index) in others.Prepend(owner).Select((c, i) => (c, i)))
            {
                handlers.Add(connection.On<JobUpdate.Frame>("Frame", _ =>
                {
                    Interlocked.Increment(ref frames[index]);
                    if (index == 0) firstFrame.TrySetResult(Stopwatch.GetElapsedTime(submittedAt).TotalMilliseconds);
                }));
                if (index == 0)
                {
                    handlers.Add(connection.On<JobUpdate.Ended>("Ended", end =>
                    {
                        if (end.State == JobState.Completed) ended.TrySetResult();
                        else ended.TrySetException(new InvalidOperationException($"The job ended {end.State}: {end.Message}"));
                    }));
                }
            }
        }

        submittedAt = Stopwatch.GetTimestamp();
        var reply = await owner.InvokeAsync<SubmitReply>("Submit", request);
        if (!reply.Accepted) throw new InvalidOperationException($"The job was refused: {reply.Refusal}: {reply.Message}");
        var jobId = reply.JobId!;
        if (watchers > 0)
        {
            await Task.WhenAll(others.Prepend(owner).Select(c => c.InvokeAsync<bool>("Watch", jobId)));
            await ended.Task.WaitAsync(TimeSpan.FromSeconds(settings.TimeoutSeconds));
        }
        else
        {
            // Nobody watches: ask for the result once a second until it exists.
            var deadline = Stopwatch.GetTimestamp() + settings.TimeoutSeconds * Stopwatch.Frequency;
            while ((await http.GetAsync($"/api/jobs/{jobId}/result.png")).StatusCode != HttpStatusCode.OK)
            {
                if (Stopwatch.GetTimestamp() > deadline) throw new TimeoutException($"Job {jobId} did not complete in {settings.TimeoutSeconds} s.");
                await Task.Delay(1000);
            }
        }
        foreach (var h in handlers) h.Dispose();
        foreach (var c in others) await c.DisposeAsync();

        // The pace from the engine's own clock: a late watcher of a finished job gets its whole loss history.
        var history = await HistoryAsync(settings.Url, jobId, connect);
        // The last half is the full-size stage (the recipe's coarse stage comes first); skip its first step, which
        // computes the full-size targets.
        var full = history[(history.Length / 2 + 1)..];
        double seconds = full[^1].ElapsedSeconds - full[0].ElapsedSeconds;
        double firstFrameMs = firstFrame.Task.IsCompletedSuccessfully ? firstFrame.Task.Result : double.NaN;
        return new JobPace(seconds, full.Length - 1, firstFrameMs, watchers > 0 ? frames.Average() : 0);
    }

    static async Task<LossRecord[]> HistoryAsync(Uri url, string jobId, Func<Uri, Task<HubConnection>> connect)
    {
        await using var late = await connect(url);
        var history = new TaskCompletionSource<LossRecord[]>(TaskCreationOptions.RunContinuationsAsynchronously);
        late.On<LossRecord[]>("History", h => history.TrySetResult(h));
        if (!await late.InvokeAsync<bool>("Watch", jobId)) throw new InvalidOperationException($"Job {jobId} is gone.");
        return await history.Task.WaitAsync(TimeSpan.FromSeconds(30));
    }
}

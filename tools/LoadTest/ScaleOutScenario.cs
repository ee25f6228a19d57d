using System.Diagnostics;
using Microsoft.AspNetCore.SignalR.Client;
using StyleBlazor.Hubs;
using StyleBlazor.Jobs;

/// <summary>
/// Issue 15's numbers for a deployment of several nodes (docs/scale-out.md): jobs are submitted to one web node (--url)
/// and watched through another (--watch-url), so every update crosses Redis.
/// 1. Throughput: N jobs queued at once, from the first submission to the last end.
/// 2. Submit → first frame across nodes, one job at a time (an empty queue): p50 and p95.
/// 3. Frames per second that reach the watcher on the other node during one longer run.
/// </summary>
static class ScaleOutScenario
{
    public static async Task<int> RunAsync(Arguments settings, Func<Uri, Task<HubConnection>> connect, Func<int, int, int, byte[]> png)
    {
        var watchUrl = settings.WatchUrl ?? settings.Url;
        byte[] content = png(settings.Side, settings.Side * 3 / 4, 1), style = png(settings.Side, settings.Side, 2);
        SubmitRequest Request(int iterations) => new()
        {
            Content = content,
            Styles = [style],
            Options = new TransferSettings { Backbone = settings.Backbone, Iterations = iterations, Size = settings.Side, Seed = 1 },
        };
        int iterations = settings.Iterations ?? 30;

        // 1. Throughput: every job from its own session (the per-owner queue limit), all queued before the first ends.
        var clock = Stopwatch.StartNew();
        var runs = new List<Task<Watched>>();
        for (int i = 0; i < settings.ScaleOutJobs; i++) runs.Add(SubmitAndWatchAsync(settings.Url, watchUrl, Request(iterations), connect, settings.TimeoutSeconds));
        var all = await Task.WhenAll(runs);
        var wall = clock.Elapsed.TotalSeconds;
        Console.WriteLine($"throughput      {all.Length} jobs of {iterations} iterations at {settings.Side} px in {wall:0.0} s: {all.Length / wall * 60:0.0} jobs/min; ends: {string.Join(", ", all.GroupBy(r => r.End).Select(g => $"{g.Key} {g.Count()}"))}");

        // 2. Submit -> first frame across nodes, one job at a time.
        var firstFrames = new List<double>();
        for (int i = 0; i < settings.FirstFrameJobs; i++)
            firstFrames.Add((await SubmitAndWatchAsync(settings.Url, watchUrl, Request(Math.Min(iterations, 20)), connect, settings.TimeoutSeconds)).FirstFrameMs);
        var sorted = firstFrames.Order().ToList();
        double Percentile(double p) => sorted[(int)Math.Min(sorted.Count - 1, Math.Ceiling(p * sorted.Count) - 1)];
        Console.WriteLine($"first frame     submit on {settings.Url.Authority} -> first frame on {watchUrl.Authority}: p50 {Percentile(0.5):0} ms, p95 {Percentile(0.95):0} ms ({sorted.Count} jobs: {string.Join(", ", firstFrames.Select(f => f.ToString("0")))} ms)");

        // 3. Frames per second on the other node, over the running part of one longer job.
        var longRun = await SubmitAndWatchAsync(settings.Url, watchUrl, Request(iterations * 4), connect, settings.TimeoutSeconds);
        Console.WriteLine($"frames          {longRun.Frames} frames in {longRun.RunningSeconds:0.0} s of running reached the watcher on {watchUrl.Authority}: {longRun.Frames / longRun.RunningSeconds:0.0} frames/s");
        return all.All(r => r.End == "Completed") && longRun.End == "Completed" ? 0 : 1;
    }

    sealed record Watched(string End, double FirstFrameMs, int Frames, double RunningSeconds);

    /// <summary>Submits on one node and watches on another from the start: when the first frame came, and how many.</summary>
    static async Task<Watched> SubmitAndWatchAsync(Uri submitUrl, Uri watchUrl, SubmitRequest request, Func<Uri, Task<HubConnection>> connect, int timeoutSeconds)
    {
        await using var owner = await connect(submitUrl);
        await using var watcher = await connect(watchUrl);
        var ended = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        long submittedAt = 0, startedAt = 0, firstFrameAt = 0;
        int frames = 0;
        watcher.On<JobUpdate.Started>("Started", _ => Interlocked.CompareExchange(ref startedAt, Stopwatch.GetTimestamp(), 0));
        watcher.On<JobUpdate.Frame>("Frame", _ =>
        {
            Interlocked.CompareExchange(ref firstFrameAt, Stopwatch.GetTimestamp(), 0);
            Interlocked.Increment(ref frames);
        });
        watcher.On<JobUpdate.Ended>("Ended", e => ended.TrySetResult(e.State.ToString()));
        submittedAt = Stopwatch.GetTimestamp();
        var reply = await owner.InvokeAsync<SubmitReply>("Submit", request);
        if (!reply.Accepted) return new Watched($"refused: {reply.Message}", double.NaN, 0, 0);
        if (!await watcher.InvokeAsync<bool>("Watch", reply.JobId!)) return new Watched("unknown on the watching node", double.NaN, 0, 0);
        var end = await ended.Task.WaitAsync(TimeSpan.FromSeconds(timeoutSeconds));
        var running = startedAt == 0 ? double.NaN : Stopwatch.GetElapsedTime(startedAt).TotalSeconds;
        return new Watched(end, firstFrameAt == 0 ? double.NaN : Stopwatch.GetElapsedTime(submittedAt, firstFrameAt).TotalMilliseconds, frames, running);
    }
}

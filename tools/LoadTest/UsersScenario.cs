using StyleBlazor.Hubs;
using StyleBlazor.Jobs;
using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net.Http.Json;
using Microsoft.AspNetCore.SignalR.Client;

/// <summary>
/// Issue 7's load scenario: <c>--users N</c> simulated users, each its own browser session on one hub connection,
/// submitting through the hub (the path the studio uses) and watching its own job until <c>--jobs M</c> submissions
/// have been made in all. Reports outcomes, frames, submit-to-first-frame latency, and server memory and live tensors
/// before, during (peak) and after.
/// </summary>
static class UsersScenario
{
    public static async Task<int> RunAsync(Arguments settings, Func<Uri, Task<HubConnection>> connect, Func<int, int, int, byte[]> png)
    {
        using var http = new HttpClient { BaseAddress = settings.Url };
        var before = await http.GetFromJsonAsync<Diagnostics>("/api/diagnostics") ?? throw new InvalidOperationException("No diagnostics.");
        var clock = Stopwatch.StartNew();

        var users = new List<HubConnection>();
        for (int i = 0; i < settings.Users; i++) users.Add(await connect(settings.Url));

        // The peak of memory and tensors while the jobs run, sampled once a second.
        long peakRss = before.RssBytes, peakTensors = before.LiveTensors;
        using var sampling = new CancellationTokenSource();
        var sampler = Task.Run(async () =>
        {
            while (!sampling.IsCancellationRequested)
            {
                try
                {
                    var d = await http.GetFromJsonAsync<Diagnostics>("/api/diagnostics", sampling.Token);
                    if (d is not null) { peakRss = Math.Max(peakRss, d.RssBytes); peakTensors = Math.Max(peakTensors, d.LiveTensors); }
                    await Task.Delay(1000, sampling.Token);
                }
                catch (OperationCanceledException) { }
            }
        });

        int submitted = -1, frames = 0;
        var outcomes = new ConcurrentDictionary<string, int>();
        var firstFrame = new ConcurrentBag<double>();
        var deadline = DateTime.UtcNow.AddSeconds(settings.TimeoutSeconds);

        async Task UserAsync(HubConnection connection, int user)
        {
            TaskCompletionSource<string>? ended = null;
            long submittedAt = 0;
            int seenFrame = 0;
            connection.On<JobUpdate.Frame>("Frame", _ =>
            {
                Interlocked.Increment(ref frames);
                if (Interlocked.Exchange(ref seenFrame, 1) == 0) firstFrame.Add(Stopwatch.GetElapsedTime(submittedAt).TotalMilliseconds);
            });
            connection.On<JobUpdate.Ended>("Ended", end => ended?.TrySetResult(end.State switch
            {
                JobState.Completed => "completed",
                JobState.Cancelled => "cancelled",
                _ => $"{end.State.ToString().ToLowerInvariant()}: {end.Message}",
            }));

            int n;
            while ((n = Interlocked.Increment(ref submitted)) < settings.Jobs && DateTime.UtcNow < deadline)
            {
                ended = new(TaskCreationOptions.RunContinuationsAsynchronously);
                seenFrame = 0;
                submittedAt = Stopwatch.GetTimestamp();
                var reply = await connection.InvokeAsync<SubmitReply>("Submit", new SubmitRequest
                {
                    Content = png(settings.Side, settings.Side * 3 / 4, 2 * n),
                    Styles = [png(settings.Side, settings.Side, 2 * n + 1)],
                    // The working size: a small upload alone would be scaled up to the recipe's size.
                    Options = new TransferSettings { Backbone = settings.Backbone, Iterations = settings.Iterations, Size = settings.Side },
                });
                if (!reply.Accepted)
                {
                    outcomes.AddOrUpdate($"refused ({reply.Refusal}: {reply.Message})", 1, (_, c) => c + 1);
                    await Task.Delay(1000); // a user reads the message before trying again
                    continue;
                }
                await connection.InvokeAsync<bool>("Watch", reply.JobId!);
                var outcome = await Task.WhenAny(ended.Task, Task.Delay(TimeSpan.FromTicks(Math.Max(0, (deadline - DateTime.UtcNow).Ticks)))) == ended.Task ? ended.Task.Result : "no end (timed out)";
                outcomes.AddOrUpdate(outcome, 1, (_, c) => c + 1);
            }
        }

        await Task.WhenAll(users.Select(UserAsync));
        var elapsed = clock.Elapsed;
        foreach (var c in users) await c.DisposeAsync();
        await Task.Delay(2000); // let the server see the disconnects and finish releasing
        sampling.Cancel();
        await sampler;
        var after = await http.GetFromJsonAsync<Diagnostics>("/api/diagnostics") ?? before;

        static string Mb(long bytes) => $"{bytes / 1048576.0:0.0} MB";
        static double Percentile(List<double> sorted, double p) => sorted.Count == 0 ? double.NaN : sorted[(int)Math.Min(sorted.Count - 1, Math.Ceiling(p * sorted.Count) - 1)];
        var latencies = firstFrame.OrderBy(x => x).ToList();
        int completed = outcomes.Where(o => o.Key == "completed").Sum(o => o.Value);
        int refused = outcomes.Where(o => o.Key.StartsWith("refused")).Sum(o => o.Value);
        int failed = outcomes.Where(o => o.Key.StartsWith("failed")).Sum(o => o.Value);
        Console.WriteLine($"""
            users           {settings.Users} (one browser session and hub connection each); {Math.Min(settings.Jobs, submitted)} submissions in {elapsed.TotalSeconds:0.0} s
            jobs            {completed} completed, {refused} refused, {failed} failed
            outcomes        {string.Join("; ", outcomes.OrderByDescending(o => o.Value).Select(o => $"{o.Key} x{o.Value}"))}
            frames          {frames} delivered to the users; server: {after.FramesSent - before.FramesSent} sent, {after.FramesCoalesced - before.FramesCoalesced} coalesced, {after.FramesEncoded - before.FramesEncoded} encoded
            first frame     submit -> first frame p50 {Percentile(latencies, 0.50):0} ms, p95 {Percentile(latencies, 0.95):0} ms, max {(latencies.Count > 0 ? latencies[^1] : double.NaN):0} ms ({latencies.Count} jobs)
            RSS             before {Mb(before.RssBytes)}, peak during {Mb(peakRss)}, after {Mb(after.RssBytes)}
            GC heap         before {Mb(before.GcHeapBytes)}, after {Mb(after.GcHeapBytes)}
            live tensors    before {before.LiveTensors}, peak during {peakTensors}, after {after.LiveTensors}; watchers still registered {after.Watchers}
            """);
        return completed + refused + failed == settings.Jobs ? 0 : 1;
    }
}

using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.AspNetCore.Http.Connections;
using Microsoft.AspNetCore.SignalR.Client;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;
using StyleBlazor.Hubs;
using StyleBlazor.Jobs;
using StyleBlazor.Tests.EndToEnd;
using StyleBlazor.Tests.Support;
using Xunit.Abstractions;
using static StyleBlazor.Tests.EndToEnd.StudioDriver;

namespace StyleBlazor.Tests.Distributed;

/// <summary>
/// Several nodes on real Redis and PostgreSQL processes (<see cref="Deployment"/>): each fault of issue 15 is caused for
/// real — a process killed, a server stopped — and what users see is checked through the nodes' own HTTP, hub and pages.
/// </summary>
[Collection(DistributedCollection.Name)]
[Trait("Category", "Distributed")]
public sealed class ScaleOutTests(Deployment deployment, EndToEnd.Browser browser, ITestOutputHelper output) : IAsyncLifetime
{
    static readonly string Samples = StudioDriver.Samples;

    public Task InitializeAsync() => deployment.RestoreAsync();

    // What the nodes logged during the test: shown by the test runner when the test fails.
    public Task DisposeAsync()
    {
        output.WriteLine(deployment.TakeLogs());
        return Task.CompletedTask;
    }

    /// <summary>A client of one node; <paramref name="cookies"/> shared between clients makes them one browser on several nodes.</summary>
    static HttpClient Caller(string baseUrl, CookieContainer? cookies = null) =>
        new(new HttpClientHandler { CookieContainer = cookies ?? new CookieContainer(), UseCookies = true }) { BaseAddress = new Uri(baseUrl), Timeout = TimeSpan.FromSeconds(30) };

    /// <summary>A job by form: a sample photo and painting, small enough to run in seconds on one torch thread.</summary>
    static async Task<string> SubmitAsync(HttpClient http, int iterations = 30, int size = 96)
    {
        using var form = new MultipartFormDataContent
        {
            { new ByteArrayContent(await File.ReadAllBytesAsync(Path.Combine(Samples, "photo-chelsea-cat.png"))), "content", "cat.png" },
            { new ByteArrayContent(await File.ReadAllBytesAsync(Path.Combine(Samples, "art-hokusai-great-wave.png"))), "style", "wave.png" },
            { new StringContent($$"""{"iterations": {{iterations}}, "size": {{size}}, "seed": 3}"""), "options" },
        };
        var response = await http.PostAsync("/api/jobs", form);
        Assert.True(response.StatusCode == HttpStatusCode.Accepted, $"{response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
        return (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetString()!;
    }

    static async Task<JsonElement> StatusAsync(HttpClient http, string jobId) =>
        await http.GetFromJsonAsync<JsonElement>($"/api/jobs/{jobId}");

    static async Task<JsonElement> UntilEndedAsync(HttpClient http, string jobId, double seconds = 120)
    {
        JsonElement status = default;
        await StyleBlazorApplication.Eventually(() =>
        {
            status = StatusAsync(http, jobId).GetAwaiter().GetResult();
            return status.GetProperty("status").GetString() is not ("queued" or "running");
        }, $"job {jobId} to end", seconds);
        return status;
    }

    /// <summary>A hub connection to one node, recording what it receives.</summary>
    static async Task<ProgressRecorder> WatcherAsync(NodeProcess node)
    {
        var connection = new HubConnectionBuilder()
            .WithUrl($"{node.BaseUrl}{ProgressHub.Path}", o => o.Transports = HttpTransportType.WebSockets)
            .AddMessagePackProtocol()
            .Build();
        await connection.StartAsync();
        return new ProgressRecorder(connection);
    }

    [Fact]
    public async Task AJobSubmittedOnOneWebNodeIsWatchedOnTheOtherWithEveryUpdateInOrderAndItsFrames()
    {
        var browser = new CookieContainer();
        using var onWeb1 = Caller(deployment.Web1.BaseUrl, browser);
        // Long enough (~2 s at 96 px) that a watcher joining from the other node still sees frames: 40 steps could end
        // with one frame left to see on a busy machine.
        var jobId = await SubmitAsync(onWeb1, iterations: 150);
        var watcher = await WatcherAsync(deployment.Web2);
        await using var _ = watcher.Connection;

        Assert.True(await watcher.WatchAsync(jobId));
        var end = await watcher.WaitForEndAsync(120);

        Assert.Equal("Completed", end.Kind);
        Assert.Matches("^/r/[A-Za-z0-9_-]{32}$", end.Text);
        var messages = watcher.Messages;
        Assert.Equal("History", messages[0].Kind);
        var iterations = messages[0].History.Select(h => h.Iteration).Concat(watcher.OfKind("Progress").Select(p => p.Iteration));
        Assert.Equal(Enumerable.Range(0, 151), iterations); // every iteration once, in order, whenever the watcher joined
        var frames = watcher.OfKind("Frame");
        Assert.True(frames.Count >= 2, $"{frames.Count} frames");
        Assert.Equal(frames.Select(f => f.Iteration).Order().Distinct(), frames.Select(f => f.Iteration));
        Assert.All(frames, f => Assert.Equal([0xFF, 0xD8], f.Bytes![..2]));
        // The result, stored by a worker, is served by the other web node from the shared database and folder.
        using var onWeb2 = Caller(deployment.Web2.BaseUrl, browser);
        Assert.Equal(HttpStatusCode.OK, (await onWeb2.GetAsync(end.Text)).StatusCode);
        Assert.Equal("image/png", (await onWeb2.GetAsync($"/api/jobs/{jobId}/result.png")).Content.Headers.ContentType?.MediaType);
        Assert.Equal(1, await deployment.StoredResultsOfAsync(jobId));
        // Its replay GIF, made on the first download: asked of both web nodes at once, it is the same GIF, kept once in
        // the shared folder and counted once in the shared database.
        long bytesBefore = await deployment.StoredBytesOfAsync(jobId);
        var gifs = await Task.WhenAll(onWeb1.GetByteArrayAsync($"{end.Text}/progression.gif"), onWeb2.GetByteArrayAsync($"{end.Text}/progression.gif"));
        Assert.Equal(gifs[0], gifs[1]);
        Assert.Equal("GIF89a"u8.ToArray(), gifs[0][..6]);
        var kept = Directory.GetFiles(Path.Combine(deployment.SharedData, "results"), "progression.gif*", SearchOption.AllDirectories);
        Assert.Equal([gifs[0]], kept.Select(File.ReadAllBytes));
        Assert.Equal(bytesBefore + gifs[0].Length, await deployment.StoredBytesOfAsync(jobId));
        // The same browser's My results, on the other node, lists it: one owner, one database.
        Assert.Contains("data-testid=\"my-result\"", await onWeb2.GetStringAsync("/my-results"));
        // Every node uses one Data Protection key ring, kept in Redis.
        Assert.Equal(1, await deployment.RedisDb.ListLengthAsync($"{deployment.Prefix}:data-protection-keys"));
    }

    [Fact]
    public async Task AWorkerKilledMidJobIsReplacedTheJobRestartsForItsWatchersAndOneResultIsStored()
    {
        using var http = Caller(deployment.Balancer.BaseUrl);
        var jobId = await SubmitAsync(http, iterations: 400, size: 128);
        var watcher = await WatcherAsync(deployment.Web1);
        await using var _ = watcher.Connection;
        Assert.True(await watcher.WatchAsync(jobId));
        await StyleBlazorApplication.Eventually(() => watcher.OfKind("Progress").Count >= 5, "the job to make progress", 60);
        var consumer = (string?)await deployment.RedisDb.HashGetAsync(deployment.JobKey(jobId), "worker");
        var running = consumer!.StartsWith(deployment.Worker1.Name) ? deployment.Worker1 : deployment.Worker2;

        await running.KillAsync();
        var end = await watcher.WaitForEndAsync(180);

        Assert.Equal("Completed", end.Kind);
        var restarts = watcher.OfKind("Started").Select(s => s.Count).ToList();
        Assert.Equal([1, 2], restarts);
        // After the restart the run counts from the beginning again, to the end.
        var afterRestart = watcher.Messages.SkipWhile(m => !(m.Kind == "Started" && m.Count == 2)).Where(m => m.Kind == "Progress").Select(m => m.Iteration);
        Assert.Equal(Enumerable.Range(0, 401), afterRestart);
        Assert.Equal(1, await deployment.StoredResultsOfAsync(jobId));
        Assert.Equal("completed", (await StatusAsync(http, jobId)).GetProperty("status").GetString());
    }

    [Fact]
    public async Task QueuePositionsStayRightAcrossNodesAndACancelReachesTheWorkerThatRunsTheJob()
    {
        using var onWeb1 = Caller(deployment.Web1.BaseUrl);
        using var onWeb2 = Caller(deployment.Web2.BaseUrl);
        // Two long jobs hold both workers, so the next three wait.
        var busy = new[] { await SubmitAsync(onWeb1, iterations: 2000, size: 128), await SubmitAsync(onWeb2, iterations: 2000, size: 128) };
        await StyleBlazorApplication.Eventually(() => busy.All(id => StatusAsync(onWeb1, id).GetAwaiter().GetResult().GetProperty("status").GetString() == "running"),
            "both workers to be busy", 60);
        var waiting = new[] { await SubmitAsync(onWeb1), await SubmitAsync(onWeb2), await SubmitAsync(onWeb1) };
        var last = await WatcherAsync(deployment.Web2);
        await using var _ = last.Connection;
        Assert.True(await last.WatchAsync(waiting[2]));

        var positions = await Task.WhenAll(waiting.Select(async id => (await StatusAsync(onWeb2, id)).GetProperty("position").GetInt32()));
        Assert.Equal([1, 2, 3], positions);
        Assert.Equal(HttpStatusCode.NotFound, (await onWeb2.DeleteAsync($"/api/jobs/{waiting[0]}")).StatusCode); // someone else's
        Assert.Equal(HttpStatusCode.Accepted, (await onWeb1.DeleteAsync($"/api/jobs/{waiting[0]}")).StatusCode);

        await StyleBlazorApplication.Eventually(() => last.OfKind("Queued").LastOrDefault()?.Count == 2, "the last job to move up", 20);
        Assert.Equal(1, (await StatusAsync(onWeb1, waiting[1])).GetProperty("position").GetInt32());
        // Cancelling a running job reaches the worker that runs it, whichever node is asked.
        Assert.Equal(HttpStatusCode.Accepted, (await onWeb1.DeleteAsync($"/api/jobs/{busy[0]}")).StatusCode);
        Assert.Equal(HttpStatusCode.Accepted, (await onWeb2.DeleteAsync($"/api/jobs/{busy[1]}")).StatusCode);
        foreach (var id in busy) Assert.Equal("cancelled", (await UntilEndedAsync(onWeb2, id, 30)).GetProperty("status").GetString());
        foreach (var id in waiting[1..]) Assert.Equal("completed", (await UntilEndedAsync(onWeb1, id)).GetProperty("status").GetString());
        Assert.Equal("cancelled", (await StatusAsync(onWeb2, waiting[0])).GetProperty("status").GetString());
    }

    [Fact]
    public async Task WhileRedisIsDownSubmissionsAreRefusedInWordsRunningJobsFinishAndAfterwardsNewJobsRun()
    {
        using var http = Caller(deployment.Balancer.BaseUrl);
        var running = await SubmitAsync(http, iterations: 250, size: 128);
        await StyleBlazorApplication.Eventually(() => StatusAsync(http, running).GetAwaiter().GetResult().GetProperty("iteration").GetInt32() >= 3,
            "the job to run", 60);

        await deployment.Redis.KillAsync();
        try
        {
            using var form = new MultipartFormDataContent
            {
                { new ByteArrayContent(await File.ReadAllBytesAsync(Path.Combine(Samples, "photo-chelsea-cat.png"))), "content", "cat.png" },
                { new ByteArrayContent(await File.ReadAllBytesAsync(Path.Combine(Samples, "art-hokusai-great-wave.png"))), "style", "wave.png" },
            };
            var refused = await http.PostAsync("/api/jobs", form);
            Assert.Equal(HttpStatusCode.ServiceUnavailable, refused.StatusCode);
            Assert.Contains("The queue is unavailable", await refused.Content.ReadAsStringAsync());

            // The Studio says so in words.
            await using (var context = await browser.NewUserAsync())
            {
                var page = await context.NewPageAsync();
                await page.GotoAsync(deployment.Balancer.BaseUrl + "/");
                await page.Locator("[data-testid=studio][data-ready=true]").WaitForAsync(new() { Timeout = 60_000 });
                await UploadAsync(page, "photo-chelsea-cat.png", "art-hokusai-great-wave.png");
                await page.GetByTestId("start").ClickAsync();
                await page.GetByText("The queue is unavailable right now").WaitForAsync(new() { Timeout = 30_000 });
                Assert.Equal("idle", await page.GetByTestId("studio").GetAttributeAsync("data-phase"));
            }

            // The job that was running finishes and its result is stored meanwhile.
            await StyleBlazorApplication.Eventually(() => deployment.StoredResultsOfAsync(running).GetAwaiter().GetResult() == 1,
                "the running job's result to be stored", 120);
        }
        finally
        {
            await deployment.Redis.StartAsync();
        }

        // Back: no node was restarted, and a new job runs.
        var after = await SubmitAsync(http);
        Assert.Equal("completed", (await UntilEndedAsync(http, after)).GetProperty("status").GetString());
        Assert.Equal("completed", (await UntilEndedAsync(http, running, 30)).GetProperty("status").GetString());
    }

    [Fact]
    public async Task WhenPostgresIsDownAsAJobEndsItsResultIsStoredOnceTheDatabaseIsBackOrTheJobSaysItCouldNotBe()
    {
        using var http = Caller(deployment.Balancer.BaseUrl);
        var stored = await SubmitAsync(http, iterations: 60);
        await deployment.Postgres.StopAsync();
        // The run ends while the database is away; storing is retried with back-off until it is back.
        await StyleBlazorApplication.Eventually(() => StatusAsync(http, stored).GetAwaiter().GetResult().GetProperty("iteration").GetInt32() == 60,
            "the run to finish its iterations", 60);
        await Task.Delay(TimeSpan.FromSeconds(3));
        Assert.Equal("running", (await StatusAsync(http, stored)).GetProperty("status").GetString());
        await deployment.Postgres.StartAsync();
        var end = await UntilEndedAsync(http, stored, 60);
        Assert.Equal("completed", end.GetProperty("status").GetString());
        Assert.Matches("/r/[A-Za-z0-9_-]{32}$", end.GetProperty("shareUrl").GetString());
        Assert.Equal(1, await deployment.StoredResultsOfAsync(stored));

        var lost = await SubmitAsync(http, iterations: 20);
        await deployment.Postgres.StopAsync();
        try
        {
            var gaveUp = await UntilEndedAsync(http, lost, 120);
            Assert.Equal("completed", gaveUp.GetProperty("status").GetString());
            Assert.Equal(JsonValueKind.Null, gaveUp.GetProperty("shareUrl").ValueKind);
            var events = await http.GetStringAsync($"/api/jobs/{lost}/events");
            Assert.Contains("The result could not be stored", events);
            // The picture is still there to download, from whichever node answers.
            var png = await http.GetAsync($"/api/jobs/{lost}/result.png");
            Assert.Equal("image/png", png.Content.Headers.ContentType?.MediaType);
        }
        finally
        {
            await deployment.Postgres.StartAsync();
        }
    }

    [Fact]
    public async Task WhenTheWebNodeHoldingACircuitDiesTheBrowserGoesOnOnTheOtherNode()
    {
        using var http = Caller(deployment.Balancer.BaseUrl);
        var jobId = await SubmitAsync(http, iterations: 300, size: 128);
        await using var context = await browser.NewUserAsync();
        var page = await context.NewPageAsync();
        await page.GotoAsync($"{deployment.Balancer.BaseUrl}/watch/{jobId}");
        await page.Locator("[data-testid=watch][data-ready=true]").WaitForAsync(new() { Timeout = 60_000 });
        await WaitUntilAsync(async () => await AttributeAsync(page.GetByTestId("canvas"), "data-frames-drawn") >= 1, 60_000, "a frame");
        var before = await NodeOfAsync(context);
        var holding = before == deployment.Web1.Name ? deployment.Web1 : deployment.Web2;

        await holding.KillAsync();

        // The circuit is gone with its node; the page reloads through the balancer onto the other node and goes on.
        await WaitUntilAsync(async () =>
        {
            try { return await NodeOfAsync(context) != before; }
            catch (Exception e) when (e is PlaywrightException or JsonException or InvalidOperationException) { return false; }
        }, 60_000, "the balancer to send this browser elsewhere");
        await page.Locator("[data-testid=watch][data-ready=true]").WaitForAsync(new() { Timeout = 60_000 });
        await WaitUntilAsync(async () => await AttributeAsync(page.GetByTestId("canvas"), "data-frames-drawn") >= 1, 60_000, "a frame on the other node");
        await page.Locator("[data-testid=watch][data-phase=completed]").WaitForAsync(new() { Timeout = 180_000 });
        var shareUrl = (await StatusAsync(http, jobId)).GetProperty("shareUrl").GetString()!;
        var shared = await context.NewPageAsync();
        Assert.Equal(200, (await shared.GotoAsync(shareUrl))!.Status);
    }

    /// <summary>Which web node the browser's balancer cookie leads to.</summary>
    static async Task<string> NodeOfAsync(IBrowserContext context)
    {
        var diagnostics = await context.APIRequest.GetAsync(context.Pages[0].Url.Split("/watch")[0] + "/api/diagnostics",
            new() { Headers = new Dictionary<string, string> { ["Authorization"] = "Bearer " + Deployment.DiagnosticsKey } });
        return (await diagnostics.JsonAsync())!.Value.GetProperty("node").GetString()!;
    }
}

using Microsoft.Extensions.DependencyInjection;
using StyleBlazor.Identity;
using Microsoft.AspNetCore.SignalR.Client;
using StyleBlazor.Hubs;
using StyleBlazor.Jobs;
using StyleBlazor.Engine.Backbones;
using StyleBlazor.Engine.Transfer;
using StyleBlazor.Tests.Support;
using static StyleBlazor.Tests.Support.StyleBlazorApplication;

namespace StyleBlazor.Tests.Hubs;

public class ProgressHubTests
{
    [Fact]
    public async Task AWatcherReceivesQueuedStartedProgressFramesAndCompletionInOrder()
    {
        await using var app = new StyleBlazorApplication(("Frames:MaxFramesPerSecond", "60"));
        var other = new ProgressRecorder(await app.ConnectAsync(BrowserSession.NewId()));
        var owner = new ProgressRecorder(await app.ConnectAsync(BrowserSession.NewId()));

        // A slow job by someone else holds the worker, so ours is seen waiting first.
        var blocker = await other.SubmitAsync(TinyJob(TestBackboneCatalog.Slow, iterations: 8));
        await Eventually(() => app.Jobs.Find(blocker.JobId!)!.State == JobState.Running, "the blocker to start");
        var reply = await owner.SubmitAsync(TinyJob(iterations: 12));
        Assert.True(reply.Accepted, reply.Message);
        Assert.True(await owner.WatchAsync(reply.JobId!));

        var end = await owner.WaitForEndAsync();

        Assert.Equal("Completed", end.Kind);
        Assert.Matches("^/r/[A-Za-z0-9_-]{32}$", end.Text); // the stored result's share link
        var kinds = owner.Messages.Select(m => m.Kind).ToList();
        Assert.Equal(["History", "Queued", "Started"], kinds.Take(3));
        Assert.Equal(1, owner.Messages[1].Count); // position 1
        var progress = owner.OfKind("Progress");
        Assert.Equal(Enumerable.Range(0, 13), progress.Select(p => p.Iteration)); // 0 = initial image … 12
        Assert.All(progress, p => Assert.Equal(2, p.Count)); // J_S per style layer
        var frames = owner.OfKind("Frame");
        Assert.NotEmpty(frames);
        Assert.True(frames.Select(f => f.Iteration).SequenceEqual(frames.Select(f => f.Iteration).Order().Distinct()), "frame iterations increase");
        Assert.All(frames, f => Assert.Equal([0xFF, 0xD8], f.Bytes![..2])); // JPEG
        Assert.Equal(32, frames[^1].Width);
        // Each frame comes after the progress of its own iteration.
        foreach (var f in frames)
            Assert.True(kinds.IndexOf("Frame") > 0 && owner.Messages.ToList().FindIndex(m => m.Kind == "Progress" && m.Iteration == f.Iteration) < owner.Messages.ToList().IndexOf(f));
        Assert.Equal("Completed", kinds[^1]);

        using var http = app.CreateClient();
        Assert.Equal(System.Net.HttpStatusCode.OK, (await http.GetAsync(end.Text)).StatusCode);
        var png = await http.GetByteArrayAsync(end.Text + "/result.png");
        Assert.Equal(0x89, png[0]);
        Assert.Equal(0x89, (await http.GetByteArrayAsync($"/api/jobs/{reply.JobId}/result.png"))[0]);
    }

    [Fact]
    public async Task ALateWatcherFirstReceivesTheHistorySoFarThenTheRestWithoutGapsOrRepeats()
    {
        await using var app = new StyleBlazorApplication(("Frames:MaxFramesPerSecond", "60"));
        var owner = new ProgressRecorder(await app.ConnectAsync(BrowserSession.NewId()));
        var reply = await owner.SubmitAsync(TinyJob(TestBackboneCatalog.Slow, iterations: 30));
        var job = app.Jobs.Find(reply.JobId!)!;
        await Eventually(() => job.LossCount >= 6, "a few iterations");

        var late = new ProgressRecorder(await app.ConnectAsync(BrowserSession.NewId()));
        Assert.True(await late.WatchAsync(job.Id));
        var end = await late.WaitForEndAsync();

        Assert.Equal("Completed", end.Kind);
        var first = late.Messages[0];
        Assert.Equal("History", first.Kind);
        Assert.True(first.Count >= 6, $"history of {first.Count}");
        Assert.Equal(Enumerable.Range(0, first.Count), first.History.Select(h => h.Iteration));
        Assert.All(first.History, h => Assert.True(h.Total > 0 && h.StyleLayers.Count == 2));
        Assert.Equal("Frame", late.Messages[1].Kind); // the latest frame, straight after the history
        Assert.Equal("Started", late.Messages[2].Kind);
        var live = late.OfKind("Progress").Select(p => p.Iteration);
        Assert.Equal(Enumerable.Range(0, 31), first.History.Select(h => h.Iteration).Concat(live));
    }

    [Fact]
    public async Task AWatcherOfAFinishedJobGetsItsWholeRunAndTheEnd()
    {
        await using var app = new StyleBlazorApplication();
        var owner = new ProgressRecorder(await app.ConnectAsync(BrowserSession.NewId()));
        var reply = await owner.SubmitAsync(TinyJob());
        await Eventually(() => app.Jobs.Find(reply.JobId!)!.IsFinished, "the job to finish");

        var late = new ProgressRecorder(await app.ConnectAsync(BrowserSession.NewId()));
        Assert.True(await late.WatchAsync(reply.JobId!));
        await late.WaitForEndAsync();

        Assert.Equal(["History", "Frame", "Completed"], late.Messages.Select(m => m.Kind));
        Assert.Equal(13, late.Messages[0].Count);
        Assert.False(await late.WatchAsync("no-such-job"));
    }

    [Fact]
    public async Task FiveThousandWatchesOfAFinishedJobLeaveNoWatchBehindAndEachGetsTheWholeRun()
    {
        await using var app = new StyleBlazorApplication();
        var owner = new ProgressRecorder(await app.ConnectAsync(BrowserSession.NewId()));
        var reply = await owner.SubmitAsync(TinyJob());
        await Eventually(() => app.Jobs.Find(reply.JobId!)!.IsFinished, "the job to finish");
        var relay = app.Services.GetRequiredService<ProgressRelay>();
        var greedy = new ProgressRecorder(await app.ConnectAsync(BrowserSession.NewId()));
        int before = relay.WatcherCount;

        for (int i = 0; i < 5000; i++) Assert.True(await greedy.WatchAsync(reply.JobId!));
        await Eventually(() => greedy.OfKind("Completed").Count == 5000, "every watch's end", seconds: 120);

        Assert.Equal(0, before);
        await Eventually(() => relay.WatcherCount == 0, "the watches to end with their job");
        Assert.Equal(5000, greedy.OfKind("History").Count);
    }

    [Fact]
    public async Task WatchingARunningJobTwiceOnOneConnectionIsOneWatchAndWatchesArePerConnectionCapped()
    {
        await using var app = new StyleBlazorApplication();
        var owner = new ProgressRecorder(await app.ConnectAsync(BrowserSession.NewId()));
        var running = await owner.SubmitAsync(TinyJob(TestBackboneCatalog.Slow, iterations: 500));
        var relay = app.Services.GetRequiredService<ProgressRelay>();

        Assert.True(await owner.WatchAsync(running.JobId!));
        Assert.True(await owner.WatchAsync(running.JobId!));
        await Eventually(() => owner.OfKind("Progress").Count >= 3, "a few iterations");

        Assert.Equal(1, relay.WatcherCount);
        Assert.Single(owner.OfKind("History"));
        var iterations = owner.OfKind("Progress").Select(p => p.Iteration).ToList();
        Assert.Equal(iterations.Distinct(), iterations);

        // Sixteen waiting jobs (by other sessions) fill this connection's watches; the seventeenth is refused.
        var waiting = new List<string>();
        for (int i = 0; i < ProgressRelay.MaxWatchesPerConnection; i++)
        {
            var other = new ProgressRecorder(await app.ConnectAsync(BrowserSession.NewId()));
            waiting.Add((await other.SubmitAsync(TinyJob(TestBackboneCatalog.Slow, iterations: 500))).JobId!);
        }
        foreach (var id in waiting.Take(ProgressRelay.MaxWatchesPerConnection - 1)) Assert.True(await owner.WatchAsync(id));
        var refused = await Assert.ThrowsAsync<Microsoft.AspNetCore.SignalR.HubException>(() => owner.WatchAsync(waiting[^1]));
        Assert.Contains("already watches 16 jobs; unwatch one first", refused.Message);
        await owner.Connection.InvokeAsync(nameof(ProgressHub.Unwatch), waiting[0]);
        await Eventually(() => relay.WatcherCount == ProgressRelay.MaxWatchesPerConnection - 1, "the unwatched job to end its watch");
        Assert.True(await owner.WatchAsync(waiting[^1]));
    }

    [Fact]
    public async Task FiftyStylesInOneHubMessageAreRefusedBeforeAnyIsDecoded()
    {
        await using var app = new StyleBlazorApplication();
        var owner = new ProgressRecorder(await app.ConnectAsync(BrowserSession.NewId()));
        var request = TinyJob();
        request.Styles = [.. Enumerable.Repeat(StyleBlazor.Tests.Engine.Imaging.CraftedPng.ClaimingSize(6300, 6300), 50)];

        var reply = await owner.SubmitAsync(request);

        Assert.False(reply.Accepted);
        Assert.Equal(nameof(SubmissionRefusal.TooManyStyles), reply.Refusal);
        Assert.Equal("A job blends at most 4 style images (got 50).", reply.Message);
    }

    [Fact]
    public async Task TheOwnerCancelsARunningJobWithinOneIteration()
    {
        await using var app = new StyleBlazorApplication();
        var owner = new ProgressRecorder(await app.ConnectAsync(BrowserSession.NewId()));
        var reply = await owner.SubmitAsync(TinyJob(TestBackboneCatalog.Slow, iterations: 500));
        Assert.True(await owner.WatchAsync(reply.JobId!));
        var job = app.Jobs.Find(reply.JobId!)!;
        await Eventually(() => job.LossCount >= 3, "a few iterations");

        // Counted when the server takes the cancel, not when the request leaves: on a loaded machine the hub call
        // itself can take several iterations.
        int atCancel = -1;
        using var counted = job.CancellationToken.Register(() => atCancel = job.LossCount);
        Assert.True(await owner.CancelAsync(job.Id));
        var end = await owner.WaitForEndAsync();

        Assert.Equal("Cancelled", end.Kind);
        Assert.Equal(JobState.Cancelled, job.State);
        // The iteration in flight when the cancel arrived may still report; no further one does.
        Assert.True(atCancel >= 3, $"counted at the cancel: {atCancel}");
        Assert.InRange(job.LossCount - atCancel, 0, 1);
        Assert.False(await owner.CancelAsync(job.Id)); // already finished
    }

    [Fact]
    public async Task SomeoneElseCannotCancelAJob()
    {
        await using var app = new StyleBlazorApplication();
        var owner = new ProgressRecorder(await app.ConnectAsync(BrowserSession.NewId()));
        var stranger = new ProgressRecorder(await app.ConnectAsync(BrowserSession.NewId()));
        var reply = await owner.SubmitAsync(TinyJob(TestBackboneCatalog.Slow, iterations: 500));
        var job = app.Jobs.Find(reply.JobId!)!;
        await Eventually(() => job.LossCount >= 2, "the job to run");

        Assert.False(await stranger.CancelAsync(job.Id));
        int afterRefusal = job.LossCount;
        await Eventually(() => job.LossCount >= afterRefusal + 2, "the job to go on");
        Assert.Equal(JobState.Running, job.State);

        Assert.True(await owner.CancelAsync(job.Id));
        await Eventually(() => job.State == JobState.Cancelled, "the owner's cancel");
    }

    [Fact]
    public async Task AFailingJobIsReportedAndTheNextJobRuns()
    {
        await using var app = new StyleBlazorApplication();
        var owner = new ProgressRecorder(await app.ConnectAsync(BrowserSession.NewId()));
        var failing = await owner.SubmitAsync(TinyJob(TestBackboneCatalog.Failing));
        var next = await owner.SubmitAsync(TinyJob());
        var nextWatcher = new ProgressRecorder(await app.ConnectAsync(BrowserSession.NewId()));
        Assert.True(await owner.WatchAsync(failing.JobId!));
        Assert.True(await nextWatcher.WatchAsync(next.JobId!));

        var failed = await owner.WaitForEndAsync();
        var completed = await nextWatcher.WaitForEndAsync();

        Assert.Equal("Failed", failed.Kind);
        // Watchers read a plain message with an error id; the exception's own text stays in the log.
        Assert.Matches(@"^The transfer failed on the server \(error [0-9a-f]{8,}\)\. ", failed.Text);
        Assert.DoesNotContain("Injected failure", failed.Text);
        Assert.Equal(JobState.Failed, app.Jobs.Find(failing.JobId!)!.State);
        Assert.Equal("Completed", completed.Kind);
    }

    [Fact]
    public async Task AnOwnerWithThreeJobsWaitingIsRefusedAFourth()
    {
        await using var app = new StyleBlazorApplication(("Engine:QueueCapacity", "10"), ("Engine:MaxQueuedPerOwner", "3"));
        var owner = new ProgressRecorder(await app.ConnectAsync(BrowserSession.NewId()));
        var running = await owner.SubmitAsync(TinyJob(TestBackboneCatalog.Slow, iterations: 500));
        await Eventually(() => app.Jobs.Find(running.JobId!)!.State == JobState.Running, "the first job to start");

        var waiting = new List<SubmitReplyView>();
        for (int i = 0; i < 3; i++) waiting.Add(new(await owner.SubmitAsync(TinyJob())));
        var fourth = await owner.SubmitAsync(TinyJob());
        var someoneElse = await new ProgressRecorder(await app.ConnectAsync(BrowserSession.NewId())).SubmitAsync(TinyJob());

        Assert.All(waiting, w => Assert.True(w.Reply.Accepted));
        Assert.Equal([1, 2, 3], waiting.Select(w => w.Reply.Position));
        Assert.False(fourth.Accepted);
        Assert.Equal(nameof(SubmissionRefusal.OwnerLimit), fourth.Refusal);
        Assert.Contains("3 jobs waiting", fourth.Message);
        Assert.True(someoneElse.Accepted);
        Assert.True(await owner.CancelAsync(running.JobId!));
    }

    [Fact]
    public async Task AFullQueueIsARefusalWithAMessage()
    {
        await using var app = new StyleBlazorApplication(("Engine:QueueCapacity", "2"));
        var first = new ProgressRecorder(await app.ConnectAsync(BrowserSession.NewId()));
        var running = await first.SubmitAsync(TinyJob(TestBackboneCatalog.Slow, iterations: 500));
        await Eventually(() => app.Jobs.Find(running.JobId!)!.State == JobState.Running, "the first job to start");

        var a = await new ProgressRecorder(await app.ConnectAsync(BrowserSession.NewId())).SubmitAsync(TinyJob());
        var b = await new ProgressRecorder(await app.ConnectAsync(BrowserSession.NewId())).SubmitAsync(TinyJob());
        var late = new ProgressRecorder(await app.ConnectAsync(BrowserSession.NewId()));
        var refused = await late.SubmitAsync(TinyJob());

        Assert.True(a.Accepted && b.Accepted);
        Assert.False(refused.Accepted);
        Assert.Equal(nameof(SubmissionRefusal.QueueFull), refused.Refusal);
        Assert.Contains("queue is full", refused.Message);

        // Once a place frees up (a waiting job is cancelled), the next submission gets in.
        Assert.True(await first.CancelAsync(running.JobId!));
        await Eventually(() => app.Jobs.Find(a.JobId!)!.State != JobState.Queued, "the queue to move");
        Assert.True((await late.SubmitAsync(TinyJob())).Accepted);
    }

    [Fact]
    public async Task BadOptionsAndBadImagesAreRefusedWithAMessage()
    {
        await using var app = new StyleBlazorApplication(("Engine:MaxIterations", "100"));
        var owner = new ProgressRecorder(await app.ConnectAsync(BrowserSession.NewId()));

        var zero = await owner.SubmitAsync(TinyJob(iterations: 0));
        var tooMany = await owner.SubmitAsync(TinyJob(iterations: 101));
        var unknown = await owner.SubmitAsync(TinyJob(backbone: "vgg1000"));
        var garbage = TinyJob();
        garbage.Content = [1, 2, 3, 4];
        var notAnImage = await owner.SubmitAsync(garbage);

        Assert.Equal(nameof(SubmissionRefusal.InvalidOptions), zero.Refusal);
        Assert.Contains("Iterations must be between 1", zero.Message);
        Assert.Equal(nameof(SubmissionRefusal.InvalidOptions), tooMany.Refusal);
        Assert.Contains("at most 100 iterations", tooMany.Message);
        Assert.Equal(nameof(SubmissionRefusal.UnknownBackbone), unknown.Refusal);
        Assert.Equal(nameof(SubmissionRefusal.InvalidRequest), notAnImage.Refusal);
        Assert.Contains("Content image", notAnImage.Message);
        Assert.Equal(0, app.Jobs.Count);
    }

    [Fact]
    public async Task TheStyleControlsAreRefusedOutOfRangeWithAMessageNamingTheField()
    {
        await using var app = new StyleBlazorApplication();
        var owner = new ProgressRecorder(await app.ConnectAsync(BrowserSession.NewId()));
        async Task<SubmitReply> Submit(TransferSettings options)
        {
            var request = TinyJob();
            request.Options = options with { Backbone = TestBackboneCatalog.Fast };
            return await owner.SubmitAsync(request);
        }

        var scale = await Submit(new TransferSettings { StyleScale = 2.5 });
        var weights = await Submit(new TransferSettings { StyleWeights = [0.5, 0.5] });
        var negative = await Submit(new TransferSettings { StyleWeights = [-0.5] });
        var colours = await Submit(new TransferSettings { PreserveColors = "sepia" });
        var optimizer = await Submit(new TransferSettings { Optimizer = "sgd" });
        var pooling = await Submit(new TransferSettings { Pooling = "avg" });

        Assert.All([scale, weights, negative, colours, optimizer, pooling], r => Assert.Equal(nameof(SubmissionRefusal.InvalidOptions), r.Refusal));
        Assert.Equal("Style scale must be between 0.25 and 2 (got 2.5).", scale.Message);
        Assert.Equal("styleWeights has 2 weights for 1 style pictures: give one per style, in the same order.", weights.Message);
        Assert.Equal("Style blend weights must be finite numbers ≥ 0.", negative.Message);
        Assert.Equal("preserveColors must be one of none, luminance, histogram (got 'sepia').", colours.Message);
        Assert.Equal("optimizer must be one of adam, lbfgs (got 'sgd').", optimizer.Message);
        Assert.StartsWith("pooling avg is not available on tiny, which pools by max only", pooling.Message);
        Assert.Equal(0, app.Jobs.Count);
    }

    [Fact]
    public async Task TheStyleControlsWithinRangeReachTheJobsOptions()
    {
        await using var app = new StyleBlazorApplication();
        var owner = new ProgressRecorder(await app.ConnectAsync(BrowserSession.NewId()));
        var request = TinyJob(iterations: 3);
        request.Styles = [request.Styles[0], Png(30, 30, seed: 3)];
        request.Options = request.Options with
        {
            StyleWeights = [3, 1], PreserveColors = "luminance", StyleScale = 0.5, Optimizer = "lbfgs", Pooling = "max",
        };

        var reply = await owner.SubmitAsync(request);

        Assert.True(reply.Accepted, reply.Message);
        var options = app.Jobs.Find(reply.JobId!)!.Options;
        Assert.Equal([3.0, 1.0], options.StyleBlend);
        Assert.Equal((ColorPreservation.Luminance, 0.5, TransferOptimizer.Lbfgs, PoolingMode.Max),
            (options.PreserveColors, options.StyleScale, options.Optimizer, options.Pooling));
        Assert.True(await owner.WatchAsync(reply.JobId!));
        Assert.Equal("Completed", (await owner.WaitForEndAsync()).Kind);
    }

    [Fact]
    public async Task PhotoSizedUploadsFitInOneSubmitMessage()
    {
        await using var app = new StyleBlazorApplication();
        var owner = new ProgressRecorder(await app.ConnectAsync(BrowserSession.NewId()));
        var request = TinyJob();
        request.Content = Png(900, 600, seed: 3);
        Assert.True(request.Content.Length > 256 * 1024, $"only {request.Content.Length} bytes");

        var reply = await owner.SubmitAsync(request);

        Assert.True(reply.Accepted, reply.Message);
    }

    [Fact]
    public async Task TwentyWatchersOfOneJobAllReceiveTheCompletion()
    {
        await using var app = new StyleBlazorApplication();
        var owner = new ProgressRecorder(await app.ConnectAsync(BrowserSession.NewId()));
        var reply = await owner.SubmitAsync(TinyJob(TestBackboneCatalog.Slow, iterations: 20));

        var watchers = await Task.WhenAll(Enumerable.Range(0, 20).Select(async _ =>
        {
            var w = new ProgressRecorder(await app.ConnectAsync(BrowserSession.NewId()));
            Assert.True(await w.WatchAsync(reply.JobId!));
            return w;
        }));
        var ends = await Task.WhenAll(watchers.Select(w => w.WaitForEndAsync()));

        Assert.All(ends, e => Assert.Equal("Completed", e.Kind));
        // Each saw every iteration exactly once, whether from the history or live.
        Assert.All(watchers, w => Assert.Equal(Enumerable.Range(0, 21),
            w.OfKind("History").SelectMany(h => h.History.Select(e => e.Iteration)).Concat(w.OfKind("Progress").Select(p => p.Iteration))));
        await Eventually(() => app.Services.GetRequiredService<StyleBlazor.Hubs.ProgressRelay>().WatcherCount == 0, "the relay to forget the ended job");
    }

    [Fact]
    public async Task TheFirstRequestGetsAnHttpOnlyLaxSessionCookieThatIsKeptAfterwards()
    {
        await using var app = new StyleBlazorApplication();
        using var http = app.CreateClient(new() { HandleCookies = false });

        var first = await http.GetAsync("/robots.txt");
        var cookie = Assert.Single(first.Headers.GetValues("Set-Cookie"));
        Assert.StartsWith("sb-session=", cookie);
        Assert.Contains("httponly", cookie, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("samesite=lax", cookie, StringComparison.OrdinalIgnoreCase);
        var id = cookie.Split(';')[0]["sb-session=".Length..];
        Assert.True(BrowserSession.IsWellFormed(id));

        using var again = new HttpRequestMessage(HttpMethod.Get, "/robots.txt");
        again.Headers.Add("Cookie", $"sb-session={id}");
        var second = await http.SendAsync(again);
        Assert.False(second.Headers.Contains("Set-Cookie"));
    }

    [Fact]
    public async Task PagesStillRenderAndEveryCircuitCanTellWhoseSessionItIs()
    {
        await using var app = new StyleBlazorApplication();
        using var http = app.CreateClient();

        var home = await http.GetAsync("/");

        Assert.Equal(System.Net.HttpStatusCode.OK, home.StatusCode);
        using var scope = app.Services.CreateScope();
        Assert.Contains(scope.ServiceProvider.GetServices<Microsoft.AspNetCore.Components.Server.Circuits.CircuitHandler>(), h => h is OwnerPresenceCircuitHandler);
        Assert.NotNull(scope.ServiceProvider.GetRequiredService<CurrentOwner>());
    }

    sealed record SubmitReplyView(StyleBlazor.Hubs.SubmitReply Reply);
}

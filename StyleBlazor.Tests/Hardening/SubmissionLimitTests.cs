using Microsoft.Extensions.DependencyInjection;
using StyleBlazor.Identity;
using StyleBlazor.Extensions;
using StyleBlazor.Hubs;
using StyleBlazor.Jobs;
using StyleBlazor.Tests.Support;
using static StyleBlazor.Tests.Support.StyleBlazorApplication;

namespace StyleBlazor.Tests.Hardening;

/// <summary>Limits enforced inside the app, on the same path the studio uses (JobSubmission), reached here through the hub.</summary>
public class SubmissionLimitTests
{
    [Fact]
    public async Task ASessionOverItsSubmissionsPerMinuteIsRefusedAndAnotherSessionIsNot()
    {
        await using var app = new StyleBlazorApplication(
            ("Limits:SubmissionsPerMinutePerSession", "2"), ("Engine:MaxQueuedPerOwner", "10"));
        var eager = new ProgressRecorder(await app.ConnectAsync(BrowserSession.NewId()));
        var other = new ProgressRecorder(await app.ConnectAsync(BrowserSession.NewId()));

        var first = await eager.SubmitAsync(TinyJob(iterations: 2));
        var second = await eager.SubmitAsync(TinyJob(iterations: 0)); // refused for its options, but it still counts
        var third = await eager.SubmitAsync(TinyJob(iterations: 2));
        var someoneElse = await other.SubmitAsync(TinyJob(iterations: 2));

        Assert.True(first.Accepted, first.Message);
        Assert.Equal(nameof(SubmissionRefusal.InvalidOptions), second.Refusal);
        Assert.Equal(nameof(SubmissionRefusal.RateLimited), third.Refusal);
        Assert.StartsWith("You have started 2 jobs in the last minute; wait ", third.Message);
        Assert.True(someoneElse.Accepted, someoneElse.Message);
    }

    [Fact]
    public async Task AnAddressOverItsSubmissionsPerMinuteIsRefusedWhateverTheSession()
    {
        await using var app = new StyleBlazorApplication(("Limits:SubmissionsPerMinutePerAddress", "2"));
        var submission = app.Services.GetRequiredService<JobSubmission>();

        SubmissionResult Submit(string session, string address)
        {
            using var content = new SixLabors.ImageSharp.Image<SixLabors.ImageSharp.PixelFormats.Rgb24>(24, 24);
            using var style = new SixLabors.ImageSharp.Image<SixLabors.ImageSharp.PixelFormats.Rgb24>(24, 24);
            // Unknown backbone: refused after the limits, so the images stay ours to dispose.
            var requester = new Requester(session, address);
            return submission.Admit(requester, styleCount: 1)
                   ?? submission.SubmitAsync(new JobRequest(requester, content, [style], Backbone: "none")).GetAwaiter().GetResult();
        }

        Assert.Equal(SubmissionRefusal.UnknownBackbone, Submit("a", "203.0.113.7").Refusal);
        Assert.Equal(SubmissionRefusal.UnknownBackbone, Submit("b", "203.0.113.7").Refusal);
        var third = Submit("c", "203.0.113.7");
        var elsewhere = Submit("d", "198.51.100.1");

        Assert.Equal(SubmissionRefusal.RateLimited, third.Refusal);
        Assert.StartsWith("Your network address has started 2 jobs in the last minute", third.Message);
        Assert.Equal(SubmissionRefusal.UnknownBackbone, elsewhere.Refusal);
    }

    [Fact]
    public async Task AnAddressOverItsHubConnectionLimitIsRefusedWithTheReasonUntilOneCloses()
    {
        await using var app = new StyleBlazorApplication(("Limits:HubConnectionsPerAddress", "2")) { ClientAddress = "203.0.113.9" };
        var first = await app.ConnectAsync(BrowserSession.NewId());
        var second = await app.ConnectAsync(BrowserSession.NewId());

        var (third, closed) = await ConnectWatchingCloseAsync(app);

        var reason = await closed.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Contains("HubException: Your network address already has 2 connections to this hub open; close one and connect again.", reason?.Message);
        Assert.Equal(Microsoft.AspNetCore.SignalR.Client.HubConnectionState.Disconnected, third.State);
        var connections = app.Services.GetRequiredService<OpenHubConnections>();
        Assert.Equal(2, connections.CountOfAddress("203.0.113.9"));

        await first.DisposeAsync();
        await Eventually(() => connections.CountOfAddress("203.0.113.9") == 1, "the closed connection to be counted out");
        var (fourth, fourthClosed) = await ConnectWatchingCloseAsync(app);
        Assert.True(await new ProgressRecorder(fourth).WatchAsync("no-such-job") is false); // it works: an answer, not a closed connection
        Assert.False(fourthClosed.IsCompleted);
        await second.DisposeAsync();
        await fourth.DisposeAsync();
    }

    static async Task<(Microsoft.AspNetCore.SignalR.Client.HubConnection, Task<Exception?>)> ConnectWatchingCloseAsync(StyleBlazorApplication app)
    {
        var closed = new TaskCompletionSource<Exception?>(TaskCreationOptions.RunContinuationsAsynchronously);
        Microsoft.AspNetCore.SignalR.Client.HubConnection? connection = null;
        // The refusal closes the connection right after its handshake: StartAsync may still see it.
        try { await app.ConnectAsync(BrowserSession.NewId(), c => { connection = c; c.Closed += e => { closed.TrySetResult(e); return Task.CompletedTask; }; }); }
        catch (Exception refused) { closed.TrySetResult(refused); }
        return (connection!, closed.Task);
    }

    public static TheoryData<string, Action<SubmitRequest>, string> OutOfRange => new()
    {
        { "NaN content weight", r => r.Options = r.Options with { Alpha = double.NaN }, "Content weight α must be a finite number ≥ 0 (got NaN)" },
        { "negative iterations", r => r.Options = r.Options with { Iterations = -1 }, "Iterations must be between 1 and 100000 (got -1)" },
        { "a billion iterations", r => r.Options = r.Options with { Iterations = 1_000_000_000 }, "Iterations must be between 1 and 100000 (got 1000000000)" },
        { "more iterations than this server runs", r => r.Options = r.Options with { Iterations = 101 }, "at most 100 iterations per job (asked for 101)" },
        { "100000 px", r => r.Options = r.Options with { Size = 100_000 }, "Image size must be between 16 and 8192 px (got 100000)" },
        { "larger than this server works at", r => r.Options = r.Options with { Size = 65 }, "at most at 64 px (asked for 65)" },
        { "negative learning rate", r => r.Options = r.Options with { Lr = -1 }, "Learning rate must be in (0, 1000] (got -1)" },
        { "infinite style weight", r => r.Options = r.Options with { Beta = double.PositiveInfinity }, "Style weight β must be a finite number ≥ 0" },
    };

    [Theory]
    [MemberData(nameof(OutOfRange))]
    public async Task OutOfRangeParametersSentStraightToTheHubAreRefusedAndQueueNothing(string what, Action<SubmitRequest> spoil, string expected)
    {
        await using var app = new StyleBlazorApplication(("Engine:MaxIterations", "100"), ("Engine:MaxSide", "64"));
        var owner = new ProgressRecorder(await app.ConnectAsync(BrowserSession.NewId()));
        var request = TinyJob();
        spoil(request);

        var reply = await owner.SubmitAsync(request);

        Assert.False(reply.Accepted, what);
        Assert.Equal(nameof(SubmissionRefusal.InvalidOptions), reply.Refusal);
        Assert.Contains(expected, reply.Message);
        Assert.Equal(0, app.Jobs.Count);
    }
}

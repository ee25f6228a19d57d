using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;
using StackExchange.Redis;
using StyleBlazor.Jobs;
using StyleBlazor.ScaleOut;
using StyleBlazor.Tests.Support;

namespace StyleBlazor.Tests.Distributed;

/// <summary>A redis-server of its own for the shared queue's scripts.</summary>
public sealed class RedisFixture : IAsyncLifetime
{
    readonly string _folder = Directory.CreateTempSubdirectory("styleblazor-redis-").FullName;
    public RedisServer Server { get; private set; } = null!;
    public ConnectionMultiplexer Client { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        Server = new RedisServer(_folder);
        await Server.StartAsync();
        Client = await ConnectionMultiplexer.ConnectAsync(Server.ConnectionString);
    }

    public async Task DisposeAsync()
    {
        await Client.DisposeAsync();
        await Server.DisposeAsync();
        Directory.Delete(_folder, recursive: true);
    }
}

/// <summary>The shared queue's rules, each script run on a real Redis: the line, its limits, cancels and giving up.</summary>
[Trait("Category", "Distributed")]
public sealed class RedisJobStoreTests(RedisFixture redis) : IClassFixture<RedisFixture>
{
    readonly string _prefix = "store-" + Guid.NewGuid().ToString("N")[..8];

    RedisJobStore Store(EngineOptions? engine = null) => new(redis.Client,
        Options.Create(new NodeOptions { RedisPrefix = _prefix }), Options.Create(engine ?? new EngineOptions()));

    static JobTicket Ticket(string owner = "owner", string? address = null) =>
        new(StyleTransferJob.NewId(), new Requester(owner, address), TestBackboneCatalog.Fast, TestBackboneCatalog.Defaults,
            DateTimeOffset.UnixEpoch, new Image<Rgb24>(20, 16), [new Image<Rgb24>(16, 16)]);

    static byte[] Jpeg(int width, int height)
    {
        using var image = new Image<Rgb24>(width, height);
        using var stream = new MemoryStream();
        image.SaveAsJpeg(stream);
        return stream.ToArray();
    }

    /// <summary>Every update published on a job's channel, as the feed parses it.</summary>
    async Task<List<JobUpdate>> RecordAsync(RedisJobStore store, string jobId)
    {
        var seen = new List<JobUpdate>();
        var queue = await store.Subscriber.SubscribeAsync(store.Updates(jobId));
        queue.OnMessage(m => { lock (seen) seen.Add(RedisJobStore.Parse(m.Message!).Update); });
        return seen;
    }

    [Fact]
    public async Task ThePositionsOfTheLineAndItsLimitsHoldOverEveryNodeAndACancelMovesTheOthersUp()
    {
        var store = Store();
        var tickets = Enumerable.Range(0, 4).Select(i => Ticket($"owner-{i}", "10.0.0.1")).ToArray();

        var positions = new List<int>();
        foreach (var t in tickets.Take(3)) positions.Add((await store.EnqueueAsync(t, capacity: 3, perOwner: 1, perAddress: 10)).Position);
        var full = await store.EnqueueAsync(tickets[3], capacity: 3, perOwner: 1, perAddress: 10);
        var secondOfOwner = await store.EnqueueAsync(Ticket("owner-0"), capacity: 10, perOwner: 1, perAddress: 10);
        var overAddress = await store.EnqueueAsync(Ticket("owner-9", "10.0.0.1"), capacity: 10, perOwner: 5, perAddress: 3);
        var third = await RecordAsync(store, tickets[2].Id);

        Assert.Equal([1, 2, 3], positions);
        Assert.Equal(EnqueueOutcome.QueueFull, full.Outcome);
        Assert.Equal(EnqueueOutcome.OwnerLimit, secondOfOwner.Outcome);
        Assert.Equal(EnqueueOutcome.AddressLimit, overAddress.Outcome);
        Assert.Equal(CancelOutcome.NotOwner, await store.CancelAsync(tickets[0].Id, "owner-1", "no"));
        Assert.Equal(CancelOutcome.Cancelled, await store.CancelAsync(tickets[0].Id, "owner-0", "Cancelled by its owner."));
        Assert.Equal(CancelOutcome.AlreadyEnded, await store.CancelAsync(tickets[0].Id, "owner-0", "again"));
        Assert.Equal(CancelOutcome.NotFound, await store.CancelAsync("no-such-job", null, "none"));
        await StyleBlazorApplication.Eventually(() => { lock (third) return third.Count > 0; }, "the third job to move up");
        Assert.Equal(new JobUpdate.Queued(2), Assert.Single(third));
        var cancelled = (await store.SnapshotAsync(tickets[0].Id))!.Value.Snapshot;
        Assert.Equal((JobState.Cancelled, "Cancelled by its owner."), (cancelled.State, cancelled.Message));
        Assert.Equal(1, (await store.SnapshotAsync(tickets[1].Id))!.Value.Snapshot.Position);
        Assert.Equal(2, await store.WaitingAsync());
    }

    [Fact]
    public async Task TheSharedLineTakesTurnsAcrossAddressesAndANewcomerJoinsTheRoundInProgress()
    {
        var store = Store();
        await store.EnsureGroupAsync();
        var busy = Enumerable.Range(0, 3).Select(i => Ticket($"busy-{i}", "10.0.0.1")).ToArray();
        var second = Ticket("second", "10.0.0.2");
        var third = Ticket("third", null); // no address known: its owner is the client
        foreach (var t in busy.Append(second).Append(third)) await store.EnqueueAsync(t, capacity: 10, perOwner: 5, perAddress: 5);
        async Task<string[]> Line() => (await store.Db.SortedSetRangeByRankAsync(store.Queued)).Select(v => (string)v!).ToArray();

        Assert.Equal([busy[0].Id, second.Id, third.Id, busy[1].Id, busy[2].Id], await Line());
        var positions = await Task.WhenAll((await Line()).Select(async id => (int)await store.Db.HashGetAsync(store.Job(id), "position")));
        Assert.Equal([1, 2, 3, 4, 5], positions);

        // The first entry runs the first in line, whichever job wrote it; then a newcomer waits behind one job of each other
        // client of the round in progress, not behind all of the busy address's.
        var entries = await store.Db.StreamReadGroupAsync(store.Stream, RedisJobStore.Group, "worker-0", StreamPosition.NewMessages, count: 1);
        Assert.Equal(busy[0].Id, (await store.StartAsync(entries[0].Id, "worker-0"))!.Value.JobId);
        var newcomer = Ticket("newcomer", "10.0.0.3");
        var joined = await store.EnqueueAsync(newcomer, capacity: 10, perOwner: 5, perAddress: 5);

        Assert.Equal(3, joined.Position);
        Assert.Equal([second.Id, third.Id, newcomer.Id, busy[1].Id, busy[2].Id], await Line());
        Assert.Equal(5, (int)await store.Db.HashGetAsync(store.Job(busy[2].Id), "position"));
    }

    [Fact]
    public async Task AWorkerGetsTheTicketBackWithItsPicturesAndEachUpdateIsNumberedKeptAndPublished()
    {
        var store = Store();
        var ticket = Ticket();
        await store.EnqueueAsync(ticket, 10, 10, 10);
        var seen = await RecordAsync(store, ticket.Id);

        Assert.Equal((ticket.Id, 1, (string?)null), await store.StartAsync("entry-a", "worker-a-0"));
        var back = (await store.TicketAsync(ticket.Id))!;
        var loss = new LossRecord(0, 2.5, 0, 1, 1, new Dictionary<string, double> { ["conv1"] = 1 }, 0.1, 0, 0);
        await store.PublishAsync(ticket.Id, new JobUpdate.Progress(loss), null);
        var jpeg = Jpeg(6, 4);
        await store.PublishAsync(ticket.Id, new JobUpdate.Frame(0, 6, 4, "image/jpeg", jpeg), null);
        await store.PublishAsync(ticket.Id, new JobUpdate.Frame(0, 6, 4, "image/jpeg", Jpeg(8, 8)), null); // not newer: refused
        var resultId = Guid.NewGuid();
        await store.PublishAsync(ticket.Id, new JobUpdate.Ended(JobState.Completed, null, "/r/link"), resultId);

        Assert.Equal((20, 16, 1, TestBackboneCatalog.Defaults.Iterations), (back.Content.Width, back.Content.Height, back.Styles.Count, back.Options.Iterations));
        var (snapshot, sequence, owner) = (await store.SnapshotAsync(ticket.Id))!.Value;
        Assert.Equal((JobState.Completed, 1, "/r/link", (Guid?)resultId, "owner"), (snapshot.State, snapshot.Attempt, snapshot.ShareLink, snapshot.ResultId, owner.OwnerId));
        Assert.Equal(loss with { StyleLayers = snapshot.History[0].StyleLayers }, Assert.Single(snapshot.History));
        Assert.Equal(1.0, snapshot.History[0].StyleLayers["conv1"]);
        Assert.Equal((0, 6, 4, "image/jpeg"), (snapshot.LatestFrame!.Iteration, snapshot.LatestFrame.Width, snapshot.LatestFrame.Height, snapshot.LatestFrame.ContentType));
        Assert.Equal(jpeg, snapshot.LatestFrame.Bytes);
        Assert.Equal(jpeg, (await store.FrameAsync(ticket.Id, 0))!.Bytes);
        Assert.Equal(4, sequence);
        await StyleBlazorApplication.Eventually(() => { lock (seen) return seen.Count == 4; }, "four updates published");
        Assert.Equal(["Started", "Progress", "Frame", "Ended"], seen.Select(u => u.GetType().Name));
        Assert.Null(await store.StartAsync("entry-a", "worker-b-0")); // ended: nothing to run again
        Assert.Null(await store.StartAsync("entry-b", "worker-b-0")); // and no one else waits
        Assert.Null(await store.TicketAsync(ticket.Id)); // its pictures are gone with it
    }

    [Fact]
    public async Task AJobWhoseWorkersKeepDyingIsGivenUpAfterMaxAttemptsAndSaysWhy()
    {
        var engine = new EngineOptions { LeaseTimeout = TimeSpan.FromSeconds(1), MaxAttempts = 2 };
        var store = Store(engine);
        await store.EnsureGroupAsync();
        var ticket = Ticket();
        await store.EnqueueAsync(ticket, 10, 10, 10);
        var seen = await RecordAsync(store, ticket.Id);
        // Two workers took it and died: the entry is pending with nobody renewing it, and two attempts were made.
        var entry = (await store.Db.StreamReadGroupAsync(store.Stream, RedisJobStore.Group, "dead-worker-0", StreamPosition.NewMessages, count: 1))[0];
        await store.StartAsync(entry.Id, "dead-worker-0");
        Assert.Equal((ticket.Id, 2, (string?)null), await store.StartAsync(entry.Id, "dead-worker-1")); // took the entry over: the same job

        var events = new JobEvents(NullLogger<JobEvents>.Instance);
        var jobs = new JobRegistry(events, Options.Create(engine), TimeProvider.System);
        var source = new RedisJobSource(store, jobs, new JobFeed(jobs, events, new FrameStatistics(), new NothingStored()), redis.Client,
            Options.Create(new NodeOptions { RedisPrefix = _prefix, Name = "survivor" }), Options.Create(engine), NullLogger<RedisJobSource>.Instance);
        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(8));
        // Nothing else is queued, so the worker waits; it takes the job over after its first lease, and gives it up.
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => source.NextAsync(0, stop.Token));

        var snapshot = (await store.SnapshotAsync(ticket.Id))!.Value.Snapshot;
        Assert.Equal(JobState.Failed, snapshot.State);
        Assert.Equal("This job was started 2 times, and each time the server running it stopped before it ended; it was given up.", snapshot.Message);
        lock (seen) Assert.IsType<JobUpdate.Ended>(seen.Last());
        Assert.Equal(0, (await store.Db.StreamPendingAsync(store.Stream, RedisJobStore.Group)).PendingMessageCount);
    }
}

using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;
using StyleBlazor.Jobs;
using StyleBlazor.Tests.Support;

namespace StyleBlazor.Tests.Jobs;

public class JobQueueTests
{
    readonly JobEvents _events = new(NullLogger<JobEvents>.Instance);
    readonly JobRegistry _jobs;
    readonly List<(string JobId, int Position)> _announced = [];

    public JobQueueTests() => _jobs = new JobRegistry(_events, Options.Create(new EngineOptions()), TimeProvider.System);

    StyleTransferJob Job(string owner, string? address = null)
    {
        var job = TestJobs.Waiting(owner, address);
        _events.Subscribe(job.Id, (_, update) => { if (update is JobUpdate.Queued q) _announced.Add((job.Id, q.Position)); });
        return job;
    }

    [Fact]
    public async Task PositionsCountFromOneAndEveryChangeIsAnnounced()
    {
        var queue = new JobQueue(_jobs, capacity: 10, maxQueuedPerOwner: 3);
        var (a, b, c) = (Job("x"), Job("y"), Job("z"));
        queue.TryEnqueue(a);
        queue.TryEnqueue(b);
        queue.TryEnqueue(c);
        Assert.Equal([(a.Id, 1), (b.Id, 2), (c.Id, 3)], _announced);

        _announced.Clear();
        Assert.Same(a, await queue.DequeueAsync(CancellationToken.None));
        Assert.Equal([(b.Id, 1), (c.Id, 2)], _announced);
        Assert.Equal(0, queue.PositionOf(a)); // out of line; its position goes to 0 when it starts

        _announced.Clear();
        Assert.True(queue.TryRemove(b));
        Assert.Equal([(c.Id, 1)], _announced);
        Assert.Equal(1, queue.PositionOf(c));
        Assert.Equal(0, queue.PositionOf(b));
    }

    [Fact]
    public async Task TwoBusyAddressesTakeTurnsWithANewcomerInsteadOfHoldingTheLine()
    {
        var queue = new JobQueue(_jobs, capacity: 20, maxQueuedPerOwner: 5);
        var a = Enumerable.Range(0, 3).Select(_ => Job("a", "10.0.0.1")).ToList();
        var b = Enumerable.Range(0, 3).Select(_ => Job("b", "10.0.0.2")).ToList();
        foreach (var job in a.Concat(b)) queue.TryEnqueue(job);
        Assert.Equal([a[0], b[0], a[1], b[1], a[2], b[2]], queue.Waiting());

        _announced.Clear();
        var newcomer = Job("c", "10.0.0.3");
        queue.TryEnqueue(newcomer);

        Assert.Equal([a[0], b[0], newcomer, a[1], b[1], a[2], b[2]], queue.Waiting());
        // The newcomer's place, and each job it went ahead of, announced once.
        Assert.Equal([(newcomer.Id, 3), (a[1].Id, 4), (b[1].Id, 5), (a[2].Id, 6), (b[2].Id, 7)], _announced.OrderBy(x => x.Position));
        Assert.Equal([1, 2, 3, 4, 5, 6, 7], queue.Waiting().Select(j => j.Position));
        Assert.Equal(3, newcomer.Position);

        // Those three run first; the round is done, and the addresses alternate after it.
        Assert.Equal([a[0], b[0], newcomer], [await queue.DequeueAsync(default), await queue.DequeueAsync(default), await queue.DequeueAsync(default)]);
        Assert.Equal([a[1], b[1], a[2], b[2]], queue.Waiting());
        Assert.Equal([1, 2, 3, 4], queue.Waiting().Select(j => j.Position));
    }

    [Fact]
    public async Task ANewcomerJoinsTheRoundInProgressAndAClientWhoseJobJustRanWaitsForTheNext()
    {
        var queue = new JobQueue(_jobs, capacity: 20, maxQueuedPerOwner: 5);
        var (a1, a2, b1) = (Job("a", "10.0.0.1"), Job("a", "10.0.0.1"), Job("b", "10.0.0.2"));
        queue.TryEnqueue(a1);
        queue.TryEnqueue(a2);
        queue.TryEnqueue(b1);
        Assert.Same(a1, await queue.DequeueAsync(default)); // round 1 in progress: b1 still to come

        var (d1, b2) = (Job("d", "10.0.0.4"), Job("b", "10.0.0.2"));
        queue.TryEnqueue(d1);
        queue.TryEnqueue(b2);

        Assert.Equal([b1, d1, a2, b2], queue.Waiting());
    }

    [Fact]
    public void JobsWithoutAnAddressTakeTurnsByOwner()
    {
        var queue = new JobQueue(_jobs, capacity: 20, maxQueuedPerOwner: 5);
        var (x1, x2, y1) = (Job("x"), Job("x"), Job("y"));
        queue.TryEnqueue(x1);
        queue.TryEnqueue(x2);
        queue.TryEnqueue(y1);

        Assert.Equal([x1, y1, x2], queue.Waiting());
    }

    [Fact]
    public async Task AJobTakenOutOfLineIsSkippedByTheWorkers()
    {
        var queue = new JobQueue(_jobs, capacity: 10, maxQueuedPerOwner: 3);
        var (a, b) = (Job("x"), Job("y"));
        queue.TryEnqueue(a);
        queue.TryEnqueue(b);
        queue.TryRemove(a);

        Assert.Same(b, await queue.DequeueAsync(CancellationToken.None));
        Assert.Equal(0, queue.Count);
    }

    [Fact]
    public void TheAddressLimitCountsEverySessionFromThatAddress()
    {
        var queue = new JobQueue(_jobs, capacity: 10, maxQueuedPerOwner: 2, maxQueuedPerAddress: 3);
        Assert.Equal(EnqueueOutcome.Accepted, queue.TryEnqueue(Job("a", "10.1.1.1")));
        Assert.Equal(EnqueueOutcome.Accepted, queue.TryEnqueue(Job("b", "10.1.1.1")));
        Assert.Equal(EnqueueOutcome.Accepted, queue.TryEnqueue(Job("c", "10.1.1.1")));
        Assert.Equal(EnqueueOutcome.AddressLimit, queue.TryEnqueue(Job("d", "10.1.1.1")));
        Assert.Equal(EnqueueOutcome.Accepted, queue.TryEnqueue(Job("d", "10.2.2.2")));
        Assert.Equal(EnqueueOutcome.Accepted, queue.TryEnqueue(Job("e"))); // unknown address: only the session limit
        Assert.Equal(5, queue.Count); // a, b, c, d from the second address, and e
    }

    [Fact]
    public void TheOwnerLimitCountsOnlyThatOwnersWaitingJobs()
    {
        var queue = new JobQueue(_jobs, capacity: 10, maxQueuedPerOwner: 2);
        Assert.Equal(EnqueueOutcome.Accepted, queue.TryEnqueue(Job("x")));
        Assert.Equal(EnqueueOutcome.Accepted, queue.TryEnqueue(Job("x")));
        Assert.Equal(EnqueueOutcome.OwnerLimit, queue.TryEnqueue(Job("x")));
        Assert.Equal(EnqueueOutcome.Accepted, queue.TryEnqueue(Job("y")));
    }

    [Fact]
    public void AFullQueueRefusesAtOnceAndJobsCancelledWhileWaitingFreeTheirPlaces()
    {
        var queue = new JobQueue(_jobs, capacity: 2, maxQueuedPerOwner: 5);
        for (int round = 0; round < 5; round++)
        {
            var (a, b) = (Job("x"), Job("x"));
            Assert.Equal(EnqueueOutcome.Accepted, queue.TryEnqueue(a));
            Assert.Equal(EnqueueOutcome.Accepted, queue.TryEnqueue(b));
            Assert.Equal(EnqueueOutcome.QueueFull, queue.TryEnqueue(Job("y")));
            queue.TryRemove(a);
            queue.TryRemove(b);
        }
        Assert.Equal(0, queue.Count);
    }

    [Fact]
    public void AClosedQueueRefusesAndHandsBackWhatWasWaiting()
    {
        var queue = new JobQueue(_jobs, capacity: 5, maxQueuedPerOwner: 5);
        var a = Job("x");
        queue.TryEnqueue(a);

        Assert.Equal([a], queue.Close());
        Assert.Equal(EnqueueOutcome.Closed, queue.TryEnqueue(Job("x")));
    }
}

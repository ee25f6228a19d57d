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

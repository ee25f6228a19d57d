using Microsoft.Extensions.Logging.Abstractions;
using StyleBlazor.Hubs;
using StyleBlazor.Jobs;

namespace StyleBlazor.Tests.Hubs;

public class WatcherOutboxTests
{
    /// <summary>A client whose frame sends hang until released, like a slow network.</summary>
    sealed class SlowClient : IProgressClient
    {
        public readonly List<string> Received = [];
        public TaskCompletionSource Gate = new(TaskCreationOptions.RunContinuationsAsynchronously);
        public readonly TaskCompletionSource FirstFrameArrived = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public async Task Frame(int iteration, int width, int height, byte[] bytes)
        {
            lock (Received) Received.Add($"Frame {iteration}");
            FirstFrameArrived.TrySetResult();
            await Gate.Task;
        }

        public Task Progress(int iteration, double j, double jC, double jS, Dictionary<string, double> perLayer, double elapsedSeconds, double iterationsPerSecond, double etaSeconds)
        {
            lock (Received) Received.Add($"Progress {iteration}");
            return Task.CompletedTask;
        }

        public Task Queued(int position) => Task.CompletedTask;
        public Task Started() => Task.CompletedTask;
        public Task History(LossEntry[] losses) => Task.CompletedTask;
        public Task Completed(string resultLink) { lock (Received) Received.Add("Completed"); return Task.CompletedTask; }
        public Task Failed(string message) => Task.CompletedTask;
        public Task Cancelled() => Task.CompletedTask;
    }

    static EncodedFrame Frame(int iteration) => new(iteration, 1, 1, "image/jpeg", [0xFF, 0xD8]);

    static Func<IProgressClient, Task> Progress(int iteration) =>
        c => c.Progress(iteration, 1, 1, 1, [], 0, 0, 0);

    [Fact]
    public async Task ASlowClientGetsEveryProgressButOnlyTheNewestOfTheFramesThatPiledUp()
    {
        var client = new SlowClient();
        var statistics = new FrameStatistics();
        var outbox = new WatcherOutbox(client, statistics, NullLogger.Instance);

        outbox.Post(Progress(1));
        outbox.PostFrame(Frame(1));
        await client.FirstFrameArrived.Task.WaitAsync(TimeSpan.FromSeconds(10)); // the client is now stuck on frame 1
        for (int i = 2; i <= 6; i++)
        {
            outbox.Post(Progress(i));
            outbox.PostFrame(Frame(i));
        }
        outbox.Post(c => c.Completed("/done"));
        client.Gate.SetResult();
        await outbox.WhenIdleAsync().WaitAsync(TimeSpan.FromSeconds(10));

        Assert.Equal(["Progress 1", "Frame 1", "Progress 2", "Progress 3", "Progress 4", "Progress 5", "Progress 6", "Frame 6", "Completed"], client.Received);
        Assert.Equal(2, statistics.Sent);
        Assert.Equal(4, statistics.Coalesced); // frames 2–5
    }

    [Fact]
    public async Task AClientThatKeepsUpGetsEveryFrame()
    {
        var client = new SlowClient();
        client.Gate.SetResult();
        var statistics = new FrameStatistics();
        var outbox = new WatcherOutbox(client, statistics, NullLogger.Instance);

        for (int i = 1; i <= 5; i++)
        {
            outbox.PostFrame(Frame(i));
            await outbox.WhenIdleAsync().WaitAsync(TimeSpan.FromSeconds(10));
        }

        Assert.Equal(Enumerable.Range(1, 5).Select(i => $"Frame {i}"), client.Received);
        Assert.Equal(0, statistics.Coalesced);
    }

    [Fact]
    public async Task AClosedOutboxSendsNothingMore()
    {
        var client = new SlowClient();
        var outbox = new WatcherOutbox(client, new FrameStatistics(), NullLogger.Instance);
        outbox.PostFrame(Frame(1));
        await client.FirstFrameArrived.Task.WaitAsync(TimeSpan.FromSeconds(10));
        outbox.Post(Progress(2));

        outbox.Close();
        client.Gate.SetResult();
        await outbox.WhenIdleAsync().WaitAsync(TimeSpan.FromSeconds(10));
        outbox.Post(Progress(3));

        Assert.Equal(["Frame 1"], client.Received);
    }
}

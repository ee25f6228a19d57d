using StyleBlazor.Explore;

namespace StyleBlazor.Tests.Explore;

public class ExploreCacheTests
{
    [Fact]
    public async Task OverItsBudgetTheLeastRecentlyUsedEntriesGoFirst()
    {
        var cache = new ExploreCache(budgetBytes: 30);
        await cache.GetOrAddAsync("a", () => Task.FromResult("a"), _ => 10);
        await cache.GetOrAddAsync("b", () => Task.FromResult("b"), _ => 10);
        await cache.GetOrAddAsync("c", () => Task.FromResult("c"), _ => 10);
        await cache.GetOrAddAsync("a", () => Task.FromResult("a again"), _ => 10); // a is now the most recent

        await cache.GetOrAddAsync("d", () => Task.FromResult("d"), _ => 10);

        Assert.Equal(30, cache.Bytes);
        Assert.Equal("a", await cache.GetOrAddAsync("a", () => Task.FromResult("recomputed"), _ => 10));
        Assert.Equal("recomputed", await cache.GetOrAddAsync("b", () => Task.FromResult("recomputed"), _ => 10));
    }

    [Fact]
    public async Task ViewersAskingAtOnceShareOneComputationAndAFailureIsNotKept()
    {
        var cache = new ExploreCache(budgetBytes: 1000);
        var gate = new TaskCompletionSource<string>();
        int runs = 0;
        Task<string> Compute() { runs++; return gate.Task; }

        var first = cache.GetOrAddAsync("k", Compute, _ => 1);
        var second = cache.GetOrAddAsync("k", Compute, _ => 1);
        gate.SetException(new InvalidOperationException("no"));

        await Assert.ThrowsAsync<InvalidOperationException>(() => first);
        await Assert.ThrowsAsync<InvalidOperationException>(() => second);
        Assert.Equal(1, runs);
        Assert.Equal("ok", await cache.GetOrAddAsync("k", () => Task.FromResult("ok"), _ => 1));
        Assert.Equal(1, cache.Count);
    }
}

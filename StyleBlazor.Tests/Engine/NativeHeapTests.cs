using StyleBlazor.Engine;
using StyleBlazor.Tests.Support;
using TorchSharp;
using static TorchSharp.torch;

namespace StyleBlazor.Tests.Engine;

/// <summary>Reads the process's resident memory, so it runs alone (<see cref="MeasuredAlone"/>).</summary>
[Collection(MeasuredAlone.Name)]
public class NativeHeapTests
{
    static bool JemallocPreloaded => Environment.GetEnvironmentVariable("LD_PRELOAD")?.Contains("jemalloc") == true;

    [Fact]
    public void TheTestProcessRunsOnTheAllocatorItWasStartedWith()
    {
        Assert.Equal(JemallocPreloaded ? NativeAllocator.Jemalloc : NativeAllocator.Glibc, NativeHeap.Active);
        Assert.Equal(JemallocPreloaded, NativeHeap.JemallocDirtyDecayMs() is not null);
    }

    [Fact]
    public void KeptMemoryGoesBackToTheKernelWhenReleased()
    {
        Assert.True(NativeHeap.ReuseFreedMemory());
        NativeHeap.ReleaseFreedMemory(); // what earlier tests left kept, so the blocks below need fresh pages
        double before = MeasuredAlone.ResidentMiB();
        // 32 × 16 MiB, every page touched (under glibc's 64 MiB per-thread heap size, so kept on any thread's arena).
        var blocks = Enumerable.Range(0, 32).Select(_ => ones(4, 1024, 1024)).ToList();
        double holding = MeasuredAlone.ResidentMiB();
        foreach (var b in blocks) b.Dispose();

        Assert.True(NativeHeap.ReleaseFreedMemory());
        double released = MeasuredAlone.ResidentMiB();

        // Tests running alongside allocate and free too, so the bounds leave room: the blocks are 512 MiB.
        Assert.True(holding - before > 256, $"holding the blocks: {before:F0} → {holding:F0} MiB");
        // Kept for reuse, they would stay resident; released, (nearly) all of them is gone.
        Assert.True(holding - released > 400, $"after release: {holding:F0} → {released:F0} MiB");
    }
}

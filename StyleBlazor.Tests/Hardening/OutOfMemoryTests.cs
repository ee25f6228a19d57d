using StyleBlazor.Identity;
using StyleBlazor.Extensions;
using StyleBlazor.Jobs;
using StyleBlazor.Tests.Support;
using static StyleBlazor.Tests.Support.StyleBlazorApplication;

namespace StyleBlazor.Tests.Hardening;

public class OutOfMemoryTests
{
    [Fact]
    public async Task AJobThatRunsOutOfMemoryFailsNamingASizeThatFitsAndTheNextJobRuns()
    {
        await using var app = new StyleBlazorApplication();
        var owner = new ProgressRecorder(await app.ConnectAsync(BrowserSession.NewId()));
        var tooLarge = TinyJob(TestBackboneCatalog.OutOfMemory);
        tooLarge.Options = tooLarge.Options with { Size = 32 };
        var halved = TinyJob(TestBackboneCatalog.OutOfMemory);
        halved.Options = halved.Options with { Size = 16 };

        var failed = await owner.SubmitAsync(tooLarge);
        var next = await owner.SubmitAsync(halved);
        var other = await new ProgressRecorder(await app.ConnectAsync(BrowserSession.NewId())).SubmitAsync(TinyJob());
        await Eventually(() => new[] { failed, next, other }.All(r => app.Jobs.Find(r.JobId!)!.IsFinished), "all three jobs to end");

        var oom = app.Jobs.Find(failed.JobId!)!;
        Assert.Equal(JobState.Failed, oom.State);
        Assert.Equal("The server ran out of memory for this job at 32 px; try 16 px or smaller.", oom.Message);
        Assert.Equal(JobState.Completed, app.Jobs.Find(next.JobId!)!.State);
        Assert.Equal(JobState.Completed, app.Jobs.Find(other.JobId!)!.State);
    }

    [Theory]
    [InlineData(typeof(OutOfMemoryException), "", true)]
    [InlineData(typeof(System.Runtime.InteropServices.ExternalException), "CUDA out of memory. Tried to allocate 2 GiB", true)]
    [InlineData(typeof(System.Runtime.InteropServices.ExternalException), "[enforce fail at alloc_cpu.cpp:114] DefaultCPUAllocator: can't allocate memory: you tried to allocate 1 bytes. Error code 12 (Out of memory)", true)]
    [InlineData(typeof(System.Runtime.InteropServices.ExternalException), "Expected all tensors to be on the same device", false)]
    [InlineData(typeof(InvalidOperationException), "out of memory", false)]
    public void OutOfMemoryIsRecognisedFromDotNetAndFromLibtorch(Type type, string message, bool expected)
    {
        var ex = type == typeof(OutOfMemoryException) ? new OutOfMemoryException() : (Exception)Activator.CreateInstance(type, message)!;

        Assert.Equal(expected, JobRunner.IsOutOfMemory(new AggregateException(ex)));
    }
}

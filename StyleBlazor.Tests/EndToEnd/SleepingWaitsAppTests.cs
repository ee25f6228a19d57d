using StyleBlazor.Engine;
using StyleBlazor.Jobs;

namespace StyleBlazor.Tests.EndToEnd;

/// <summary>The app told to make libtorch's OpenMP threads sleep at once (<c>Engine:OpenMpWait Sleep</c>) instead of the default brief spin.</summary>
public sealed class SleepingWaitsAppServer() : AppServer(new Dictionary<string, string>(), ["--Engine:OpenMpWait", nameof(OpenMpWait.Sleep)]);

[Collection(EndToEndCollection.Name)]
public class SleepingWaitsAppTests(SleepingWaitsAppServer app) : IClassFixture<SleepingWaitsAppServer>
{
    [Fact]
    public void TheAppSetsTheSleepingPolicyBeforeLibtorchLoadsAndItsFirstJobAllowsForTheWakeUps()
    {
        // Set in the app's native environment before anything loaded libtorch (and libgomp, which reads it only then).
        Assert.Contains("OpenMP threads sleep while they wait (OMP_WAIT_POLICY=PASSIVE, set before libtorch loaded)", app.Log);
        // Each parallel region then wakes a thread, a fixed cost per step: a machine's first job starts from the larger P₀.
        Assert.Contains($"ETA: resnet18 on CPU starts from the app's prior, a step's fixed part {PaceMemory.FixedPixelsWhenThreadsSleep} px " +
                        "(OpenMP threads sleep at once)", app.Log);
    }
}

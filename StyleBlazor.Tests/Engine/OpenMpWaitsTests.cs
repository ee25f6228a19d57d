using StyleBlazor.Engine;
using static TorchSharp.torch;

namespace StyleBlazor.Tests.Engine;

/// <summary>
/// What <see cref="OpenMpWaits"/> can and cannot do in a process that has already loaded libtorch (this one); that the
/// app sets the policy before libtorch loads is checked on the app's own process (<c>PreloadedAppTests</c>).
/// </summary>
public class OpenMpWaitsTests
{
    [Fact]
    public void OnceLibtorchIsLoadedSleepingWaitsCannotBeSetAndTheOutcomeSaysWhy()
    {
        using var _ = ones(1); // libtorch, and libgomp with it
        Assert.True(OpenMpWaits.LibgompLoaded());
        Assert.Null(OpenMpWaits.GetEnvironment(OpenMpWaits.Variable));

        var outcome = OpenMpWaits.Apply(OpenMpWait.Sleep);

        Assert.False(outcome.TookEffect);
        Assert.Equal("OpenMP threads spin before they sleep: libgomp was loaded before OMP_WAIT_POLICY could be set", outcome.Description);
        Assert.Null(OpenMpWaits.GetEnvironment(OpenMpWaits.Variable)); // nothing half-set for a later reader
    }

    [Fact]
    public void SpinningIsLibgompsDefaultAndLeavesTheEnvironmentAlone()
    {
        var outcome = OpenMpWaits.Apply(OpenMpWait.Spin);

        Assert.True(outcome.TookEffect);
        Assert.Equal("OpenMP threads spin before they sleep (libgomp's default)", outcome.Description);
        Assert.Null(OpenMpWaits.GetEnvironment(OpenMpWaits.Variable));
    }
}

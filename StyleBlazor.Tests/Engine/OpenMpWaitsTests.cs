using StyleBlazor.Engine;
using static TorchSharp.torch;

namespace StyleBlazor.Tests.Engine;

/// <summary>
/// What <see cref="OpenMpWaits"/> can and cannot do in a process that has already loaded libtorch (this one); that the
/// app sets the policy before libtorch loads is checked on the app's own process (<c>PreloadedAppTests</c>). An app
/// hosted in this process by another test may have set the variable already (its registration calls Apply before it
/// touches torch), so each test starts from what the environment holds.
/// </summary>
public class OpenMpWaitsTests
{
    [Fact]
    public void OnceLibtorchIsLoadedSleepingWaitsCannotBeSetAndTheOutcomeSaysWhy()
    {
        using var _ = ones(1); // libtorch, and libgomp with it
        Assert.True(OpenMpWaits.LibgompLoaded());
        var before = OpenMpWaits.GetEnvironment(OpenMpWaits.Variable);

        var outcome = OpenMpWaits.Apply(OpenMpWait.Sleep);

        Assert.False(outcome.TookEffect);
        Assert.Equal(before is null
            ? "OpenMP threads spin before they sleep: libgomp was loaded before OMP_WAIT_POLICY could be set"
            : $"OpenMP threads wait as OMP_WAIT_POLICY={before} in the environment says", outcome.Description);
        Assert.Equal(before, OpenMpWaits.GetEnvironment(OpenMpWaits.Variable)); // nothing half-set for a later reader
        if (before is null) Assert.False(outcome.SleepsAtOnce); // libgomp read no policy: its threads spin first
    }

    [Fact]
    public void OnceLibtorchIsLoadedABriefSpinCannotBeSetEitherAndNeitherVariableIsTouched()
    {
        using var _ = ones(1);
        var policy = OpenMpWaits.GetEnvironment(OpenMpWaits.Variable);
        var spins = OpenMpWaits.GetEnvironment(OpenMpWaits.SpinCountVariable);

        var outcome = OpenMpWaits.Apply(OpenMpWait.SpinBriefly);

        Assert.False(outcome.TookEffect);
        Assert.Equal(policy, OpenMpWaits.GetEnvironment(OpenMpWaits.Variable));
        Assert.Equal(spins, OpenMpWaits.GetEnvironment(OpenMpWaits.SpinCountVariable));
    }

    [Fact]
    public void SpinningIsLibgompsDefaultAndLeavesTheEnvironmentAlone()
    {
        var before = OpenMpWaits.GetEnvironment(OpenMpWaits.Variable);

        var outcome = OpenMpWaits.Apply(OpenMpWait.Spin);

        Assert.Equal(before is null, outcome.TookEffect);
        Assert.Equal(before is null
            ? "OpenMP threads spin before they sleep (libgomp's default)"
            : $"OpenMP threads wait as OMP_WAIT_POLICY={before} in the environment says", outcome.Description);
        Assert.Equal(before, OpenMpWaits.GetEnvironment(OpenMpWaits.Variable));
    }
}

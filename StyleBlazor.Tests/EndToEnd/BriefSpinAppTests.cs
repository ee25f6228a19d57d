using StyleBlazor.Engine;

namespace StyleBlazor.Tests.EndToEnd;

/// <summary>The app told to let libtorch's OpenMP threads spin briefly before they sleep (<c>Engine:OpenMpWait SpinBriefly</c>).</summary>
public sealed class BriefSpinAppServer() : AppServer(new Dictionary<string, string>(), ["--Engine:OpenMpWait", nameof(OpenMpWait.SpinBriefly)]);

[Collection(EndToEndCollection.Name)]
public class BriefSpinAppTests(BriefSpinAppServer app) : IClassFixture<BriefSpinAppServer>
{
    [Fact]
    public void TheAppSetsTheSpinCountAndTheSleepingPolicyBeforeLibtorchLoads()
    {
        // libgomp takes an explicit spin count over the PASSIVE policy's 0: both must be in the native environment
        // before libtorch (and libgomp with it) loads, which the start-up log says happened.
        Assert.Contains($"OpenMP threads spin {OpenMpWaits.BriefSpins} times, then sleep (OMP_WAIT_POLICY=PASSIVE and " +
                        $"GOMP_SPINCOUNT={OpenMpWaits.BriefSpins}, set before libtorch loaded)", app.Log);
    }
}

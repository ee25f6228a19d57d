using System.Diagnostics;
using System.Net.Http.Json;
using StyleBlazor.Engine;
using StyleBlazor.Extensions;
using StyleBlazor.Jobs;

namespace StyleBlazor.Tests.EndToEnd;

/// <summary>
/// The app as the Docker image runs it: jemalloc and the MKL vendor-check answer (build/native) preloaded. Needs
/// Debian's libjemalloc2 and gcc (`.ci/run` installs them).
/// </summary>
public sealed class PreloadedAppServer() : AppServer(
    new Dictionary<string, string> { ["LD_PRELOAD"] = $"{Jemalloc} {MklIntelCodePaths.Value}" },
    ["--Engine:ReleaseFreedMemoryAfterIdle", "00:00:01"])
{
    public const string Jemalloc = "/usr/lib/x86_64-linux-gnu/libjemalloc.so.2";

    /// <summary>Built from the repository's source as the Dockerfile builds it, once per test run.</summary>
    public static readonly Lazy<string> MklIntelCodePaths = new(() =>
    {
        var source = Path.Combine(RepositoryRoot, "build", "native", "mkl_intel_code_paths.c");
        var library = Path.Combine(Directory.CreateTempSubdirectory("styleblazor-native-").FullName, MatrixLibrary.PreloadFileName);
        using var gcc = Process.Start(new ProcessStartInfo("gcc", ["-shared", "-fPIC", "-O2", "-o", library, source]) { RedirectStandardError = true })
                        ?? throw new InvalidOperationException("gcc did not start: apt-get install gcc");
        string errors = gcc.StandardError.ReadToEnd();
        gcc.WaitForExit();
        if (gcc.ExitCode != 0) throw new InvalidOperationException($"gcc could not build {source}: {errors}");
        return library;
    });
}

// With the browser tests, on its own: a second app warming up beside the unit tests slowed their timing-bound checks.
[Collection(EndToEndCollection.Name)]
public class PreloadedAppTests(PreloadedAppServer app) : IClassFixture<PreloadedAppServer>
{
    [Fact]
    public async Task WithJemallocPreloadedTheEngineKeepsFreedMemoryAndHandsItBackWhenIdle()
    {
        Assert.True(File.Exists(PreloadedAppServer.Jemalloc), $"{PreloadedAppServer.Jemalloc} is missing: apt-get install libjemalloc2");
        using var http = new HttpClient { BaseAddress = new Uri(app.BaseUrl) };

        // The warm-up's memory goes back one idle second after start-up.
        DiagnosticsReport? report = null;
        for (int i = 0; i < 100 && report?.MemoryReleases is not > 0; i++)
        {
            report = await http.GetFromJsonAsync<DiagnosticsReport>("/api/diagnostics");
            await Task.Delay(100);
        }

        Assert.Equal("Jemalloc", report!.Allocator);
        Assert.Contains("Native memory: jemalloc (preloaded); freed memory kept for reuse while jobs run", app.Log);
        Assert.Equal(1, report.MemoryReleases);
    }

    [Fact]
    public void TheAppMakesLibtorchsOpenMpThreadsSpinBrieflyThenSleepAndItsFirstJobStartsFromTheSpinningPrior()
    {
        // libgomp takes an explicit spin count over the PASSIVE policy's 0: both must be in the native environment
        // before libtorch (and libgomp with it) loads, which the start-up log says happened.
        Assert.Contains($"OpenMP threads spin {OpenMpWaits.BriefSpins} times, then sleep (OMP_WAIT_POLICY=PASSIVE and " +
                        $"GOMP_SPINCOUNT={OpenMpWaits.BriefSpins}, set before libtorch loaded)", app.Log);
        Assert.Contains($"ETA: resnet18 on CPU starts from the app's prior, a step's fixed part {PaceMemory.FixedPixelsWhenThreadsSpin} px " +
                        "(OpenMP threads spin before they sleep)", app.Log);
    }

    [Fact]
    public Task WithTheVendorCheckPreloadedMklTakesItsIntelKernelsOnAnyCpu() =>
        app.AssertMklTakesItsIntelKernels($"{MatrixLibrary.PreloadFileName} preloaded");
}

using System.Net.Http.Json;
using StyleBlazor.Extensions;

namespace StyleBlazor.Tests.EndToEnd;

/// <summary>
/// The app as the Docker image runs it: jemalloc preloaded. Needs Debian's libjemalloc2 (`.ci/run` installs it).
/// </summary>
public sealed class JemallocAppServer() : AppServer(
    new Dictionary<string, string> { ["LD_PRELOAD"] = Library },
    ["--Engine:ReleaseFreedMemoryAfterIdle", "00:00:01"])
{
    public const string Library = "/usr/lib/x86_64-linux-gnu/libjemalloc.so.2";
}

// With the browser tests, on its own: a second app warming up beside the unit tests slowed their timing-bound checks.
[Collection(EndToEndCollection.Name)]
public class JemallocAppTests(JemallocAppServer app) : IClassFixture<JemallocAppServer>
{
    [Fact]
    public async Task WithJemallocPreloadedTheEngineKeepsFreedMemoryAndHandsItBackWhenIdle()
    {
        Assert.True(File.Exists(JemallocAppServer.Library), $"{JemallocAppServer.Library} is missing: apt-get install libjemalloc2");
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
}

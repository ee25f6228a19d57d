using StyleBlazor.Engine;
using StyleBlazor.Tests.Distributed;

namespace StyleBlazor.Tests.EndToEnd;

/// <summary>
/// MKL's vendor-check answer as the build makes it (gcc, which `.ci/run` installs): copied beside the app and loaded by the
/// engine before libtorch, so that a plain `dotnet run` gets what the Docker image's preload gives.
/// </summary>
[Collection(EndToEndCollection.Name)]
public class BuiltMklAnswerTests
{
    static readonly string Samples = Path.Combine(AppServer.RepositoryRoot, "wwwroot-assets", "samples");

    [Fact]
    public async Task WithoutAPreloadTheCliPaintsWhatItPaintsWithTheAnswerPreloaded()
    {
        string built = Path.Combine(Path.GetDirectoryName(AppServer.AppDll)!, MatrixLibrary.PreloadFileName);
        Assert.True(File.Exists(built), $"{built} is missing: the engine's build makes it with gcc (apt-get install gcc)");

        // 256 px: on an AMD CPU, MKL's generic path rounds the Gram matrices differently, and J after three steps shows it
        // (1.6497 against 1.6503 on the team's EPYC with the answer left out). One thread, so the rest is the same.
        var plain = await StylizeJ(null);
        var preloaded = await StylizeJ(PreloadedAppServer.MklIntelCodePaths.Value);

        Assert.Equal(4, plain.Length);
        Assert.Equal(preloaded, plain);
    }

    /// <summary>The J of each iteration (0–3) of a 256 px run of the built app's <c>stylize</c>, as it prints them.</summary>
    static async Task<string[]> StylizeJ(string? preload)
    {
        string output = Path.Combine(Directory.CreateTempSubdirectory("styleblazor-mkl-").FullName, "out.png");
        string stdout = await ChildProcess.RunAsync(new Dictionary<string, string?> { ["LD_PRELOAD"] = preload }, "dotnet",
            AppServer.AppDll, "stylize", "--content", Path.Combine(Samples, "photo-chelsea-cat.png"),
            "--style", Path.Combine(Samples, "art-van-gogh-starry-night.jpg"), "--out", output,
            "--size", "256", "--iterations", "3", "--seed", "0", "--threads", "1", "--progress-json");
        return stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(line => System.Text.Json.JsonDocument.Parse(line).RootElement.GetProperty("J").GetRawText())
            .ToArray();
    }
}

using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Text;
using StyleBlazor.Engine;
using StyleBlazor.Extensions;

namespace StyleBlazor.Tests.EndToEnd;

/// <summary>
/// The real app in its own process on 127.0.0.1 (what a browser user gets), with a fresh data directory and limits
/// small enough that a job finishes in seconds. Started once per test class; the process tree is killed at the end.
/// </summary>
public class AppServer : IAsyncLifetime
{
    readonly StringBuilder _log = new();
    readonly IReadOnlyDictionary<string, string> _environment;
    readonly string[] _arguments;
    Process? _process;

    public AppServer() : this(new Dictionary<string, string>(), []) { }

    /// <summary>
    /// A variant: extra environment variables (e.g. LD_PRELOAD, or ASPNETCORE_ENVIRONMENT=Production for the app run as
    /// an operator runs the build: from the repository's root, without a content root of the tests' choosing) and
    /// configuration arguments.
    /// </summary>
    protected AppServer(IReadOnlyDictionary<string, string> environment, string[] arguments)
    {
        _environment = environment;
        _arguments = arguments;
    }

    bool RunsAsBuilt => _environment.GetValueOrDefault("ASPNETCORE_ENVIRONMENT") is { } environment && environment != "Development";

    public string BaseUrl { get; private set; } = "";
    public string DataDirectory { get; } = Directory.CreateTempSubdirectory("styleblazor-e2e-").FullName;
    public static string RepositoryRoot { get; } = FindRepositoryRoot();

    /// <summary>The built app, of the tests' own configuration (bin/&lt;Configuration&gt;/net10.0).</summary>
    public static string AppDll
    {
        get
        {
            var configuration = new DirectoryInfo(Path.TrimEndingDirectorySeparator(AppContext.BaseDirectory)).Parent!.Name;
            var dll = Path.Combine(RepositoryRoot, "StyleBlazor", "bin", configuration, "net10.0", "StyleBlazor.dll");
            return File.Exists(dll) ? dll : throw new FileNotFoundException("Build the solution first; the app is not at " + dll);
        }
    }

    public string Log { get { lock (_log) return _log.ToString(); } }

    /// <summary>
    /// That MKL takes its Intel kernels on any CPU, by the vendor-check answer <paramref name="answer"/> names (as the
    /// start-up log words it): in /api/diagnostics, and in the log with Winograd on for VGG19's blocks 3–5.
    /// </summary>
    public async Task AssertMklTakesItsIntelKernels(string answer)
    {
        using var http = new HttpClient { BaseAddress = new Uri(BaseUrl) };
        var report = await http.GetFromJsonAsync<DiagnosticsReport>("/api/diagnostics");

        // An Intel CPU answers yes by itself; the answer in the global scope comes first either way.
        Assert.Equal(nameof(MklCodePath.IntelByPreload), report!.MatrixLibrary);
        Assert.Contains($"Matrix products: MKL with its Intel kernels ({answer}); VGG19's blocks 3-5 by Winograd F(4x4,3x3)", Log);
    }

    public async Task InitializeAsync()
    {
        int port = FreePort();
        BaseUrl = $"http://127.0.0.1:{port}";
        var appDll = AppDll;

        var start = new ProcessStartInfo("dotnet")
        {
            WorkingDirectory = RunsAsBuilt ? RepositoryRoot : Path.GetDirectoryName(appDll)!,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        string[] arguments =
        [
            appDll, "--urls", BaseUrl, .. RunsAsBuilt ? Array.Empty<string>() : ["--contentRoot", Path.Combine(RepositoryRoot, "StyleBlazor")],
            "--Results:DataDirectory", DataDirectory,
            "--Engine:CpuThreads", "2",
            .. _arguments,
        ];
        foreach (var arg in arguments) start.ArgumentList.Add(arg);
        start.Environment["ASPNETCORE_ENVIRONMENT"] = "Development";
        foreach (var (name, value) in _environment) start.Environment[name] = value;
        start.Environment["DOTNET_gcServer"] = "0";

        _process = Process.Start(start)!;
        _process.OutputDataReceived += (_, e) => { if (e.Data is not null) lock (_log) _log.AppendLine(e.Data); };
        _process.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (_log) _log.AppendLine(e.Data); };
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();

        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
        var deadline = DateTime.UtcNow.AddSeconds(120);
        while (DateTime.UtcNow < deadline)
        {
            if (_process.HasExited) throw new InvalidOperationException($"The app exited with {_process.ExitCode}:\n{Log}");
            try
            {
                var response = await http.GetAsync($"{BaseUrl}/_framework/blazor.web.js");
                if (response.StatusCode == HttpStatusCode.OK) return;
            }
            catch (HttpRequestException) { }
            catch (TaskCanceledException) { }
            await Task.Delay(250);
        }
        throw new TimeoutException($"The app did not answer within 120 s:\n{Log}");
    }

    public async Task DisposeAsync()
    {
        if (_process is { HasExited: false })
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }
        _process?.Dispose();
        try { Directory.Delete(DataDirectory, recursive: true); } catch (IOException) { }
    }

    static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    static string FindRepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "StyleBlazor.sln"))) return dir.FullName;
        throw new DirectoryNotFoundException("StyleBlazor.sln not found above " + AppContext.BaseDirectory);
    }
}

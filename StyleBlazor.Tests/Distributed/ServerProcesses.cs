using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using StyleBlazor.Tests.EndToEnd;

namespace StyleBlazor.Tests.Distributed;

// Real servers as plain processes on 127.0.0.1 (no Docker here): each on a free port, in a folder of its own, stopped
// by pid. Free of xunit, so a benchmark can start the same topology.

/// <summary>A child process whose output is kept (for failure messages) and that is killed with its children.</summary>
public class ChildProcess : IAsyncDisposable
{
    readonly StringBuilder _log = new();
    Process? _process;

    public string Log { get { lock (_log) return _log.ToString(); } }

    /// <summary>The log so far, which is then forgotten.</summary>
    public string TakeLog()
    {
        lock (_log)
        {
            var log = _log.ToString();
            _log.Clear();
            return log;
        }
    }
    public bool IsRunning => _process is { HasExited: false };
    public int Pid => _process?.Id ?? 0;

    protected void Start(string file, IEnumerable<string> arguments, IReadOnlyDictionary<string, string>? environment = null, string? directory = null)
    {
        var start = new ProcessStartInfo(file)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = directory ?? Environment.CurrentDirectory,
        };
        foreach (var argument in arguments) start.ArgumentList.Add(argument);
        foreach (var (name, value) in environment ?? new Dictionary<string, string>()) start.Environment[name] = value;
        _process?.Dispose(); // a restart of the same server
        _process = Process.Start(start) ?? throw new InvalidOperationException($"{file} did not start.");
        _process.OutputDataReceived += (_, e) => { if (e.Data is not null) lock (_log) _log.AppendLine(e.Data); };
        _process.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (_log) _log.AppendLine(e.Data); };
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
    }

    /// <summary>SIGKILL, as a crash: no shutdown code runs.</summary>
    public async Task KillAsync()
    {
        if (_process is not { HasExited: false } process) return;
        process.Kill(entireProcessTree: true);
        await process.WaitForExitAsync();
    }

    public virtual async ValueTask DisposeAsync()
    {
        await KillAsync();
        _process?.Dispose();
        GC.SuppressFinalize(this);
    }

    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    /// <summary>Waits until <paramref name="ready"/> says yes, failing with the process's log if it exits or takes too long.</summary>
    protected async Task WaitAsync(Func<Task<bool>> ready, string what, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            if (_process is { HasExited: true } exited) throw new InvalidOperationException($"{what} exited with {exited.ExitCode}:\n{Log}");
            try { if (await ready()) return; }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException or SocketException or IOException) { }
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"{what} was not ready within {timeout.TotalSeconds:0} s:\n{Log}");
            await Task.Delay(200);
        }
    }

    /// <summary>Runs a command to its end; its output when it succeeds, else an exception with it.</summary>
    public static Task<string> RunAsync(string file, params string[] arguments) =>
        RunAsync(new Dictionary<string, string?>(), file, arguments);

    /// <summary>The same with <paramref name="environment"/> changed: a null value removes the variable.</summary>
    public static async Task<string> RunAsync(IReadOnlyDictionary<string, string?> environment, string file, params string[] arguments)
    {
        var start = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var argument in arguments) start.ArgumentList.Add(argument);
        foreach (var (name, value) in environment)
            if (value is null) start.Environment.Remove(name);
            else start.Environment[name] = value;
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        if (process.ExitCode != 0) throw new InvalidOperationException($"{file} {string.Join(' ', arguments)} failed ({process.ExitCode}): {await error}{await output}");
        return await output;
    }
}

/// <summary>Debian's redis-server in the foreground, with its append-only file in its folder (as deploy/compose.yaml runs it).</summary>
public sealed class RedisServer(string folder) : ChildProcess
{
    public int Port { get; private set; }
    public string ConnectionString => $"127.0.0.1:{Port}";

    public async Task StartAsync()
    {
        Directory.CreateDirectory(folder);
        if (Port == 0) Port = FreePort();
        Start("redis-server", ["--port", Port.ToString(), "--bind", "127.0.0.1", "--save", "", "--appendonly", "yes", "--dir", folder,
            "--protected-mode", "no"]);
        await WaitAsync(async () =>
        {
            using var client = new TcpClient();
            await client.ConnectAsync(IPAddress.Loopback, Port);
            await using var stream = client.GetStream();
            await stream.WriteAsync("PING\r\n"u8.ToArray());
            var reply = new byte[7];
            return await stream.ReadAsync(reply) > 0 && Encoding.ASCII.GetString(reply).StartsWith("+PONG");
        }, "redis-server", TimeSpan.FromSeconds(20));
    }
}

/// <summary>
/// Debian's PostgreSQL 15: a cluster made with initdb in its folder, started and stopped with pg_ctl (as the postgres
/// user when the tests run as root, since initdb refuses root), the server's own pid file telling which process it is.
/// </summary>
public sealed class PostgresServer(string folder) : IAsyncDisposable
{
    static readonly string Bin = Directory.GetDirectories("/usr/lib/postgresql").Order().LastOrDefault() is { } version
        ? Path.Combine(version, "bin")
        : throw new InvalidOperationException("PostgreSQL is not installed (apt-get install postgresql; .ci/run does).");

    static bool AsRoot => Environment.UserName == "root";
    string Data => Path.Combine(folder, "data");

    public int Port { get; private set; }
    public string ConnectionString => $"Host=127.0.0.1;Port={Port};Username=postgres;Database=postgres;Maximum Pool Size=20;Timeout=5";
    public bool IsRunning => File.Exists(Path.Combine(Data, "postmaster.pid"));

    public async Task StartAsync()
    {
        if (Port == 0)
        {
            Port = ChildProcess.FreePort();
            Directory.CreateDirectory(folder);
            if (AsRoot) await ChildProcess.RunAsync("chown", "-R", "postgres:postgres", folder);
            await AsPostgresAsync($"{Bin}/initdb -D {Data} -U postgres -A trust -E UTF8 --no-locale --no-sync");
        }
        await AsPostgresAsync($"{Bin}/pg_ctl -D {Data} -l {folder}/server.log -w -t 60 -o '-p {Port} -k {folder} -c listen_addresses=127.0.0.1 -c fsync=off' start");
    }

    /// <summary>A fast shutdown (SIGINT to the server), waiting until it is gone.</summary>
    public async Task StopAsync()
    {
        var pidFile = Path.Combine(Data, "postmaster.pid");
        if (!File.Exists(pidFile)) return;
        int pid = int.Parse((await File.ReadAllLinesAsync(pidFile))[0]);
        await ChildProcess.RunAsync("kill", "-INT", pid.ToString());
        for (var deadline = DateTime.UtcNow.AddSeconds(30); File.Exists(pidFile) && DateTime.UtcNow < deadline;) await Task.Delay(100);
    }

    static Task AsPostgresAsync(string command) =>
        AsRoot ? ChildProcess.RunAsync("su", "postgres", "-s", "/bin/sh", "-c", command) : ChildProcess.RunAsync("/bin/sh", "-c", command);

    public async ValueTask DisposeAsync() => await StopAsync();
}

/// <summary>A StyleBlazor node (the built app, as <see cref="AppServer"/> runs it) in one role of a deployment.</summary>
public sealed class NodeProcess(string name, string role, IReadOnlyList<string> settings) : ChildProcess
{
    public string Name { get; } = name;
    public string Role { get; } = role;
    public int Port { get; } = FreePort();
    public string BaseUrl => $"http://127.0.0.1:{Port}";

    public async Task StartAsync()
    {
        var appDll = AppServer.AppDll;
        Start("dotnet", [appDll, "--urls", BaseUrl, "--contentRoot", Path.Combine(AppServer.RepositoryRoot, "StyleBlazor"),
                "--Node:Role", Role, "--Node:Name", Name, .. settings],
            new Dictionary<string, string> { ["ASPNETCORE_ENVIRONMENT"] = "Development", ["DOTNET_gcServer"] = "0" },
            Path.GetDirectoryName(appDll));
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
        await WaitAsync(async () => (await http.GetAsync($"{BaseUrl}/readyz")).IsSuccessStatusCode, $"node {Name}", TimeSpan.FromSeconds(120));
    }
}

/// <summary>tools/Balancer in front of the web nodes.</summary>
public sealed class BalancerProcess(IReadOnlyList<string> destinations) : ChildProcess
{
    public int Port { get; } = FreePort();
    public string BaseUrl => $"http://127.0.0.1:{Port}";

    public async Task StartAsync()
    {
        var configuration = new DirectoryInfo(Path.TrimEndingDirectorySeparator(AppContext.BaseDirectory)).Parent!.Name;
        var dll = Path.Combine(AppServer.RepositoryRoot, "tools", "Balancer", "bin", configuration, "net10.0", "Balancer.dll");
        if (!File.Exists(dll)) throw new FileNotFoundException("Build the solution first; the balancer is not at " + dll);
        Start("dotnet", [dll, "--urls", BaseUrl, "--Balancer:HealthCheckInterval", "00:00:01",
            .. destinations.SelectMany((d, i) => new[] { $"--Balancer:Destinations:{i}", d })]);
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
        await WaitAsync(async () => (await http.GetAsync($"{BaseUrl}/healthz")).IsSuccessStatusCode, "the balancer", TimeSpan.FromSeconds(60));
    }
}

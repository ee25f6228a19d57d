using Npgsql;
using StackExchange.Redis;

namespace StyleBlazor.Tests.Distributed;

/// <summary>
/// The topology of deploy/compose.yaml as processes on this machine: Redis, PostgreSQL, two workers (one torch thread
/// each), two web nodes on a shared data directory, and tools/Balancer in front. Started once for the distributed tests;
/// a test that stops a part starts it again. Everything is stopped by pid at the end, also when a test failed.
/// </summary>
public sealed class Deployment : IAsyncLifetime
{
    public string Folder { get; } = Directory.CreateTempSubdirectory("styleblazor-deployment-").FullName;
    public string Prefix { get; } = "test-" + Guid.NewGuid().ToString("N")[..8];
    public string SharedData => Path.Combine(Folder, "shared");

    public RedisServer Redis { get; }
    public PostgresServer Postgres { get; }
    public NodeProcess Worker1 { get; private set; } = null!;
    public NodeProcess Worker2 { get; private set; } = null!;
    public NodeProcess Web1 { get; private set; } = null!;
    public NodeProcess Web2 { get; private set; } = null!;
    public BalancerProcess Balancer { get; private set; } = null!;

    /// <summary>A worker takes over a job whose worker stopped renewing its claim for this long.</summary>
    public static readonly TimeSpan LeaseTimeout = TimeSpan.FromSeconds(6);

    /// <summary>How long a job tries to store its result while PostgreSQL is down.</summary>
    public static readonly TimeSpan StoreRetryTime = TimeSpan.FromSeconds(12);

    ConnectionMultiplexer? _redisClient;

    public Deployment()
    {
        // Temporary folders are private to their owner; PostgreSQL's server runs as its own user and must get in.
        if (OperatingSystem.IsLinux()) File.SetUnixFileMode(Folder, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute |
            UnixFileMode.GroupRead | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute);
        Redis = new RedisServer(Path.Combine(Folder, "redis"));
        Postgres = new PostgresServer(Path.Combine(Folder, "postgres"));
    }

    /// <summary>Opens /api/diagnostics through the balancer, which forwards from loopback (so only a key gets in).</summary>
    public const string DiagnosticsKey = "distributed-tests-diagnostics";

    IReadOnlyList<string> Settings =>
    [
        "--Diagnostics:KeySha256", StyleBlazor.Identity.ApiKeys.Sha256Hex(DiagnosticsKey),
        "--ConnectionStrings:Redis", Redis.ConnectionString,
        "--ConnectionStrings:Results", Postgres.ConnectionString,
        "--Node:RedisPrefix", Prefix,
        "--Results:DataDirectory", SharedData,
        "--Results:StoreRetryTime", StoreRetryTime.ToString(),
        "--Engine:CpuThreads", "1",
        "--Engine:LeaseTimeout", LeaseTimeout.ToString(),
        "--Engine:ReleaseFreedMemoryAfterIdle", "00:00:00",
        "--Frames:MaxFramesPerSecond", "10",
        "--Logging:LogLevel:Default", "Warning",
        "--Logging:LogLevel:StyleBlazor", "Information",
    ];

    public async Task InitializeAsync()
    {
        await Task.WhenAll(Redis.StartAsync(), Postgres.StartAsync());
        Worker1 = new NodeProcess("worker-1", "worker", Settings);
        Worker2 = new NodeProcess("worker-2", "worker", Settings);
        Web1 = new NodeProcess("web-1", "web", Settings);
        Web2 = new NodeProcess("web-2", "web", Settings);
        // One node first: it makes the schema, so the others only find it up to date.
        await Web1.StartAsync();
        await Task.WhenAll(Worker1.StartAsync(), Worker2.StartAsync(), Web2.StartAsync());
        Balancer = new BalancerProcess([Web1.BaseUrl, Web2.BaseUrl]);
        await Balancer.StartAsync();
    }

    /// <summary>A client of the deployment's Redis (what the nodes see), for looking at a job's shared state.</summary>
    public IDatabase RedisDb => (_redisClient ??= ConnectionMultiplexer.Connect($"{Redis.ConnectionString},abortConnect=false")).GetDatabase();

    public string JobKey(string jobId) => $"{Prefix}:job:{jobId}";

    /// <summary>How many results the shared database holds for a job.</summary>
    public Task<long> StoredResultsOfAsync(string jobId) =>
        ScalarOfJobAsync("""SELECT COUNT(*) FROM "Results" WHERE "JobId" = @job""", jobId);

    /// <summary>The bytes the shared database counts for a job's stored result.</summary>
    public Task<long> StoredBytesOfAsync(string jobId) =>
        ScalarOfJobAsync("""SELECT "StoredBytes" FROM "Results" WHERE "JobId" = @job""", jobId);

    async Task<long> ScalarOfJobAsync(string sql, string jobId)
    {
        // Not pooled: a pooled connection would not survive the tests' restarts of the server.
        await using var connection = new NpgsqlConnection(Postgres.ConnectionString + ";Pooling=false");
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        command.Parameters.AddWithValue("job", jobId);
        return (long)(await command.ExecuteScalarAsync())!;
    }

    /// <summary>Whichever node of the given ones is not running is started again (a test stopped it).</summary>
    public async Task RestoreAsync()
    {
        if (!Redis.IsRunning) await Redis.StartAsync();
        if (!Postgres.IsRunning) await Postgres.StartAsync();
        await Task.WhenAll(new[] { Worker1, Worker2, Web1, Web2 }.Where(n => !n.IsRunning).Select(n => n.StartAsync()));
    }

    /// <summary>What the nodes and the balancer logged since the last call.</summary>
    public string TakeLogs() => string.Join("\n", new ChildProcess[] { Worker1, Worker2, Web1, Web2, Balancer }
        .Where(p => p is not null).Select(p => $"--- {(p as NodeProcess)?.Name ?? "balancer"}:\n{p.TakeLog()}"));

    public async Task DisposeAsync()
    {
        _redisClient?.Dispose();
        foreach (var process in new ChildProcess?[] { Balancer, Web1, Web2, Worker1, Worker2, Redis })
            if (process is not null) await process.DisposeAsync();
        await Postgres.DisposeAsync();
        try { Directory.Delete(Folder, recursive: true); } catch (Exception e) when (e is IOException or UnauthorizedAccessException) { }
    }
}

/// <summary>The distributed tests share one deployment and run alone: they start and stop servers.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class DistributedCollection : ICollectionFixture<Deployment>, ICollectionFixture<EndToEnd.Browser>
{
    public const string Name = "Distributed";
}

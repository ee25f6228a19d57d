using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http.Connections;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.SignalR.Client;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using SixLabors.ImageSharp;
using StyleBlazor.Identity;
using StyleBlazor.Engine.Backbones;
using StyleBlazor.Tests.Engine.Transfer;
using StyleBlazor.Extensions;
using StyleBlazor.Hubs;
using StyleBlazor.Jobs;

namespace StyleBlazor.Tests.Support;

/// <summary>
/// The real app in memory with the tiny test backbones swapped in. Settings override appsettings.json, e.g.
/// <c>new StyleBlazorApplication(("Engine:QueueCapacity", "2"))</c>.
/// </summary>
public sealed class StyleBlazorApplication : WebApplicationFactory<Program>
{
    readonly (string Key, string Value)[] settings;
    readonly bool _ownsDataDirectory;

    /// <summary>An app on a fresh data directory of its own, removed with the app.</summary>
    public StyleBlazorApplication(params (string Key, string Value)[] settings)
        : this(Directory.CreateTempSubdirectory("styleblazor-app-").FullName, ownsDataDirectory: true, settings) { }

    /// <summary>
    /// An app on an existing data directory, which the caller keeps: two of these on the same directory, one after
    /// the other, are a restart.
    /// </summary>
    public StyleBlazorApplication(string dataDirectory, params (string Key, string Value)[] settings)
        : this(dataDirectory, ownsDataDirectory: false, settings) { }

    StyleBlazorApplication(string dataDirectory, bool ownsDataDirectory, (string Key, string Value)[] settings)
    {
        DataDirectory = dataDirectory;
        _ownsDataDirectory = ownsDataDirectory;
        this.settings = settings;
    }

    public TestBackboneCatalog Catalog { get; init; } = new();

    /// <summary>The address every connection comes from (<see cref="ConnectionFrom"/>); null: none, as the test server has.</summary>
    public string? ClientAddress { get; init; }

    /// <summary>What the app logged at Warning and above (the level these tests run it at).</summary>
    public CapturedLogs Logs { get; } = new();

    /// <summary>Where this app stores results.</summary>
    public string DataDirectory { get; }

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseEnvironment("Testing");
        builder.UseSetting("Engine:Device", "cpu");
        // 0 = all cores, torch's own default: the thread count is process-wide, and other tests in this run rely on it.
        builder.UseSetting("Engine:CpuThreads", "0");
        builder.UseSetting("Logging:LogLevel:Default", "Warning");
        builder.UseSetting("Results:DataDirectory", DataDirectory);
        // The shortest warm-up: a hundred apps start in this suite, and the longer one waits for the JIT to go quiet.
        builder.UseSetting("Engine:WarmUpSteps", "2");
        foreach (var (key, value) in settings) builder.UseSetting(key, value);
        builder.ConfigureLogging(logging => logging.AddProvider(Logs));
        builder.ConfigureTestServices(services =>
        {
            services.RemoveAll<IBackboneCatalog>();
            services.AddSingleton<IBackboneCatalog>(Catalog);
            if (ClientAddress is not null) services.AddSingleton<Microsoft.AspNetCore.Hosting.IStartupFilter>(new ConnectionFrom(ClientAddress));
        });
    }

    public JobRegistry Jobs => Services.GetRequiredService<JobRegistry>();

    public override async ValueTask DisposeAsync()
    {
        await base.DisposeAsync();
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools(); // pooled connections keep the database file open
        if (_ownsDataDirectory)
            try { Directory.Delete(DataDirectory, recursive: true); } catch (IOException) { }
    }

    public FrameStatistics FrameStatistics => Services.GetRequiredService<FrameStatistics>();

    /// <summary>A hub connection over WebSockets to the in-memory server, as the browser session <paramref name="sessionId"/>.</summary>
    /// <param name="beforeStart">Set up the connection before it starts (e.g. watch its Closed event).</param>
    public async Task<HubConnection> ConnectAsync(string sessionId, Action<HubConnection>? beforeStart = null)
    {
        var server = Server; // starts the host
        string cookie = $"{BrowserSession.CookieName}={sessionId}";
        var connection = new HubConnectionBuilder()
            .WithUrl(new Uri(server.BaseAddress, ProgressHub.Path.TrimStart('/')), o =>
            {
                o.Transports = HttpTransportType.WebSockets;
                o.HttpMessageHandlerFactory = _ => server.CreateHandler();
                o.Headers["Cookie"] = cookie;
                o.WebSocketFactory = async (context, cancellationToken) =>
                {
                    var client = server.CreateWebSocketClient();
                    client.ConfigureRequest = request => request.Headers.Cookie = cookie;
                    return await client.ConnectAsync(context.Uri, cancellationToken);
                };
            })
            .AddMessagePackProtocol()
            .Build();
        beforeStart?.Invoke(connection);
        await connection.StartAsync();
        return connection;
    }

    /// <summary>A submission of two small generated images to one of the test backbones.</summary>
    public static SubmitRequest TinyJob(string backbone = TestBackboneCatalog.Fast, int? iterations = null) => new()
    {
        Content = Png(40, 30, seed: 1),
        Styles = [Png(30, 30, seed: 2)],
        Options = new TransferSettings { Backbone = backbone, Iterations = iterations },
    };

    public static byte[] Png(int width, int height, int seed)
    {
        using var image = TestImages.Gradient(width, height, seed);
        using var stream = new MemoryStream();
        image.SaveAsPng(stream);
        return stream.ToArray();
    }

    /// <summary>Waits (polling) until <paramref name="condition"/> holds, or fails after <paramref name="seconds"/>.</summary>
    public static async Task Eventually(Func<bool> condition, string what, double seconds = 30)
    {
        var deadline = DateTime.UtcNow.AddSeconds(seconds);
        while (!condition())
        {
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"Timed out waiting for {what}.");
            await Task.Delay(10);
        }
    }
}

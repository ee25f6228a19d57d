using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using StyleBlazor.Results;

namespace StyleBlazor.Tests.Results;

/// <summary>
/// The app on a real SQLite file in a data directory the test owns. Two of these on the same directory, one after
/// the other, are a restart.
/// </summary>
public sealed class ResultsApplication(string dataDirectory, FakeTimeProvider? time = null, IDictionary<string, string?>? settings = null)
    : WebApplicationFactory<Program>
{
    public FakeTimeProvider Time { get; } = time ?? new FakeTimeProvider(DateTimeOffset.UtcNow);

    public ResultStore Store => Services.GetRequiredService<ResultStore>();
    public IJobResultSink Sink => Services.GetRequiredService<IJobResultSink>();
    public ResultFiles Files => Services.GetRequiredService<ResultFiles>();

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseSetting("Results:DataDirectory", dataDirectory);
        builder.UseSetting("Engine:WarmUpSteps", "2"); // the shortest warm-up, as StyleBlazorApplication's
        foreach (var (key, value) in settings ?? new Dictionary<string, string?>()) builder.UseSetting(key, value);
        builder.ConfigureTestServices(services => services.AddSingleton<TimeProvider>(Time));
    }

    /// <summary>This app with every connection coming from <paramref name="remoteAddress"/> (<see cref="Support.ConnectionFrom"/>).</summary>
    public WebApplicationFactory<Program> ConnectingFrom(string remoteAddress) => WithWebHostBuilder(web => web.ConfigureTestServices(services =>
        services.AddSingleton<Microsoft.AspNetCore.Hosting.IStartupFilter>(new Support.ConnectionFrom(remoteAddress))));

    public HttpClient CreateBrowser(string? session = null)
    {
        var client = CreateClient(new WebApplicationFactoryClientOptions { AllowAutoRedirect = false });
        if (session is not null) client.DefaultRequestHeaders.Add("Cookie", $"{StyleBlazor.Identity.BrowserSession.CookieName}={session}");
        return client;
    }

    public override async ValueTask DisposeAsync()
    {
        await base.DisposeAsync();
        SqliteConnection.ClearAllPools(); // pooled connections keep the database file open
    }
}

/// <summary>A temporary folder holding a data directory ("data") and, beside it, files the app must never serve.</summary>
public sealed class TempDataDirectory : IDisposable
{
    public TempDataDirectory()
    {
        Root = Path.Combine(Path.GetTempPath(), "styleblazor-results-" + Guid.NewGuid().ToString("N"));
        DataDirectory = Path.Combine(Root, "data");
        Directory.CreateDirectory(DataDirectory);
    }

    public string Root { get; }
    public string DataDirectory { get; }

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        try { Directory.Delete(Root, recursive: true); } catch (IOException) { }
    }
}

using System.Threading.RateLimiting;
using Microsoft.AspNetCore.RateLimiting;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.DependencyInjection.Extensions;
using StyleBlazor.Results;

// In the hosting namespace, as eShop does for its extensions, so Program.cs needs no using for them.
namespace Microsoft.Extensions.Hosting;

public static class ResultsServiceExtensions
{
    public const string PagePolicy = "results-page";

    /// <summary>The result store (SQLite + files), its cleanup service, and the rate limits of share links.</summary>
    public static WebApplicationBuilder AddResults(this WebApplicationBuilder builder)
    {
        var services = builder.Services;
        services.AddOptions<ResultsOptions>()
            .BindConfiguration(ResultsOptions.Section)
            .ValidateDataAnnotations()
            .ValidateOnStart();

        services.TryAddSingleton(TimeProvider.System);
        services.AddHttpContextAccessor();
        services.AddSingleton<ResultFiles>();
        // PostgreSQL when a connection string names one (several nodes), else SQLite in the data directory (one box).
        if (builder.Configuration.GetConnectionString(ResultsOptions.ConnectionStringName) is { Length: > 0 } postgres)
        {
            // A restarted server leaves broken connections in the pool: a failed command is tried again on a new one.
            services.AddDbContextFactory<PostgresResultsDb>(db => db.UseNpgsql(postgres,
                npgsql => npgsql.EnableRetryOnFailure(maxRetryCount: 3, maxRetryDelay: TimeSpan.FromSeconds(1), errorCodesToAdd: null)));
            services.AddSingleton<IDbContextFactory<ResultsDb>, ResultsDbFactory<PostgresResultsDb>>();
        }
        else
        {
            services.AddDbContextFactory<SqliteResultsDb>((sp, db) =>
                db.UseSqlite($"Data Source={sp.GetRequiredService<ResultFiles>().DatabasePath}"));
            services.AddSingleton<IDbContextFactory<ResultsDb>, ResultsDbFactory<SqliteResultsDb>>();
        }
        services.AddSingleton<ResultStore>();
        services.AddSingleton<IJobResultSink>(sp => sp.GetRequiredService<ResultStore>());
        services.AddHostedService<ResultsSchema>();
        services.AddHostedService<ResultCleanupService>();


        services.AddRateLimiter(limiter =>
        {
            limiter.RejectionStatusCode = StatusCodes.Status429TooManyRequests;
            // Partitioned by client IP: slows down anyone guessing tokens and anyone scraping shared images.
            limiter.AddPolicy(PagePolicy, context =>
            {
                var options = context.RequestServices.GetRequiredService<IOptions<ResultsOptions>>().Value;
                return RateLimitPartition.GetFixedWindowLimiter(ClientAddress(context), _ => new FixedWindowRateLimiterOptions
                {
                    PermitLimit = options.PageRequestsPerMinute,
                    Window = TimeSpan.FromMinutes(1),
                });
            });
            limiter.AddPolicy(ResultEndpoints.DownloadPolicy, context =>
            {
                var options = context.RequestServices.GetRequiredService<IOptions<ResultsOptions>>().Value;
                return RateLimitPartition.GetTokenBucketLimiter(ClientAddress(context), _ => new TokenBucketRateLimiterOptions
                {
                    TokenLimit = options.DownloadBurst,
                    TokensPerPeriod = options.DownloadRequestsPerSecond,
                    ReplenishmentPeriod = TimeSpan.FromSeconds(1),
                });
            });
        });
        return builder;
    }

    /// <summary>
    /// Rate limiting, the share-link middleware (status codes and headers of /r/…) and the download endpoints. Call
    /// before <c>MapRazorComponents</c>, so the middleware runs in front of the result page.
    /// </summary>
    public static WebApplication MapResults(this WebApplication app)
    {
        app.UseRateLimiter();
        app.UseMiddleware<ShareLinkMiddleware>();
        app.MapResultDownloads();
        app.MapOwnerThumbnails();
        return app;
    }

    // Behind a reverse proxy, the client's own address only when the proxy is listed in ForwardedHeaders (TrustedProxies).
    private static string ClientAddress(HttpContext context) => context.Connection.RemoteIpAddress?.ToString() ?? "unknown";
}

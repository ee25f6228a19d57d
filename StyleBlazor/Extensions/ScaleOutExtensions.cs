using Microsoft.AspNetCore.DataProtection;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;
using StackExchange.Redis;
using StyleBlazor.Jobs;
using StyleBlazor.Results;
using StyleBlazor.ScaleOut;

namespace StyleBlazor.Extensions;

/// <summary>Several nodes on Redis and a shared database and data directory (docs/scale-out.md); one box needs none of it.</summary>
public static class ScaleOutExtensions
{
    /// <summary>This node's role and Redis, read once and validated at start (a web or worker node needs Redis).</summary>
    public static NodeOptions AddNode(this IHostApplicationBuilder builder)
    {
        var node = builder.Configuration.GetSection(NodeOptions.Section).Get<NodeOptions>() ?? new();
        node.RedisConnectionString = builder.Configuration.GetConnectionString("Redis") is { Length: > 0 } redis ? redis : null;
        if (!builder.Services.Any(d => d.ServiceType == typeof(IConfigureOptions<NodeOptions>)))
            builder.Services.AddOptions<NodeOptions>().BindConfiguration(NodeOptions.Section)
                .Configure(o => o.RedisConnectionString = node.RedisConnectionString)
                .ValidateDataAnnotations().ValidateOnStart();
        return node;
    }

    /// <summary>
    /// The queue, the job updates and the cancels through Redis (<see cref="RedisJobStore"/>), and the Data Protection
    /// keys there too, so cookies and antiforgery tokens made by one node are read by another.
    /// </summary>
    public static IHostApplicationBuilder AddSharedQueue(this IHostApplicationBuilder builder)
    {
        var node = builder.AddNode();
        var services = builder.Services;
        // Never fails at start: a node comes up while Redis is down and connects when it is back.
        var configuration = ConfigurationOptions.Parse(node.RedisConnectionString!);
        configuration.AbortOnConnectFail = false;
        var redis = ConnectionMultiplexer.Connect(configuration);
        services.AddSingleton<IConnectionMultiplexer>(redis);
        services.AddSingleton<RedisJobStore>();
        services.AddSingleton<IJobBoard, RedisJobBoard>();
        services.AddSingleton<IJobFeed, RedisJobFeed>();
        services.AddSingleton<IJobSource, RedisJobSource>();
        services.AddDataProtection().PersistKeysToStackExchangeRedis(redis, $"{node.RedisPrefix}:data-protection-keys");
        return builder;
    }

    /// <summary>One application name for every node (its Data Protection keys' purpose), and the health checks.</summary>
    public static IHostApplicationBuilder AddNodeHealth(this IHostApplicationBuilder builder)
    {
        var node = builder.AddNode();
        builder.Services.AddDataProtection().SetApplicationName("StyleBlazor");
        var checks = builder.Services.AddHealthChecks()
            .AddCheck<ResultsDatabaseCheck>("database", tags: [Ready]);
        if (node.RedisConnectionString is not null) checks.AddCheck<RedisCheck>("redis", tags: [Ready]);
        if (node.RunsJobs) checks.AddCheck<BackboneCheck>("backbone", tags: [Ready]);
        return builder;
    }

    const string Ready = "ready";

    /// <summary><c>/healthz</c>: the process answers; <c>/readyz</c>: it can do its work (database, Redis, backbone loaded).</summary>
    public static IEndpointRouteBuilder MapNodeHealth(this IEndpointRouteBuilder endpoints)
    {
        endpoints.MapHealthChecks("/healthz", new() { Predicate = _ => false });
        endpoints.MapHealthChecks("/readyz", new() { Predicate = check => check.Tags.Contains(Ready) });
        return endpoints;
    }

    sealed class ResultsDatabaseCheck(IDbContextFactory<ResultsDb> dbFactory) : IHealthCheck
    {
        public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
        {
            await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
            return await db.Database.CanConnectAsync(cancellationToken)
                ? HealthCheckResult.Healthy($"{db.Database.ProviderName} answers")
                : HealthCheckResult.Unhealthy("The results database does not answer.");
        }
    }

    sealed class RedisCheck(IConnectionMultiplexer redis) : IHealthCheck
    {
        public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
        {
            try { return HealthCheckResult.Healthy($"Redis answers in {(await redis.GetDatabase().PingAsync()).TotalMilliseconds:0.#} ms"); }
            catch (Exception e) when (e is RedisException or TimeoutException) { return HealthCheckResult.Unhealthy("Redis does not answer.", e); }
        }
    }

    sealed class BackboneCheck(BackboneHost host, IOptions<NodeOptions> node) : IHealthCheck
    {
        public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default) =>
            Task.FromResult(host.LoadedBackbones.Count > 0
                ? HealthCheckResult.Healthy($"{string.Join(", ", host.LoadedBackbones)} loaded on {host.Device} ({node.Value.NodeName})")
                : HealthCheckResult.Unhealthy("No backbone is loaded yet."));
    }
}

using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Components.Server.Circuits;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using StyleBlazor.Engine;
using StyleBlazor.Engine.Backbones;
using StyleBlazor.Engine.Imaging;
using StyleBlazor.Api;
using StyleBlazor.Hubs;
using StyleBlazor.Identity;
using StyleBlazor.Jobs;
using StyleBlazor.ScaleOut;
using StyleBlazor.Studio;
using Microsoft.AspNetCore.SignalR;
using Microsoft.AspNetCore.SignalR.StackExchangeRedis;
using StackExchange.Redis;
using static TorchSharp.torch;
using HttpResults = Microsoft.AspNetCore.Http.Results; // StyleBlazor.Results is a namespace here

namespace StyleBlazor.Extensions;

/// <summary>One registration method per concern; Program.cs reads as their table of contents.</summary>
public static class Extensions
{
    /// <summary>
    /// The job pipeline for this node's role (<see cref="NodeOptions"/>): submission, the job feed and results for a node
    /// that serves the UI; the backbone host (device, torch threads, warm-up) and the job runner for one that runs jobs.
    /// The queue and the feed are this process's, or shared through Redis when <c>ConnectionStrings:Redis</c> is set.
    /// </summary>
    public static IHostApplicationBuilder AddStyleEngine(this IHostApplicationBuilder builder)
    {
        var services = builder.Services;
        var node = builder.AddNode();
        services.AddOptions<EngineOptions>().BindConfiguration(EngineOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.AddOptions<FrameOptions>().BindConfiguration(FrameOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.AddOptions<SubmissionLimitOptions>().BindConfiguration(SubmissionLimitOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.AddOptions<DiagnosticsOptions>().BindConfiguration(DiagnosticsOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.TryAddSingleton(TimeProvider.System);
        builder.AddBackboneCatalog();
        builder.AddImageIntake();

        // This process's jobs: all of them on one box, the ones it runs on a worker.
        services.AddSingleton<JobEvents>();
        services.AddSingleton<JobRegistry>();
        services.AddSingleton<JobFeed>();
        services.AddSingleton<FrameStatistics>();
        if (node.RedisConnectionString is null)
        {
            services.AddSingleton<JobQueue>();
            services.AddSingleton<IJobBoard, LocalJobBoard>();
            services.AddSingleton<IJobSource, LocalJobSource>();
            services.AddSingleton<IJobFeed>(sp => sp.GetRequiredService<JobFeed>());
        }
        else builder.AddSharedQueue();

        if (node.ServesUi)
        {
            services.AddSingleton<SubmissionRateLimiter>();
            services.AddSingleton<JobSubmission>();
            services.AddSingleton<JobIntake>();
            services.AddSingleton<JobResults>();
            services.AddSingleton<OwnerPresence>();
            services.AddScoped<CircuitHandler, OwnerPresenceCircuitHandler>();
            services.AddSingleton<OpenCircuits>();
            services.AddSingleton<OpenHubConnections>();
            services.AddScoped<CircuitAdmission>();
            services.AddScoped<CircuitHandler, CircuitLimitHandler>();
            // The studio's view of the pipeline; replaces its stand-in whichever of the two registers first.
            services.Replace(ServiceDescriptor.Singleton<IStudioJobs, StudioJobs>());
            builder.AddOwners();
        }
        if (node.RunsJobs)
        {
            // Read ahead of the options: libgomp reads its waits once, when libtorch loads, and resolving the services
            // loads it (BackboneHost logs the outcome).
            services.AddSingleton(OpenMpWaits.Apply(builder.Configuration.GetSection(EngineOptions.Section)
                .GetValue(nameof(EngineOptions.OpenMpWait), new EngineOptions().OpenMpWait)));
            services.AddSingleton<FrameEncoder>();
            services.AddSingleton<PaceMemory>();
            // The host starts first (warm-up before the app serves) and stops last (after the runner's jobs have ended).
            services.AddSingleton<BackboneHost>();
            services.AddHostedService(sp => sp.GetRequiredService<BackboneHost>());
            services.AddHostedService<JobRunner>();
        }
        return builder;
    }

    /// <summary>
    /// Who owns what a request does: the browser-session cookie (<see cref="BrowserSessionMiddleware"/>), API keys for
    /// the HTTP API (<see cref="ApiKeys"/>), and <see cref="CurrentOwner"/> for requests and circuits alike.
    /// </summary>
    public static IHostApplicationBuilder AddOwners(this IHostApplicationBuilder builder)
    {
        var services = builder.Services;
        if (services.Any(d => d.ServiceType == typeof(CurrentOwner))) return builder;
        services.AddHttpContextAccessor();
        services.AddScoped<CurrentOwner>();
        services.AddScoped<CircuitHandler, CurrentOwnerCircuitHandler>();
        services.AddOptions<ApiOptions>().BindConfiguration(ApiOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.AddAuthentication().AddScheme<AuthenticationSchemeOptions, ApiKeyAuthenticationHandler>(ApiKeys.Scheme, null);
        services.AddAuthorizationBuilder().AddPolicy(ApiKeys.Policy, policy => policy
            .AddAuthenticationSchemes(ApiKeys.Scheme)
            .RequireAuthenticatedUser());
        return builder;
    }

    /// <summary>The HTTP API's JSON (camelCase, enums as words) and its OpenAPI document.</summary>
    public static IHostApplicationBuilder AddJobApi(this IHostApplicationBuilder builder)
    {
        builder.Services.ConfigureHttpJsonOptions(o => o.SerializerOptions.Converters.Add(new JsonStringEnumConverter(JsonNamingPolicy.CamelCase)));
        builder.Services.AddOpenApi();
        return builder;
    }

    /// <summary>
    /// The backbones this server offers: the embedded ResNet18 always, VGG19 when <c>Backbones:Vgg19WeightsFile</c> names
    /// a weights file or one is found in <c>Backbones:ModelsDirectory</c> (paths relative to the content root).
    /// </summary>
    public static IHostApplicationBuilder AddBackboneCatalog(this IHostApplicationBuilder builder)
    {
        builder.Services.TryAddSingleton<IBackboneCatalog>(sp =>
        {
            var section = builder.Configuration.GetSection("Backbones");
            string? Rooted(string? path) => string.IsNullOrWhiteSpace(path) ? null : Path.Combine(builder.Environment.ContentRootPath, path);
            return new BackboneCatalog(new BackboneCatalogOptions
            {
                WeightsFile = Rooted(section["Vgg19WeightsFile"]),
                ModelsDirectory = Rooted(section["ModelsDirectory"] ?? "models"),
                AllowRandomVgg19 = section.GetValue<bool>("AllowRandomVgg19"),
                Default = section["Default"],
            }.WithPrecision(section["Precision"], "Backbones:Precision"));
        });
        return builder;
    }

    /// <summary>
    /// The engine's one way from untrusted upload bytes to an image, with its limits from <c>ImageIntake</c>, for the
    /// Studio, the hub and the HTTP API alike: one decode budget for the process, and pictures kept at no more than
    /// twice <see cref="EngineOptions.MaxSide"/> (room for a style picture's detail at the largest working size).
    /// </summary>
    public static IHostApplicationBuilder AddImageIntake(this IHostApplicationBuilder builder)
    {
        // Both the engine and the studio UI ask for it; register once.
        if (builder.Services.Any(d => d.ServiceType == typeof(ImageIntake))) return builder;
        builder.Services.AddOptions<ImageIntakeOptions>().BindConfiguration(ImageIntakeOptions.SectionName)
            .Validate(o => { o.Validate(); return true; }).ValidateOnStart();
        builder.Services.TryAddSingleton(sp => new ImageIntake(sp.GetRequiredService<IOptions<ImageIntakeOptions>>().Value,
            keepSide: 2 * sp.GetRequiredService<IOptions<EngineOptions>>().Value.MaxSide, sp.GetService<TimeProvider>()));
        return builder;
    }

    /// <summary>
    /// SignalR with the MessagePack protocol, the relay from the job feed, and room in a message for a content and every
    /// allowed style. With Redis, the Redis backplane too: hub calls addressed to a connection, a user or a group reach
    /// whichever node holds it (job updates do not go that way: each node relays its own watchers from the job feed).
    /// </summary>
    public static IHostApplicationBuilder AddProgressHub(this IHostApplicationBuilder builder)
    {
        // AddHubOptions runs after SignalR copies the global options onto each hub's, so this limit is not overwritten.
        var intake = builder.Configuration.GetSection(ImageIntakeOptions.SectionName).Get<ImageIntakeOptions>() ?? new();
        var engine = builder.Configuration.GetSection(EngineOptions.Section).Get<EngineOptions>() ?? new();
        var signalR = builder.Services.AddSignalR()
            .AddHubOptions<ProgressHub>(hub => hub.MaximumReceiveMessageSize = (1 + engine.MaxStyles) * intake.MaxBytes + 64 * 1024)
            .AddMessagePackProtocol();
        var node = builder.AddNode();
        if (node.RedisConnectionString is { } redis)
        {
            signalR.AddStackExchangeRedis(redis, o =>
            {
                o.Configuration.ChannelPrefix = RedisChannel.Literal($"{node.RedisPrefix}:signalr");
                o.Configuration.AbortOnConnectFail = false;
            });
            // The progress hub only: Blazor's own circuits stay on their node (session affinity) and must keep working
            // while Redis is away, so they keep the in-process lifetime manager.
            var forEveryHub = builder.Services.Single(d => d.ServiceType == typeof(HubLifetimeManager<>) && d.ImplementationType == typeof(RedisHubLifetimeManager<>));
            builder.Services.Remove(forEveryHub);
            builder.Services.AddSingleton<HubLifetimeManager<ProgressHub>, RedisHubLifetimeManager<ProgressHub>>();
        }
        builder.Services.AddSingleton<ProgressRelay>();
        return builder;
    }

    public static IApplicationBuilder UseBrowserSessions(this IApplicationBuilder app) => app.UseMiddleware<BrowserSessionMiddleware>();

    /// <summary>A page load over the tab limit gets a page that says so and starts no circuit (<see cref="CircuitLimitPage"/>); after the sessions.</summary>
    public static IApplicationBuilder UseCircuitLimitPage(this IApplicationBuilder app) => app.UseMiddleware<CircuitLimitPage>();

    /// <summary>CSP, nosniff, referrer policy and frame ban on every response; call first, so nothing escapes them.</summary>
    public static IApplicationBuilder UseSecurityHeaders(this IApplicationBuilder app) => app.UseMiddleware<SecurityHeadersMiddleware>();

    /// <summary>The hub, the HTTP API with its OpenAPI document, and the diagnostics the load command reads (<see cref="DiagnosticsAccess"/>).</summary>
    public static IEndpointRouteBuilder MapStyleEngineEndpoints(this IEndpointRouteBuilder endpoints)
    {
        endpoints.MapHub<ProgressHub>(ProgressHub.Path);
        endpoints.MapJobApi();
        endpoints.MapOpenApi();

        endpoints.MapGet("/api/diagnostics", async (HttpContext context, IOptions<DiagnosticsOptions> access, FrameStatistics frames,
            JobRegistry jobs, IJobBoard board, ProgressRelay relay, IOptions<NodeOptions> node, IServiceProvider services) =>
        {
            if (!DiagnosticsAccess.IsAllowed(context, access.Value)) return HttpResults.NotFound();
            using var process = System.Diagnostics.Process.GetCurrentProcess();
            var engine = services.GetService<BackboneHost>(); // none on a web node
            return HttpResults.Ok(new DiagnosticsReport(
                Node: node.Value.NodeName,
                RssBytes: process.WorkingSet64,
                GcHeapBytes: GC.GetTotalMemory(forceFullCollection: false),
                GcCommittedBytes: GC.GetGCMemoryInfo().TotalCommittedBytes,
                LiveTensors: engine is null ? 0 : Tensor.TotalCount,
                Allocator: NativeHeap.Active.ToString(),
                MemoryReleases: engine?.MemoryReleases ?? 0,
                MatrixLibrary: engine is null ? "" : MatrixLibrary.CodePath.ToString(),
                Device: engine?.Device.ToString() ?? "none (web node)",
                Jobs: jobs.Count,
                Queued: await board.WaitingAsync(),
                Watchers: relay.WatcherCount,
                FramesEncoded: frames.Encoded,
                FramesSupersededBeforeEncoding: frames.SupersededBeforeEncoding,
                FramesSent: frames.Sent,
                FramesCoalesced: frames.Coalesced,
                ContentTargetBytes: engine?.ContentTargets.Bytes ?? 0,
                ContentTargetsReused: engine?.ContentTargets.Counts.Reused ?? 0,
                ContentTargetsMade: engine?.ContentTargets.Counts.Made ?? 0));
        }).ExcludeFromDescription();
        return endpoints;
    }
}

/// <summary>
/// What /api/diagnostics reports: which node answers, memory (with the native allocator and how often the idle engine handed freed memory
/// back), MKL's code path (<see cref="MklCodePath"/>), live tensors, jobs, frame counters, and the content targets kept
/// between jobs (<see cref="Engine.Transfer.ContentTargetCache"/>: their bytes, and how many jobs took instead of making, and made).
/// </summary>
public sealed record DiagnosticsReport(
    string Node,
    long RssBytes,
    long GcHeapBytes,
    long GcCommittedBytes,
    long LiveTensors,
    string Allocator,
    int MemoryReleases,
    string MatrixLibrary,
    string Device,
    int Jobs,
    int Queued,
    int Watchers,
    long FramesEncoded,
    long FramesSupersededBeforeEncoding,
    long FramesSent,
    long FramesCoalesced,
    long ContentTargetBytes,
    long ContentTargetsReused,
    long ContentTargetsMade);

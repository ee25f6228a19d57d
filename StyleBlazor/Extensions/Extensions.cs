using Microsoft.AspNetCore.Components.Server.Circuits;
using Microsoft.AspNetCore.SignalR;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using StyleBlazor.Engine;
using StyleBlazor.Engine.Backbones;
using StyleBlazor.Engine.Imaging;
using StyleBlazor.Hubs;
using StyleBlazor.Jobs;
using StyleBlazor.Studio;
using static TorchSharp.torch;
using HttpResults = Microsoft.AspNetCore.Http.Results; // StyleBlazor.Results is a namespace here

namespace StyleBlazor.Extensions;

/// <summary>One registration method per concern; Program.cs reads as their table of contents.</summary>
public static class Extensions
{
    /// <summary>The hosted engine: options, the job queue and registry, submission, frames and the engine service.</summary>
    public static IHostApplicationBuilder AddStyleEngine(this IHostApplicationBuilder builder)
    {
        var services = builder.Services;
        services.AddOptions<EngineOptions>().BindConfiguration(EngineOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.AddOptions<FrameOptions>().BindConfiguration(FrameOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.AddOptions<SubmissionLimitOptions>().BindConfiguration(SubmissionLimitOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.TryAddSingleton(TimeProvider.System);

        services.AddSingleton<JobEvents>();
        services.AddSingleton<SubmissionRateLimiter>();
        services.AddSingleton<JobQueue>();
        services.AddSingleton<JobRegistry>();
        services.AddSingleton<JobSubmission>();
        services.AddSingleton<FrameEncoder>();
        services.AddSingleton<FrameStatistics>();
        services.AddSingleton<OwnerPresence>();
        services.AddScoped<CircuitHandler, OwnerPresenceCircuitHandler>();
        services.AddSingleton<OpenCircuits>();
        services.AddScoped<CircuitAdmission>();
        services.AddScoped<CircuitHandler, CircuitLimitHandler>();
        services.AddScoped<CurrentBrowserSession>();
        // The studio's view of the service; replaces its stand-in whichever of the two registers first.
        services.Replace(ServiceDescriptor.Singleton<IStudioJobs, StudioJobs>());

        builder.AddBackboneCatalog();
        builder.AddImageIntake();

        services.AddSingleton<StyleEngineService>();
        services.AddHostedService(sp => sp.GetRequiredService<StyleEngineService>());
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
                ReducedPrecision = BackboneCatalogOptions.ParsePrecision(section["Precision"], "Backbones:Precision"),
            });
        });
        return builder;
    }

    /// <summary>The engine's one way from untrusted upload bytes to an image, with its limits from <c>ImageIntake</c>.</summary>
    public static IHostApplicationBuilder AddImageIntake(this IHostApplicationBuilder builder)
    {
        // Both the engine and the studio UI ask for it; register once.
        if (builder.Services.Any(d => d.ServiceType == typeof(ImageIntake))) return builder;
        builder.Services.AddOptions<ImageIntakeOptions>().BindConfiguration(ImageIntakeOptions.SectionName)
            .Validate(o => { o.Validate(); return true; }).ValidateOnStart();
        builder.Services.TryAddSingleton(sp => new ImageIntake(sp.GetRequiredService<IOptions<ImageIntakeOptions>>().Value));
        return builder;
    }

    /// <summary>SignalR with the MessagePack protocol, the progress relay, and room in a message for two uploads.</summary>
    public static IHostApplicationBuilder AddProgressHub(this IHostApplicationBuilder builder)
    {
        // A Submit carries a content and a style image (more styles need a larger limit). AddHubOptions runs after
        // SignalR copies the global options onto each hub's, so this limit is not overwritten.
        var intake = builder.Configuration.GetSection(ImageIntakeOptions.SectionName).Get<ImageIntakeOptions>() ?? new();
        builder.Services.AddSignalR()
            .AddHubOptions<ProgressHub>(hub => hub.MaximumReceiveMessageSize = 2 * intake.MaxBytes + 64 * 1024)
            .AddMessagePackProtocol();
        builder.Services.AddSingleton<ProgressRelay>();
        return builder;
    }

    public static IApplicationBuilder UseBrowserSessions(this IApplicationBuilder app) => app.UseMiddleware<BrowserSessionMiddleware>();

    /// <summary>CSP, nosniff, referrer policy and frame ban on every response; call first, so nothing escapes them.</summary>
    public static IApplicationBuilder UseSecurityHeaders(this IApplicationBuilder app) => app.UseMiddleware<SecurityHeadersMiddleware>();

    /// <summary>The hub, the result link of a completed job, and the diagnostics the load command reads.</summary>
    public static IEndpointRouteBuilder MapStyleEngineEndpoints(this IEndpointRouteBuilder endpoints)
    {
        endpoints.MapHub<ProgressHub>(ProgressHub.Path);

        endpoints.MapGet("/api/jobs/{jobId}/result", (string jobId, JobRegistry jobs) =>
            jobs.Find(jobId) is { State: JobState.Completed, Result: { } result }
                ? HttpResults.File(FrameEncoder.EncodePng(result.BestImage), "image/png")
                : HttpResults.NotFound());

        endpoints.MapGet("/api/diagnostics", (FrameStatistics frames, JobRegistry jobs, JobQueue queue, ProgressRelay relay, StyleEngineService engine) =>
        {
            using var process = System.Diagnostics.Process.GetCurrentProcess();
            return HttpResults.Ok(new DiagnosticsReport(
                RssBytes: process.WorkingSet64,
                GcHeapBytes: GC.GetTotalMemory(forceFullCollection: false),
                GcCommittedBytes: GC.GetGCMemoryInfo().TotalCommittedBytes,
                LiveTensors: Tensor.TotalCount,
                Allocator: NativeHeap.Active.ToString(),
                MemoryReleases: engine.MemoryReleases,
                MatrixLibrary: MatrixLibrary.CodePath.ToString(),
                Device: engine.Device.ToString(),
                Jobs: jobs.Count,
                Queued: queue.Count,
                Watchers: relay.WatcherCount,
                FramesEncoded: frames.Encoded,
                FramesSupersededBeforeEncoding: frames.SupersededBeforeEncoding,
                FramesSent: frames.Sent,
                FramesCoalesced: frames.Coalesced));
        });
        return endpoints;
    }
}

/// <summary>
/// What /api/diagnostics reports: memory (with the native allocator and how often the idle engine handed freed memory
/// back), MKL's code path (<see cref="MklCodePath"/>), live tensors, jobs and frame counters.
/// </summary>
public sealed record DiagnosticsReport(
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
    long FramesCoalesced);

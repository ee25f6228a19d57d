using System.Net.ServerSentEvents;
using System.Runtime.CompilerServices;
using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;
using Microsoft.Net.Http.Headers;
using Microsoft.OpenApi;
using StyleBlazor.Engine.Imaging;
using StyleBlazor.Identity;
using StyleBlazor.Jobs;
using StyleBlazor.Results;

namespace StyleBlazor.Api;

/// <summary>
/// The HTTP API for scripts and classrooms, on the same pipeline as the Studio and the hub: submit a job as multipart
/// form data, read its state, follow it as Server-Sent Events, fetch its frames and result, cancel it. Documented in the
/// README and served as OpenAPI at <c>/openapi/v1.json</c>.
/// </summary>
public static class JobApi
{
    public const string Path = "/api/jobs";

    const string FormMediaType = "multipart/form-data";

    /// <summary>The JSON of the <c>options</c> field and of every answer: camelCase, enums as lower-case words.</summary>
    internal static readonly JsonSerializerOptions OptionsJson = new(JsonSerializerDefaults.Web)
    {
        UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.CamelCase) },
    };

    /// <summary>
    /// The API's answers reach its callers as they are (a 404 stays a 404, a 401 keeps its problem details), never
    /// replaced by the not-found page the app's pages get. Call after <c>UseStatusCodePages…</c>.
    /// </summary>
    public static IApplicationBuilder UseJobApiStatusCodes(this IApplicationBuilder app) => app.Use((context, next) =>
    {
        if (context.Request.Path.StartsWithSegments(Path) && context.Features.Get<IStatusCodePagesFeature>() is { } pages) pages.Enabled = false;
        return next(context);
    });

    public static RouteGroupBuilder MapJobApi(this IEndpointRouteBuilder endpoints)
    {
        var api = endpoints.MapGroup(Path).WithTags("Jobs");
        if (endpoints.ServiceProvider.GetRequiredService<IOptions<ApiOptions>>().Value.RequireKey)
            api.RequireAuthorization(ApiKeys.Policy);

        // Ownership by cookie is SameSite=Lax, so another site's form cannot post as the user: no antiforgery token.
        // The form is described to OpenAPI by hand: Accepts<JobForm> would also let routing answer any other media type
        // with a bare 415 before SubmitAsync could say what to send.
        api.MapPost("/", SubmitAsync).DisableAntiforgery()
            .AddOpenApiOperationTransformer(async (operation, context, cancellationToken) => operation.RequestBody = new OpenApiRequestBody
            {
                Required = true,
                Content = new Dictionary<string, OpenApiMediaType>
                {
                    [FormMediaType] = new() { Schema = await context.GetOrCreateSchemaAsync(typeof(JobForm), cancellationToken: cancellationToken) },
                },
            })
            .WithSummary("Queue a style transfer")
            .WithDescription("Multipart form data: one `content` file, 1 to Engine:MaxStyles `style` files, and `options`: JSON whose field names are the stylize command's long flags in camelCase.");
        api.MapGet("/{id}", StatusAsync).WithSummary("A job's state");
        api.MapGet("/{id}/events", EventsAsync).WithSummary("The job's updates as Server-Sent Events (queued, started, progress, frame, ended)");
        api.MapGet("/{id}/frames/{iteration:int}", FrameAsync).RequireRateLimiting(ResultEndpoints.DownloadPolicy)
            .WithSummary("One of the job's newest frames, as its event named it");
        api.MapGet("/{id}/result.png", ResultAsync).RequireRateLimiting(ResultEndpoints.DownloadPolicy)
            .WithSummary("The finished job's picture (PNG, the working size)");
        api.MapDelete("/{id}", CancelAsync).WithSummary("Cancel your own job");
        return api;
    }

    /// <summary>For the OpenAPI description of <c>POST /api/jobs</c> only; the form is read by hand, so limits apply before it is.</summary>
    public sealed class JobForm
    {
        public required IFormFile Content { get; init; }
        public required IFormFileCollection Style { get; init; }
        public string? Options { get; init; }
    }

    static async Task<Results<Accepted<JobCreated>, ValidationProblem, ProblemHttpResult>> SubmitAsync(
        HttpContext context, JobIntake intake, CurrentOwner owner, IOptions<ImageIntakeOptions> images, IOptions<EngineOptions> engine,
        CancellationToken cancellationToken)
    {
        var request = context.Request;
        if (!request.HasFormContentType || !request.ContentType!.StartsWith(FormMediaType, StringComparison.OrdinalIgnoreCase))
            return TypedResults.Problem(
                (MediaTypeHeaderValue.TryParse(request.ContentType, out var sent) ? $"The body is {sent.MediaType}" : "The request names no media type") +
                $"; send {FormMediaType} with a 'content' file, 'style' files and an optional 'options' JSON field.",
                statusCode: StatusCodes.Status415UnsupportedMediaType);
        // The whole request may hold the content and every allowed style at their largest, and little else.
        long limit = (1 + engine.Value.MaxStyles) * images.Value.MaxBytes + 64 * 1024;
        if (request.ContentLength > limit)
            return TypedResults.Problem($"The request has {request.ContentLength} bytes; at most {limit} are read.", statusCode: StatusCodes.Status413PayloadTooLarge);
        if (context.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } bodySize) bodySize.MaxRequestBodySize = limit;
        context.Features.Set<IFormFeature>(new FormFeature(request, new FormOptions
        {
            MultipartBodyLengthLimit = limit,
            // Entries are cheap to count; the count of styles is checked below with a message that names it.
            ValueCountLimit = 256,
            ValueLengthLimit = 64 * 1024,
        }));

        IFormCollection form;
        try { form = await request.ReadFormAsync(cancellationToken); }
        catch (Exception ex) when (ex is InvalidDataException or BadHttpRequestException or IOException)
        {
            return TypedResults.Problem($"The form could not be read: {ex.Message}", statusCode: StatusCodes.Status400BadRequest);
        }

        var unknownField = form.Keys.Concat(form.Files.Select(f => f.Name)).FirstOrDefault(k => k is not ("content" or "style" or "options"));
        if (unknownField is not null) return Invalid(unknownField, $"Unknown form field '{unknownField}'; send 'content', 'style' and 'options'.");
        var contents = form.Files.GetFiles("content");
        if (contents.Count != 1) return Invalid("content", $"Send exactly one 'content' file (got {contents.Count}).");
        var styles = form.Files.GetFiles("style");
        // Counted before any file is read into memory, let alone decoded.
        if (styles.Count > engine.Value.MaxStyles)
            return Invalid("style", $"A job blends at most {engine.Value.MaxStyles} style images (got {styles.Count}).");

        var (settings, badField, problem) = ParseOptions(form["options"].ToString());
        if (settings is null) return Invalid(badField!, problem!);

        var result = await intake.SubmitAsync(owner.Requester, await ReadAsync(contents[0], cancellationToken),
            await Task.WhenAll(styles.Select(s => ReadAsync(s, cancellationToken))), settings, cancellationToken);
        if (result.JobId is { } id)
        {
            var created = new JobCreated(id, JobState.Queued, result.Position, Url(context, $"{Path}/{id}"),
                Url(context, $"{Path}/{id}/events"), Url(context, $"/watch/{id}"));
            return TypedResults.Accepted(created.StatusUrl, created);
        }
        if (result.RetryAfter is { } wait) context.Response.Headers.RetryAfter = ((int)Math.Ceiling(wait.TotalSeconds)).ToString();
        return result.Refusal switch
        {
            SubmissionRefusal.RateLimited or SubmissionRefusal.OwnerLimit =>
                TypedResults.Problem(result.Message, statusCode: StatusCodes.Status429TooManyRequests, title: "Too many jobs"),
            SubmissionRefusal.QueueFull or SubmissionRefusal.QueueUnavailable or SubmissionRefusal.ShuttingDown or SubmissionRefusal.Busy =>
                TypedResults.Problem(result.Message, statusCode: StatusCodes.Status503ServiceUnavailable, title: "The queue is unavailable"),
            _ => Invalid(FormField(result.Field), result.Message!),
        };
    }

    /// <summary>A refusal's field as the form names it: a file field, or an option under <c>options</c>.</summary>
    static string FormField(string? field) => field switch
    {
        null or "options" => "options",
        "content" or "style" => field,
        _ => $"options.{field}",
    };

    /// <summary>
    /// The <c>options</c> JSON: an object whose names are the CLI's long flags in camelCase (<see cref="TransferSettings"/>).
    /// An unknown name or a value of the wrong type is refused naming the field (<c>options.iterations</c>).
    /// </summary>
    internal static (TransferSettings? Settings, string? Field, string? Problem) ParseOptions(string json)
    {
        if (string.IsNullOrWhiteSpace(json)) return (new TransferSettings(), null, null);
        JsonDocument document;
        try { document = JsonDocument.Parse(json); }
        catch (JsonException) { return (null, "options", "The options are not valid JSON."); }
        using (document)
        {
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object) return (null, "options", """The options must be a JSON object, e.g. {"iterations": 200}.""");
            foreach (var property in root.EnumerateObject())
                if (!KnownOptions.Contains(property.Name, StringComparer.OrdinalIgnoreCase))
                {
                    var name = property.Name.Length > 64 ? property.Name[..64] + "…" : property.Name;
                    return (null, $"options.{name}", $"Unknown option '{name}'; the options are {string.Join(", ", KnownOptions)}.");
                }
            try { return (root.Deserialize<TransferSettings>(OptionsJson) ?? new TransferSettings(), null, null); }
            catch (JsonException ex)
            {
                var name = ex.Path?.TrimStart('$', '.') is { Length: > 0 } path ? path : "options";
                return (null, name == "options" ? name : $"options.{name}", $"The value of {name} has the wrong type (see the README's API options).");
            }
        }
    }

    static readonly string[] KnownOptions = [.. typeof(TransferSettings).GetProperties().Select(p => TransferSettingsRecipe.JsonName(p.Name))];

    static ValidationProblem Invalid(string field, string message) =>
        TypedResults.ValidationProblem(new Dictionary<string, string[]> { [field] = [message] }, title: message);

    static async Task<byte[]> ReadAsync(IFormFile file, CancellationToken cancellationToken)
    {
        using var buffer = new MemoryStream((int)file.Length);
        await file.CopyToAsync(buffer, cancellationToken);
        return buffer.ToArray();
    }

    static async Task<Results<Ok<JobStatus>, NotFound>> StatusAsync(string id, HttpContext context, IJobFeed feed, CancellationToken cancellationToken) =>
        await feed.SnapshotAsync(id, cancellationToken) is { } s ? TypedResults.Ok(JobStatus.Of(s, context)) : TypedResults.NotFound();

    static async Task<Results<ServerSentEventsResult<object>, NotFound>> EventsAsync(string id, HttpContext context, IJobFeed feed,
        CancellationToken cancellationToken)
    {
        // The first update (the snapshot) tells whether the job is known before the stream's headers go out.
        var updates = feed.WatchAsync(id, cancellationToken).GetAsyncEnumerator(cancellationToken);
        if (!await updates.MoveNextAsync())
        {
            await updates.DisposeAsync();
            return TypedResults.NotFound();
        }
        return TypedResults.ServerSentEvents(Events(id, context, updates));
    }

    static async IAsyncEnumerable<SseItem<object>> Events(string id, HttpContext context, IAsyncEnumerator<JobUpdate> updates)
    {
        await using var _ = updates;
        do
        {
            foreach (var item in Items(id, context, updates.Current)) yield return item;
        }
        while (await updates.MoveNextAsync());
    }

    /// <summary>
    /// A snapshot goes out as the updates it sums up, so a client handles one set of event types; each event's data is
    /// JSON without a type field (the event's name is its type), a frame as the URL to fetch it from.
    /// </summary>
    static IEnumerable<SseItem<object>> Items(string id, HttpContext context, JobUpdate update)
    {
        switch (update)
        {
            case JobUpdate.Snapshot s:
                if (s.State == JobState.Queued) yield return Item("queued", new { position = s.Position });
                else if (s.State == JobState.Running) yield return Item("started", new { attempt = s.Attempt });
                foreach (var loss in s.History) yield return Item("progress", loss);
                if (s.LatestFrame is { } latest) yield return Item("frame", FrameLink.Of(id, latest, context));
                if (s.IsFinished) yield return Item("ended", EndedEvent.Of(new JobUpdate.Ended(s.State, s.Message, s.ShareLink), context));
                break;
            case JobUpdate.Queued q: yield return Item("queued", new { position = q.Position }); break;
            case JobUpdate.Started st: yield return Item("started", new { attempt = st.Attempt }); break;
            case JobUpdate.Progress p: yield return Item("progress", p.Loss); break;
            case JobUpdate.Frame f: yield return Item("frame", FrameLink.Of(id, f, context)); break;
            case JobUpdate.Ended e: yield return Item("ended", EndedEvent.Of(e, context)); break;
        }
    }

    static SseItem<object> Item(string type, object data) => new(data, type);

    static async Task<Results<FileContentHttpResult, NotFound>> FrameAsync(string id, int iteration, IJobFeed feed, CancellationToken cancellationToken) =>
        await feed.FrameAsync(id, iteration, cancellationToken) is { } frame
            ? TypedResults.File(frame.Bytes, frame.ContentType)
            : TypedResults.NotFound();

    static async Task<IResult> ResultAsync(string id, JobResults results, CancellationToken cancellationToken) =>
        await results.PngAsync(id, cancellationToken) switch
        {
            { FilePath: { } path } => TypedResults.PhysicalFile(path, "image/png"),
            { Bytes: { } bytes } => TypedResults.File(bytes, "image/png"),
            _ => TypedResults.NotFound(),
        };

    static async Task<Results<Accepted, NotFound, Conflict<string>, ProblemHttpResult>> CancelAsync(string id, JobSubmission submission,
        CurrentOwner owner, CancellationToken cancellationToken) =>
        await submission.CancelAsync(id, owner.Id, cancellationToken) switch
        {
            CancelOutcome.Cancelled => TypedResults.Accepted($"{Path}/{id}"),
            CancelOutcome.AlreadyEnded => TypedResults.Conflict("The job has already ended."),
            CancelOutcome.Unavailable => TypedResults.Problem("The queue is unavailable right now; try again in a minute.",
                statusCode: StatusCodes.Status503ServiceUnavailable, title: "The queue is unavailable"),
            // Someone else's job, or none: the same answer, so a job's existence is not told to strangers.
            _ => TypedResults.NotFound(),
        };

    static string Url(HttpContext context, string path) => $"{context.Request.Scheme}://{context.Request.Host}{path}";

    /// <summary>The answer to a submission.</summary>
    public sealed record JobCreated(string Id, JobState Status, int Position, string StatusUrl, string EventsUrl, string WatchUrl);

    /// <summary>A job's state, with its newest loss and, once stored, its share link.</summary>
    public sealed record JobStatus(string Id, JobState Status, int Position, int Iteration, int Iterations,
        [property: JsonPropertyName("J")] double? J, string? ShareUrl, string? Error)
    {
        internal static JobStatus Of(JobUpdate.Snapshot s, HttpContext context) => new(s.JobId, s.State, s.Position,
            s.History.Count > 0 ? s.History[^1].Iteration : 0, s.Options.Iterations, s.History.Count > 0 ? s.History[^1].Total : null,
            s.ShareLink is { } link ? Url(context, link) : null, s.State is JobState.Completed ? null : s.Message);
    }

    /// <summary>A frame as the event stream names it: where to fetch it, not its bytes.</summary>
    public sealed record FrameLink(int Iteration, int Width, int Height, string ContentType, string Url)
    {
        internal static FrameLink Of(string id, JobUpdate.Frame f, HttpContext context) =>
            new(f.Iteration, f.Width, f.Height, f.ContentType, JobApi.Url(context, $"{Path}/{id}/frames/{f.Iteration}"));
    }

    /// <summary>The end, with the share link as an absolute URL.</summary>
    public sealed record EndedEvent(JobState State, string? Message, string? ShareUrl)
    {
        internal static EndedEvent Of(JobUpdate.Ended e, HttpContext context) =>
            new(e.State, e.Message, e.ShareLink is { } link ? Url(context, link) : null);
    }
}

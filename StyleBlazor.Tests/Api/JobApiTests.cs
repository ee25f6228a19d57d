using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;
using SixLabors.ImageSharp;
using StyleBlazor.Engine.Transfer;
using StyleBlazor.Identity;
using StyleBlazor.Jobs;
using StyleBlazor.Tests.Engine.Imaging;
using StyleBlazor.Tests.Support;
using static StyleBlazor.Tests.Support.StyleBlazorApplication;

namespace StyleBlazor.Tests.Api;

/// <summary>The HTTP API as a script uses it: real HTTP to the in-memory app, the session cookie kept between calls.</summary>
public class JobApiTests
{
    static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    static HttpClient NewCaller(StyleBlazorApplication app) =>
        app.CreateClient(new WebApplicationFactoryClientOptions { HandleCookies = true, AllowAutoRedirect = false });

    /// <summary>A multipart submission: one content file, the style files, and the options JSON when given.</summary>
    static MultipartFormDataContent Form(byte[] content, IEnumerable<byte[]> styles, string? options = null)
    {
        var form = new MultipartFormDataContent();
        static ByteArrayContent File(byte[] bytes)
        {
            var file = new ByteArrayContent(bytes);
            file.Headers.ContentType = new MediaTypeHeaderValue("image/png");
            return file;
        }
        form.Add(File(content), "content", "content.png");
        int i = 0;
        foreach (var style in styles) form.Add(File(style), "style", $"style-{i++}.png");
        if (options is not null) form.Add(new StringContent(options), "options");
        return form;
    }

    static MultipartFormDataContent TinyForm(string? options = null) => Form(Png(40, 30, seed: 1), [Png(30, 30, seed: 2)], options);

    static async Task<JsonElement> JsonOf(HttpResponseMessage response) =>
        JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;

    /// <summary>The Server-Sent Events of a stream, as (event, data) pairs, until the stream ends.</summary>
    static async Task<List<(string Event, JsonElement Data)>> ReadEventsAsync(HttpClient http, string url)
    {
        using var response = await http.GetAsync(url, HttpCompletionOption.ResponseHeadersRead);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/event-stream", response.Content.Headers.ContentType?.MediaType);
        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync());
        var events = new List<(string, JsonElement)>();
        string? type = null;
        while (await reader.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(60)) is { } line)
        {
            if (line.StartsWith("event: ")) type = line["event: ".Length..];
            else if (line.StartsWith("data: ")) events.Add((type!, JsonDocument.Parse(line["data: ".Length..]).RootElement.Clone()));
        }
        return events;
    }

    [Fact]
    public async Task AJobGoesFromTheFormToAPngOfItsWorkingSizeAndItsEventsComeQueuedStartedProgressEnded()
    {
        await using var app = new StyleBlazorApplication(("Frames:MaxFramesPerSecond", "60"));
        using var other = NewCaller(app);
        using var http = NewCaller(app);
        // Someone else's slow job holds the worker, so ours is seen waiting first.
        var blocker = await JsonOf(await other.PostAsync("/api/jobs",
            Form(Png(40, 30, seed: 3), [Png(30, 30, seed: 4)], """{"backbone": "tiny-slow", "iterations": 8}""")));
        await Eventually(() => app.Jobs.Find(blocker.GetProperty("id").GetString()!)!.State == JobState.Running, "the blocker to start");

        var submitted = await http.PostAsync("/api/jobs", TinyForm("""{"iterations": 12, "size": 32, "seed": 5}"""));

        Assert.Equal(HttpStatusCode.Accepted, submitted.StatusCode);
        var created = await JsonOf(submitted);
        var id = created.GetProperty("id").GetString()!;
        Assert.Equal(("queued", 1), (created.GetProperty("status").GetString(), created.GetProperty("position").GetInt32()));
        Assert.EndsWith($"/api/jobs/{id}", created.GetProperty("statusUrl").GetString());
        Assert.Equal(created.GetProperty("statusUrl").GetString(), submitted.Headers.Location?.ToString());
        Assert.EndsWith($"/watch/{id}", created.GetProperty("watchUrl").GetString());

        var events = await ReadEventsAsync(http, created.GetProperty("eventsUrl").GetString()!);

        var kinds = events.Select(e => e.Event).ToList();
        Assert.Equal("queued", kinds[0]);
        int started = kinds.IndexOf("started");
        Assert.True(started > 0 && kinds.Take(started).All(k => k == "queued"), string.Join(",", kinds));
        Assert.Equal("ended", kinds[^1]);
        Assert.Equal(Enumerable.Range(0, 13), events.Where(e => e.Event == "progress").Select(e => e.Data.GetProperty("iteration").GetInt32()));
        Assert.All(kinds.Skip(started + 1).SkipLast(1), k => Assert.Contains(k, new[] { "progress", "frame" }));
        var ended = events[^1].Data;
        Assert.Equal("completed", ended.GetProperty("state").GetString());
        Assert.Matches("/r/[A-Za-z0-9_-]{32}$", ended.GetProperty("shareUrl").GetString());
        var frame = events.Last(e => e.Event == "frame").Data;
        Assert.EndsWith($"/api/jobs/{id}/frames/{frame.GetProperty("iteration").GetInt32()}", frame.GetProperty("url").GetString());
        var frameBytes = await http.GetByteArrayAsync(frame.GetProperty("url").GetString());
        Assert.Equal([0xFF, 0xD8], frameBytes[..2]);

        var png = await http.GetAsync($"/api/jobs/{id}/result.png");
        Assert.Equal("image/png", png.Content.Headers.ContentType?.MediaType);
        using var image = Image.Load(await png.Content.ReadAsByteArrayAsync());
        // The working size: longest side 32, the test backbones' sides a multiple of 2.
        var working = ImageTensors.WorkingSize(40, 30, 32, multiple: 2);
        Assert.Equal((32, 24), (working.Width, working.Height));
        Assert.Equal((32, 24), (image.Width, image.Height));

        var status = await JsonOf(await http.GetAsync($"/api/jobs/{id}"));
        Assert.Equal(("completed", 12, 12), (status.GetProperty("status").GetString(), status.GetProperty("iteration").GetInt32(), status.GetProperty("iterations").GetInt32()));
        Assert.True(status.GetProperty("J").GetDouble() > 0);
        Assert.Equal(ended.GetProperty("shareUrl").GetString(), status.GetProperty("shareUrl").GetString());
        Assert.Equal(JsonValueKind.Null, status.GetProperty("error").ValueKind);
    }

    [Fact]
    public async Task FiftyTinyStyleFilesAreRefusedByCountBeforeAnyIsDecoded()
    {
        await using var app = new StyleBlazorApplication();
        using var http = NewCaller(app);
        await http.GetAsync("/api/jobs/warm-up"); // the first request's own costs are not the submission's
        // Each file is a few hundred bytes whose header claims 39.7 megapixels: decoding one would take ~160 MB.
        var claims40Megapixels = CraftedPng.ClaimingSize(6300, 6300);
        long before = MemoryInUse();

        var response = await http.PostAsync("/api/jobs", Form(Png(40, 30, seed: 1), Enumerable.Repeat(claims40Megapixels, 50)));

        long grown = MemoryInUse() - before;
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var problem = await JsonOf(response);
        Assert.Equal("A job blends at most 4 style images (got 50).", problem.GetProperty("errors").GetProperty("style")[0].GetString());
        Assert.True(grown < 100L << 20, $"memory grew by {grown >> 20} MiB");
        Assert.Equal(0, app.Jobs.Count);
    }

    [Fact]
    public async Task PicturesOverThePerRequestPixelBudgetAreRefusedFromTheirHeadersAlone()
    {
        await using var app = new StyleBlazorApplication();
        using var http = NewCaller(app);
        await http.GetAsync("/api/jobs/warm-up");
        var claims40Megapixels = CraftedPng.ClaimingSize(6400, 6200);
        long before = MemoryInUse();

        // Four styles are allowed; five pictures of 39.68 megapixels are not, together.
        var response = await http.PostAsync("/api/jobs", Form(claims40Megapixels, Enumerable.Repeat(claims40Megapixels, 4)));

        long grown = MemoryInUse() - before;
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var message = (await JsonOf(response)).GetProperty("errors").GetProperty("style")[0].GetString();
        Assert.Equal("The pictures of one job may have 80 megapixels together; these have 198.4. Send smaller pictures.", message);
        Assert.True(grown < 100L << 20, $"memory grew by {grown >> 20} MiB");
    }

    /// <summary>The process's memory as the kernel counts it, after a full collection (so only what is still held counts).</summary>
    static long MemoryInUse()
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
        using var process = Process.GetCurrentProcess();
        return Math.Max(process.WorkingSet64, GC.GetTotalMemory(forceFullCollection: true));
    }

    public static TheoryData<string, string, string> BadOptions => new()
    {
        { """{"iterations": "many"}""", "options.iterations", "The value of iterations has the wrong type" },
        { """{"colour": "blue"}""", "options.colour", "Unknown option 'colour'; the options are backbone, size, iterations," },
        { """{"iterations": 0}""", "options.iterations", "Iterations must be between 1 and 100000 (got 0)." },
        { """{"size": 100000}""", "options.size", "Image size must be between 16 and 8192 px (got 100000)." },
        { """{"init": "banana"}""", "options.init", "init must be one of content, noise, style (got 'banana')." },
        { """{"backbone": "alexnet"}""", "options.backbone", "Unknown backbone 'alexnet'; available: tiny" },
        { """{"backbone": "vgg19"}""", "options.backbone", "VGG19 needs a weights file, and this server has none (README, \"Backbones and where weights go\"); available: tiny" },
        { """{"styleScale": 3}""", "options.styleScale", "Style scale must be between 0.25 and 2 (got 3)." },
        { """{"styleScale": 0.1}""", "options.styleScale", "Style scale must be between 0.25 and 2 (got 0.1)." },
        { """{"styleWeights": [-1]}""", "options.styleWeights", "Style blend weights must be finite numbers ≥ 0." },
        { """{"styleWeights": [0]}""", "options.styleWeights", "Style blend weights must not all be zero." },
        { """{"styleWeights": [1, 1]}""", "options.styleWeights", "styleWeights has 2 weights for 1 style pictures: give one per style, in the same order." },
        { """{"styleWeights": "1,2"}""", "options.styleWeights", "The value of styleWeights has the wrong type" },
        { """{"preserveColors": "sepia"}""", "options.preserveColors", "preserveColors must be one of none, luminance, histogram (got 'sepia')." },
        { """{"optimizer": "sgd"}""", "options.optimizer", "optimizer must be one of adam, lbfgs (got 'sgd')." },
        { """{"optimizer": "lbfgs", "lr": 2}""", "options.lr", "lr is Adam's step size; L-BFGS takes its own step (leave lr out, or use optimizer adam)." },
        { """{"pooling": "mean"}""", "options.pooling", "pooling must be one of max, avg (got 'mean')." },
        { """{"pooling": "avg"}""", "options.pooling", "pooling avg is not available on tiny, which pools by max only" },
        { """[1, 2]""", "options", "The options must be a JSON object" },
        { """{"iterations": 12""", "options", "The options are not valid JSON." },
    };

    [Theory]
    [MemberData(nameof(BadOptions))]
    public async Task BadOptionsAreRefusedNamingTheField(string options, string field, string message)
    {
        await using var app = new StyleBlazorApplication();
        using var http = NewCaller(app);

        var response = await http.PostAsync("/api/jobs", TinyForm(options));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var errors = (await JsonOf(response)).GetProperty("errors");
        Assert.StartsWith(message, errors.GetProperty(field)[0].GetString());
        Assert.Equal(0, app.Jobs.Count);
    }

    [Fact]
    public async Task AFileTheIntakeRefusesIsABadRequestNamingItsField()
    {
        await using var app = new StyleBlazorApplication();
        using var http = NewCaller(app);

        var response = await http.PostAsync("/api/jobs", Form("GIF89a but not really"u8.ToArray(), [Png(30, 30, seed: 2)]));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.StartsWith("Content image: ", (await JsonOf(response)).GetProperty("errors").GetProperty("content")[0].GetString());
    }

    [Theory]
    [InlineData("application/json", "{}", "The body is application/json; send multipart/form-data")]
    [InlineData("application/x-www-form-urlencoded", "iterations=5", "The body is application/x-www-form-urlencoded; send multipart/form-data")]
    [InlineData(null, "", "The request names no media type; send multipart/form-data")]
    public async Task ABodyThatIsNotMultipartIs415SayingWhatToSend(string? mediaType, string body, string detail)
    {
        await using var app = new StyleBlazorApplication();
        using var http = NewCaller(app);
        var content = new StringContent(body);
        content.Headers.ContentType = mediaType is null ? null : new MediaTypeHeaderValue(mediaType);

        var response = await http.PostAsync("/api/jobs", content);

        Assert.Equal(HttpStatusCode.UnsupportedMediaType, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.StartsWith(detail, (await JsonOf(response)).GetProperty("detail").GetString());
        Assert.Equal(0, app.Jobs.Count);
    }

    [Fact]
    public async Task ACancelBySomeoneElseIsNotFoundAndTheJobRunsOnWhileItsOwnerCanCancel()
    {
        await using var app = new StyleBlazorApplication();
        using var owner = NewCaller(app);
        using var stranger = NewCaller(app);
        var first = await JsonOf(await owner.PostAsync("/api/jobs", TinyForm("""{"backbone": "tiny-slow", "iterations": 20}""")));
        var second = await JsonOf(await owner.PostAsync("/api/jobs", TinyForm("""{"backbone": "tiny-slow", "iterations": 400}""")));
        var (firstId, secondId) = (first.GetProperty("id").GetString()!, second.GetProperty("id").GetString()!);

        Assert.Equal(HttpStatusCode.NotFound, (await stranger.DeleteAsync($"/api/jobs/{firstId}")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await stranger.DeleteAsync("/api/jobs/no-such-job")).StatusCode);
        Assert.Equal(HttpStatusCode.Accepted, (await owner.DeleteAsync($"/api/jobs/{secondId}")).StatusCode);

        await Eventually(() => app.Jobs.Find(firstId)!.IsFinished, "the first job to end");
        Assert.Equal(JobState.Completed, app.Jobs.Find(firstId)!.State);
        Assert.Equal(JobState.Cancelled, app.Jobs.Find(secondId)!.State);
        Assert.Equal(HttpStatusCode.Conflict, (await owner.DeleteAsync($"/api/jobs/{firstId}")).StatusCode);
        Assert.Equal("cancelled", (await JsonOf(await stranger.GetAsync($"/api/jobs/{secondId}"))).GetProperty("status").GetString());
    }

    [Fact]
    public async Task OverTheRateLimitTheAnswerIs429WithRetryAfter()
    {
        await using var app = new StyleBlazorApplication(("Limits:SubmissionsPerMinutePerSession", "1"));
        using var http = NewCaller(app);

        Assert.Equal(HttpStatusCode.Accepted, (await http.PostAsync("/api/jobs", TinyForm())).StatusCode);
        var refused = await http.PostAsync("/api/jobs", TinyForm());

        Assert.Equal(HttpStatusCode.TooManyRequests, refused.StatusCode);
        Assert.InRange(refused.Headers.RetryAfter?.Delta?.TotalSeconds ?? 0, 1, 60);
        Assert.StartsWith("You have started 1 jobs in the last minute", (await JsonOf(refused)).GetProperty("detail").GetString());
    }

    [Fact]
    public async Task AFullQueueIs503()
    {
        await using var app = new StyleBlazorApplication(("Engine:QueueCapacity", "1"), ("Engine:MaxQueuedPerOwner", "5"));
        using var http = NewCaller(app);
        var running = await JsonOf(await http.PostAsync("/api/jobs", TinyForm("""{"backbone": "tiny-slow", "iterations": 400}""")));
        await Eventually(() => app.Jobs.Find(running.GetProperty("id").GetString()!)!.State == JobState.Running, "the first job to start");
        Assert.Equal(HttpStatusCode.Accepted, (await http.PostAsync("/api/jobs", TinyForm())).StatusCode);

        var refused = await http.PostAsync("/api/jobs", TinyForm());

        Assert.Equal(HttpStatusCode.ServiceUnavailable, refused.StatusCode);
        Assert.Contains("The queue is full", (await JsonOf(refused)).GetProperty("detail").GetString());
    }

    [Fact]
    public async Task WithKeysRequiredEachKeyIsItsOwnOwnerAndNoKeyOrAWrongOneIs401()
    {
        string keyA = "key-of-class-a-0123456789", keyB = "key-of-class-b-9876543210";
        await using var app = new StyleBlazorApplication(("Api:RequireKey", "true"),
            ("Api:KeySha256:0", ApiKeys.Sha256Hex(keyA)), ("Api:KeySha256:1", ApiKeys.Sha256Hex(keyB)));
        HttpClient Caller(string? key)
        {
            var client = NewCaller(app);
            if (key is not null) client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", key);
            return client;
        }
        using var anonymous = Caller(null);
        using var wrong = Caller("not-a-key");
        using var a = Caller(keyA);
        using var b = Caller(keyB);

        Assert.Equal(HttpStatusCode.Unauthorized, (await anonymous.PostAsync("/api/jobs", TinyForm())).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await wrong.PostAsync("/api/jobs", TinyForm())).StatusCode);
        var submitted = await a.PostAsync("/api/jobs", TinyForm("""{"backbone": "tiny-slow", "iterations": 400}"""));
        Assert.Equal(HttpStatusCode.Accepted, submitted.StatusCode);
        var id = (await JsonOf(submitted)).GetProperty("id").GetString()!;

        Assert.Equal(ApiKeys.OwnerIdOf(ApiKeys.Sha256Hex(keyA)), app.Jobs.Find(id)!.OwnerId);
        Assert.Equal(HttpStatusCode.NotFound, (await b.DeleteAsync($"/api/jobs/{id}")).StatusCode);
        Assert.Equal(HttpStatusCode.Accepted, (await a.DeleteAsync($"/api/jobs/{id}")).StatusCode);
    }

    [Fact]
    public async Task TheApiIsDescribedAsOpenApi()
    {
        await using var app = new StyleBlazorApplication();
        using var http = NewCaller(app);

        var document = await JsonOf(await http.GetAsync("/openapi/v1.json"));

        var paths = document.GetProperty("paths");
        foreach (var path in new[] { "/api/jobs", "/api/jobs/{id}", "/api/jobs/{id}/events", "/api/jobs/{id}/result.png", "/api/jobs/{id}/frames/{iteration}" })
            Assert.True(paths.TryGetProperty(path, out _), $"{path} is described");
        var form = paths.GetProperty("/api/jobs").GetProperty("post").GetProperty("requestBody").GetProperty("content")
            .GetProperty("multipart/form-data").GetProperty("schema");
        Assert.Equal(["content", "style"], form.GetProperty("required").EnumerateArray().Select(f => f.GetString()));
        Assert.Equal("binary", form.GetProperty("properties").GetProperty("content").GetProperty("format").GetString());
        Assert.Equal("binary", form.GetProperty("properties").GetProperty("style").GetProperty("items").GetProperty("format").GetString());
        Assert.False(paths.TryGetProperty("/api/diagnostics", out _));
    }
}

using System.Net;
using System.Security.Cryptography;
using StyleBlazor.Results;

namespace StyleBlazor.Tests.Results;

public sealed class ShareLinkTests : IDisposable
{
    private readonly TempDataDirectory _temp = new();

    public void Dispose() => _temp.Dispose();

    [Fact]
    public async Task AStoredResultSurvivesARestartAndItsLinkServesTheSamePngBytes()
    {
        ShareLink link;
        byte[] before;
        await using (var app = new ResultsApplication(_temp.DataDirectory))
        {
            link = await app.Sink.SaveAsync(SampleResults.Create(app.Sink));
            before = await app.CreateBrowser().GetByteArrayAsync($"{link.Path}/result.png");
        }

        await using (var restarted = new ResultsApplication(_temp.DataDirectory))
        {
            var browser = restarted.CreateBrowser();
            var page = await browser.GetAsync(link.Path);
            Assert.Equal(HttpStatusCode.OK, page.StatusCode);
            Assert.Contains("data-testid=\"result-image\"", await page.Content.ReadAsStringAsync());

            var after = await browser.GetAsync($"{link.Path}/result.png");
            Assert.Equal(HttpStatusCode.OK, after.StatusCode);
            Assert.Equal("image/png", after.Content.Headers.ContentType?.MediaType);
            Assert.Equal(before, await after.Content.ReadAsByteArrayAsync());
        }
    }

    [Fact]
    public async Task TheResultPageSendsNoReferrerNoindexAndOpenGraphTags()
    {
        await using var app = new ResultsApplication(_temp.DataDirectory);
        var link = await app.Sink.SaveAsync(SampleResults.Create(app.Sink));

        var response = await app.CreateBrowser().GetAsync(link.Path);
        var html = await response.Content.ReadAsStringAsync();

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("no-referrer", Header(response, "Referrer-Policy"));
        Assert.Contains("noindex", Header(response, "X-Robots-Tag"));
        Assert.Contains("property=\"og:title\"", html);
        Assert.Contains($"r/{link.Token}/thumbnail.jpg\"", html);
        Assert.Contains("data-testid=\"result-parameters\"", html);
        Assert.Contains("vgg19", html);
        Assert.Contains($"r/{link.Token}/progression.gif", html);
        Assert.Contains($"r/{link.Token}/frames/", html);
    }

    [Fact]
    public async Task DownloadsAreServedWithTheirTypeAndTheCapabilityHeaders()
    {
        await using var app = new ResultsApplication(_temp.DataDirectory);
        var link = await app.Sink.SaveAsync(SampleResults.Create(app.Sink, frames: 4));
        var browser = app.CreateBrowser();

        foreach (var (path, type) in new[]
                 {
                     ("result.png", "image/png"), ("thumbnail.jpg", "image/jpeg"), ("content.jpg", "image/jpeg"),
                     ("style.jpg", "image/jpeg"), ("progression.gif", "image/gif"), ("frames/0", "image/jpeg"),
                 })
        {
            var response = await browser.GetAsync($"{link.Path}/{path}");
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Equal(type, response.Content.Headers.ContentType?.MediaType);
            Assert.Equal("no-referrer", Header(response, "Referrer-Policy"));
            Assert.Contains("noindex", Header(response, "X-Robots-Tag"));
            Assert.Equal("nosniff", Header(response, "X-Content-Type-Options"));
        }
    }

    [Fact]
    public async Task ARevokedLinkAnswers410OnThePageAndTheDownloads()
    {
        await using var app = new ResultsApplication(_temp.DataDirectory);
        var link = await app.Sink.SaveAsync(SampleResults.Create(app.Sink));

        Assert.True(await app.Store.RevokeAsync(link.ResultId, SampleResults.Owner));

        var browser = app.CreateBrowser();
        var page = await browser.GetAsync(link.Path);
        Assert.Equal(HttpStatusCode.Gone, page.StatusCode);
        Assert.Contains("data-testid=\"result-gone\"", await page.Content.ReadAsStringAsync());
        Assert.Equal(HttpStatusCode.Gone, (await browser.GetAsync($"{link.Path}/result.png")).StatusCode);
        Assert.Equal(HttpStatusCode.Gone, (await browser.GetAsync($"{link.Path}/frames/0")).StatusCode);
    }

    [Fact]
    public async Task OnlyTheOwnerCanRevokeOrDelete()
    {
        await using var app = new ResultsApplication(_temp.DataDirectory);
        var link = await app.Sink.SaveAsync(SampleResults.Create(app.Sink));

        Assert.False(await app.Store.RevokeAsync(link.ResultId, "someone-else-0123456789"));
        Assert.False(await app.Store.DeleteAsync(link.ResultId, "someone-else-0123456789"));
        Assert.Equal(HttpStatusCode.OK, (await app.CreateBrowser().GetAsync(link.Path)).StatusCode);
    }

    [Fact]
    public async Task ANewLinkWorksAndTheOldOneNoLongerDoes()
    {
        await using var app = new ResultsApplication(_temp.DataDirectory);
        var old = await app.Sink.SaveAsync(SampleResults.Create(app.Sink));
        await app.Store.RevokeAsync(old.ResultId, SampleResults.Owner);

        var fresh = await app.Store.IssueNewLinkAsync(old.ResultId, SampleResults.Owner);

        Assert.NotNull(fresh);
        var browser = app.CreateBrowser();
        Assert.Equal(HttpStatusCode.OK, (await browser.GetAsync(fresh.Path)).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await browser.GetAsync(old.Path)).StatusCode);
    }

    [Fact]
    public async Task AnExpiredLinkAnswers410UntilTheCleanupRemovesIt()
    {
        await using var app = new ResultsApplication(_temp.DataDirectory, settings: new Dictionary<string, string?>
        {
            ["Results:RetentionDays"] = "1",
            ["Results:CleanupInterval"] = "7.00:00:00", // no sweep during this test
        });
        var link = await app.Sink.SaveAsync(SampleResults.Create(app.Sink));

        app.Time.Advance(TimeSpan.FromDays(1) + TimeSpan.FromSeconds(1));

        Assert.Equal(HttpStatusCode.Gone, (await app.CreateBrowser().GetAsync(link.Path)).StatusCode);
    }

    [Theory]
    [InlineData("/r/abc")] // too short
    [InlineData("/r/AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA")] // 31 characters
    [InlineData("/r/AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA")] // 33 characters
    [InlineData("/r/AAAAAAAAAAAAAAAAAAAAAAAAAAAAAA+/")] // right length, standard base64 alphabet
    [InlineData("/r/AAAAAAAAAAAAAAAAAAAAAAAAAAAAAA==")] // right length, padding
    [InlineData("/r/..%2f..%2fsecret.txt")]
    [InlineData("/r/..%2f..%2fsecret.txt/result.png")]
    [InlineData("/r/..%2F..%2Fsecret.txt/frames/0")]
    [InlineData("/r/%2e%2e%2f%2e%2e%2fsecret.txt")]
    [InlineData("/r/....%2f%2f....%2f%2fsecret.txt/progression.gif")]
    [InlineData("/r/AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA")] // well formed, but nobody's
    [InlineData("/r/AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA/result.png")]
    public async Task MalformedAndUnknownTokensAnswer404AndServeNothingFromOutsideTheDataDirectory(string path)
    {
        var secret = Path.Combine(_temp.Root, "secret.txt");
        await File.WriteAllTextAsync(secret, "TOP-SECRET-OUTSIDE-THE-DATA-DIRECTORY");
        await using var app = new ResultsApplication(_temp.DataDirectory);
        await app.Sink.SaveAsync(SampleResults.Create(app.Sink)); // there is something to find, just not at these paths

        var response = await app.CreateBrowser().GetAsync(path);

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.DoesNotContain("TOP-SECRET", await response.Content.ReadAsStringAsync());
        Assert.Equal("no-referrer", Header(response, "Referrer-Policy"));
    }

    [Fact]
    public async Task AFrameIndexOutsideTheReplayAnswers404()
    {
        await using var app = new ResultsApplication(_temp.DataDirectory);
        var link = await app.Sink.SaveAsync(SampleResults.Create(app.Sink, frames: 3));
        var browser = app.CreateBrowser();

        Assert.Equal(HttpStatusCode.NotFound, (await browser.GetAsync($"{link.Path}/frames/-1")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await browser.GetAsync($"{link.Path}/frames/4")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await browser.GetAsync($"{link.Path}/frames/..%2f..%2fresults.db")).StatusCode);
    }

    [Fact]
    public async Task RobotsTxtDisallowsShareLinks()
    {
        await using var app = new ResultsApplication(_temp.DataDirectory);

        var robots = await app.CreateBrowser().GetStringAsync("/robots.txt");

        Assert.Contains("Disallow: /r/", robots);
    }

    [Fact]
    public async Task ShareLinksAreRateLimitedPerClient()
    {
        await using var app = new ResultsApplication(_temp.DataDirectory, settings: new Dictionary<string, string?>
        {
            ["Results:PageRequestsPerMinute"] = "3",
        });
        var browser = app.CreateBrowser();
        var guess = "/r/" + ShareToken.Create();

        var statuses = new List<HttpStatusCode>();
        for (var i = 0; i < 5; i++) statuses.Add((await browser.GetAsync(guess)).StatusCode);

        Assert.Equal([HttpStatusCode.NotFound, HttpStatusCode.NotFound, HttpStatusCode.NotFound,
            (HttpStatusCode)429, (HttpStatusCode)429], statuses);
    }

    [Fact]
    public async Task MyResultsListsTheOwnersResultsAndNobodyElses()
    {
        await using var app = new ResultsApplication(_temp.DataDirectory);
        var mine = await app.Sink.SaveAsync(SampleResults.Create(app.Sink));
        await app.Sink.SaveAsync(SampleResults.Create(app.Sink, owner: "another-browser-session-42"));

        var html = await app.CreateBrowser(SampleResults.Owner).GetStringAsync("/my-results");
        Assert.Single(System.Text.RegularExpressions.Regex.Matches(html, "data-testid=\"my-result\""));
        Assert.Contains($"my-results/{mine.ResultId:N}/thumbnail.jpg", html);

        var stranger = app.CreateBrowser("someone-else-0123456789");
        Assert.Contains("data-testid=\"no-results\"", await stranger.GetStringAsync("/my-results"));
        Assert.Equal(HttpStatusCode.NotFound, (await stranger.GetAsync($"/my-results/{mine.ResultId:N}/thumbnail.jpg")).StatusCode);
        Assert.Equal(HttpStatusCode.OK,
            (await app.CreateBrowser(SampleResults.Owner).GetAsync($"/my-results/{mine.ResultId:N}/thumbnail.jpg")).StatusCode);
    }

    [Fact]
    public async Task AResultOfTwoStylesKeepsBothPicturesAndItsPageListsEachWithItsWeightAndTheStyleControls()
    {
        await using var app = new ResultsApplication(_temp.DataDirectory);
        var sample = SampleResults.Create(app.Sink);
        var second = SampleResults.Frame(36, 12, seed: 6).ToImage();
        var link = await app.Sink.SaveAsync(sample with
        {
            Styles = [.. sample.Styles, second],
            Options = sample.Options with
            {
                StyleBlend = [3, 1], PreserveColors = StyleBlazor.Engine.Transfer.ColorPreservation.Luminance, StyleScale = 0.5,
                Optimizer = StyleBlazor.Engine.Transfer.TransferOptimizer.Lbfgs, Pooling = StyleBlazor.Engine.Backbones.PoolingMode.Average,
            },
        });
        var browser = app.CreateBrowser();

        using (var first = SixLabors.ImageSharp.Image.Load(await browser.GetByteArrayAsync($"{link.Path}/styles/0")))
            Assert.Equal((171, 256), (first.Width, first.Height)); // 20 × 30 fitted to the 256 px thumbnail side
        using (var thumbnail = SixLabors.ImageSharp.Image.Load(await browser.GetByteArrayAsync($"{link.Path}/styles/1")))
            Assert.Equal((256, 85), (thumbnail.Width, thumbnail.Height)); // 36 × 12
        Assert.Equal(HttpStatusCode.NotFound, (await browser.GetAsync($"{link.Path}/styles/2")).StatusCode);
        var stored = (await app.Store.FindByTokenAsync(link.Token)).Result!;
        Assert.Equal(2, stored.StyleCount);
        Assert.Equal([0.75, 0.25], stored.StyleShares());

        var html = await browser.GetStringAsync(link.Path);
        var page = new AngleSharp.Html.Parser.HtmlParser().ParseDocument(html);
        string Text(string testId) => page.QuerySelector($"[data-testid={testId}]")!.TextContent.Replace('\u00A0', ' ').Trim();
        Assert.Equal("style 1: 75% (weight 3), style 2: 25% (weight 1)", Text("param-styles"));
        Assert.Equal("Keep the content's (luminance)", Text("param-preserve-colors"));
        Assert.Equal("× 0.5", Text("param-style-scale"));
        Assert.Equal("L-BFGS (history 100, its own step size)", Text("param-optimizer"));
        Assert.Equal("Average (smoother)", Text("param-pooling"));
        Assert.Equal(["Style 1: 75% of the mix (weight 3)", "Style 2: 25% of the mix (weight 1)"],
            page.QuerySelectorAll("[data-testid=result-style-share]").Select(e => e.TextContent.Replace('\u00A0', ' ').Trim()));
        Assert.Equal([$"r/{link.Token}/styles/0", $"r/{link.Token}/styles/1"],
            page.QuerySelectorAll("[data-testid=result-style] img").Select(e => e.GetAttribute("src")));
    }

    [Theory]
    [InlineData(0, 0, 0, ResultOutcome.Completed, "the iteration with the lowest J")] // the article's: no jitter
    [InlineData(7, 250, 140, ResultOutcome.Completed, "the average of the last 10 iterations")] // the ResNet18 recipe
    [InlineData(7, 40, 22, ResultOutcome.Completed, "the last iteration")] // its quick preview: too few to average
    [InlineData(7, 250, 140, ResultOutcome.Cancelled, "the last one shown before the run stopped")]
    public async Task AResultPageSaysWhichIterationThePictureIs(int jitter, int iterations, int coarse, ResultOutcome outcome, string expected)
    {
        await using var app = new ResultsApplication(_temp.DataDirectory);
        var sample = SampleResults.Create(app.Sink);
        var link = await app.Sink.SaveAsync(sample with
        {
            Outcome = outcome,
            Options = sample.Options with { JitterPixels = jitter, AveragedIterates = 10, Iterations = Math.Max(iterations, 10), CoarseIterations = coarse },
        });

        var html = await app.CreateBrowser().GetStringAsync(link.Path);

        var page = new AngleSharp.Html.Parser.HtmlParser().ParseDocument(html);
        Assert.Equal(expected, page.QuerySelector("[data-testid=param-picture]")!.TextContent.Trim());
    }

    [Fact]
    public async Task AResultPageNamesAdamsNesterovMomentumWhenTheRunUsedIt()
    {
        await using var app = new ResultsApplication(_temp.DataDirectory);
        var sample = SampleResults.Create(app.Sink);
        var recipe = StyleBlazor.Engine.Backbones.BackboneRecipes.ResNet18;
        var withNesterov = await app.Sink.SaveAsync(sample with { Options = recipe });
        var without = await app.Sink.SaveAsync(sample with { Options = recipe with { Nesterov = false } });

        string Optimizer(string html) =>
            new AngleSharp.Html.Parser.HtmlParser().ParseDocument(html).QuerySelector("[data-testid=param-optimizer]")!.TextContent.Trim();

        Assert.Equal("Adam: lr 3, β1 0.9, β2 0.999, ε 1E-08, Nesterov momentum", Optimizer(await app.CreateBrowser().GetStringAsync(withNesterov.Path)));
        Assert.Equal("Adam: lr 3, β1 0.9, β2 0.999, ε 1E-08", Optimizer(await app.CreateBrowser().GetStringAsync(without.Path)));
    }

    [Fact]
    public async Task TheDatabaseHoldsTheTokensHashAndNeverTheToken()
    {
        ShareLink link;
        await using (var app = new ResultsApplication(_temp.DataDirectory))
            link = await app.Sink.SaveAsync(SampleResults.Create(app.Sink));

        var database = await File.ReadAllBytesAsync(Path.Combine(_temp.DataDirectory, "results.db"));
        var text = System.Text.Encoding.ASCII.GetString(database);
        Assert.DoesNotContain(link.Token, text);
        Assert.True(database.AsSpan().IndexOf(SHA256.HashData(System.Text.Encoding.ASCII.GetBytes(link.Token))) >= 0);
        Assert.DoesNotContain(SampleResults.Owner, text);
    }

    private static string Header(HttpResponseMessage response, string name) =>
        response.Headers.TryGetValues(name, out var values) ? string.Join(",", values)
        : response.Content.Headers.TryGetValues(name, out values) ? string.Join(",", values) : "";
}

using System.Net;
using StyleBlazor.Engine;

namespace StyleBlazor.Tests.EndToEnd;

/// <summary>The built app run as an operator would, outside Development: <c>dotnet StyleBlazor/bin/…/StyleBlazor.dll</c> from the repository.</summary>
public sealed class BuildOutputAppServer() : AppServer(new Dictionary<string, string> { ["ASPNETCORE_ENVIRONMENT"] = "Production" }, []);

[Collection(EndToEndCollection.Name)]
public class BuildOutputTests(BuildOutputAppServer app) : IClassFixture<BuildOutputAppServer>
{
    [Theory]
    [InlineData("/_framework/blazor.web.js", "text/javascript")]
    [InlineData("/_content/MudBlazor/MudBlazor.min.css", "text/css")]
    [InlineData("/_content/MudBlazor/MudBlazor.min.js", "text/javascript")]
    [InlineData("/app.css", "text/css")]
    public async Task TheBuiltAppServesItsStaticAssetsOutsideDevelopment(string path, string contentType)
    {
        using var http = new HttpClient { BaseAddress = new Uri(app.BaseUrl) };

        var response = await http.GetAsync(path);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(contentType, response.Content.Headers.ContentType?.MediaType);
        Assert.True((await response.Content.ReadAsByteArrayAsync()).Length > 1000);
    }

    [Fact]
    public Task WithoutAPreloadTheAppLoadsTheMklAnswerItsBuildMadeAndSaysSo() =>
        app.AssertMklTakesItsIntelKernels($"{MatrixLibrary.PreloadFileName}, built with the app, loaded before libtorch");
}

/// <summary>What an operator reads when the app starts (the tests' app runs with the repository's appsettings).</summary>
[Collection(EndToEndCollection.Name)]
public class StartUpLogTests(AppServer app)
{
    [Fact]
    public async Task TheStartUpLogHasNoSqlCommandsAndNoHttpsPortWarning()
    {
        using var http = new HttpClient { BaseAddress = new Uri(app.BaseUrl) };
        Assert.Equal(HttpStatusCode.OK, (await http.GetAsync("/")).StatusCode);

        Assert.Contains("Now listening on: " + app.BaseUrl, app.Log);
        Assert.DoesNotContain("Executed DbCommand", app.Log);
        Assert.DoesNotContain("Failed to determine the https port for redirect", app.Log);
    }
}

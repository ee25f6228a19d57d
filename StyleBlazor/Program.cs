using StyleBlazor.Api;
using StyleBlazor.Components;
using StyleBlazor.Extensions;

// `stylize ...` runs the engine from the command line without starting the web app.
if (args is ["stylize", .. var stylizeArgs])
    return await StyleBlazor.Cli.StylizeCommand.RunAsync(stylizeArgs, Console.Out, Console.Error);

var builder = WebApplication.CreateBuilder(args);

// One box by default; with Node:Role, a web node (UI, hub, API) or a worker (the engine) of several (docs/scale-out.md).
var node = builder.AddNode();
if (node.ServesUi)
{
    builder.Services.AddRazorComponents()
        .AddInteractiveServerComponents();
    builder.UseStaticAssetsOfTheBuild();
    builder.AddStudioUi();
    builder.AddProgressHub();
    builder.AddJobApi();
    builder.AddLayerExplorer();
}
builder.AddResults();
builder.AddStyleEngine();
builder.AddNodeHealth();
builder.AddTrustedProxies();

var app = builder.Build();

app.UseTrustedProxies();
app.UseSecurityHeaders();
if (!app.Environment.IsDevelopment())
{
    app.UseExceptionHandler("/Error", createScopeForErrors: true);
    app.UseHsts();
}
if (node.ServesUi)
{
    app.UseStatusCodePagesWithReExecute("/not-found", createScopeForStatusCodePages: true);
    app.UseJobApiStatusCodes();
    app.UseHttpsRedirectionWhereServed();
    app.UseStudioUi();
    app.UseBrowserSessions();
    app.UseCircuitLimitPage();
    app.UseAuthorization(); // the HTTP API's keys, when Api:RequireKey is on
    app.UseAntiforgery();
    app.MapResults();

    app.MapStaticAssets();
    app.MapStyleEngineEndpoints();
    app.MapRazorComponents<App>()
        .AddInteractiveServerRenderMode();
}
app.MapNodeHealth();

app.Run();
return 0;

/// <summary>Visible to WebApplicationFactory in the tests.</summary>
public partial class Program;

using StyleBlazor.Jobs;
using Bunit;
using Microsoft.AspNetCore.Components;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using MudBlazor;
using MudBlazor.Services;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.Formats.Jpeg;
using SixLabors.ImageSharp.PixelFormats;
using StyleBlazor.Engine.Imaging;
using System.Security.Claims;
using Microsoft.AspNetCore.Http;
using StyleBlazor.Identity;
using StyleBlazor.Studio;

namespace StyleBlazor.Tests.Components;

/// <summary>
/// Makes a fresh bUnit context per test (xunit 2 cannot tear down a context that is the test class itself, see
/// BROWSER-TESTS.md) with MudBlazor's services, the hardened image intake, loose JS interop, the UI's localisation, a session's
/// <see cref="StudioState"/>, the real sample gallery and a scripted <see cref="FakeStudioJobs"/>.
/// </summary>
public abstract class ComponentTestBase
{
    /// <summary>How long to wait for work that leaves the dispatcher (decoding a sample); generous, CI machines are shared.</summary>
    protected static readonly TimeSpan Patience = TimeSpan.FromSeconds(15);

    protected FakeStudioJobs Jobs { get; } = new();

    /// <summary>The browser session the rendered pages act for.</summary>
    protected const string OwnerId = "session-of-this-browser-0000000000000000000";

    /// <param name="services">More services a test needs; they must be added here, before the first is resolved.</param>
    protected BunitContext NewContext(Action<IServiceCollection>? services = null)
    {
        var ctx = new BunitContext();
        ctx.JSInterop.Mode = JSRuntimeMode.Loose;
        ctx.Services.AddMudServices();
        ctx.Services.AddLocalization();
        ctx.Services.AddScoped<StudioState>();
        ctx.Services.AddSingleton<SampleGallery>();
        ctx.Services.AddSingleton(Options.Create(new ImageIntakeOptions()));
        ctx.Services.AddSingleton(sp => new ImageIntake(sp.GetRequiredService<IOptions<ImageIntakeOptions>>().Value));
        ctx.Services.AddSingleton<StudioImageDecoder>();
        ctx.Services.AddScoped(_ =>
        {
            // The browser session a circuit's connection brings (no address: a test host has none).
            var owner = new CurrentOwner(new HttpContextAccessor());
            owner.UseCircuitUser(new ClaimsPrincipal(OwnerClaims.Identity(OwnerId, null, authenticationType: null)));
            return owner;
        });
        ctx.Services.AddScoped<CircuitAdmission>();
        ctx.Services.AddSingleton<IStudioJobs>(Jobs);
        services?.Invoke(ctx.Services);
        ctx.SetRendererInfo(new RendererInfo("Server", true));
        return ctx;
    }

    /// <summary>Renders <typeparamref name="T"/> next to a popover provider, as MainLayout does, so selects and tooltips work.</summary>
    protected static IRenderedComponent<T> RenderWithProviders<T>(BunitContext ctx, IReadOnlyDictionary<string, object?>? parameters = null)
        where T : IComponent
    {
        var host = ctx.Render(builder =>
        {
            builder.OpenComponent<MudPopoverProvider>(0);
            builder.CloseComponent();
            builder.OpenComponent<MudSnackbarProvider>(1);
            builder.CloseComponent();
            builder.OpenComponent<T>(2);
            foreach (var (name, value) in parameters ?? new Dictionary<string, object?>())
                builder.AddComponentParameter(3, name, value);
            builder.CloseComponent();
        });
        return host.FindComponent<T>();
    }

    /// <summary>
    /// The Studio once it says it is ready, as the browser tests and the user wait for it: the marker comes after its
    /// children's first after-render (where the file inputs start listening), one turn of the dispatcher later.
    /// </summary>
    protected static IRenderedComponent<StyleBlazor.Components.Pages.Studio.Studio> RenderStudio(BunitContext ctx)
    {
        var studio = RenderWithProviders<StyleBlazor.Components.Pages.Studio.Studio>(ctx);
        WaitUntilReady(studio, "studio");
        return studio;
    }

    /// <summary>Waits for the ready marker of the element <paramref name="testId"/> (set once its first after-render is over).</summary>
    protected static void WaitUntilReady<TComponent>(IRenderedComponent<TComponent> cut, string testId) where TComponent : IComponent
    {
        // With Patience, not bUnit's 1 s: in a full run the thread pool can be too busy to run the check within a second
        // (a fresh-clone CI run failed here, "the wait condition was never checked").
        cut.WaitForAssertion(() => Assert.Equal("true", cut.Find($"[data-testid={testId}]").GetAttribute("data-ready")), Patience);
        // That render ran in a continuation posted to the dispatcher; once a no-op queued behind it has run, the
        // dispatcher is idle, and a click the test makes next is handled before Click returns (not queued behind it),
        // on elements that no later render replaces.
        cut.InvokeAsync(() => { }).GetAwaiter().GetResult();
    }

    /// <summary>A picture of the given size, as if the user had uploaded it.</summary>
    protected static StudioImage Picture(string name, int width, int height) =>
        new(name, new Image<Rgb24>(width, height), "data:image/gif;base64,R0lGODlhAQABAAAAACw=");

    /// <summary>A real JPEG of one flat colour, like the frames the service sends.</summary>
    protected static JobUpdate.Frame Frame(int iteration, int width = 64, int height = 48, byte shade = 128)
    {
        using var image = new Image<Rgb24>(width, height, new Rgb24(shade, (byte)(255 - shade), 90));
        using var jpeg = new MemoryStream();
        image.Save(jpeg, new JpegEncoder { Quality = 80 });
        return new JobUpdate.Frame(iteration, width, height, "image/jpeg", jpeg.ToArray());
    }

    protected static LossRecord Loss(int iteration, double total = 100, double itPerSec = 4, double? eta = 30) =>
        new(iteration, total, total / 2e3, total / 2e-2 / 2, 0, new Dictionary<string, double> { ["block1_conv1"] = 1, ["block5_conv1"] = 2 },
            iteration / itPerSec, itPerSec, eta);
}

using System.Globalization;
using Microsoft.AspNetCore.Localization;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.FileProviders;
using MudBlazor;
using MudBlazor.Services;
using StyleBlazor.Studio;

namespace StyleBlazor.Extensions;

public static class UiServiceExtensions
{
    /// <summary>The languages of the UI; the first is the default.</summary>
    public static readonly string[] Cultures = ["en", "ru"];

    /// <summary>
    /// The studio UI's services: MudBlazor, English/Russian resources chosen by a cookie, the per-session
    /// <see cref="StudioState"/> and the sample gallery. Its middleware and endpoints: <see cref="UseStudioUi"/>.
    /// </summary>
    public static IHostApplicationBuilder AddStudioUi(this IHostApplicationBuilder builder)
    {
        var services = builder.Services;
        services.AddMudServices(config =>
        {
            config.SnackbarConfiguration.PositionClass = Defaults.Classes.Position.BottomRight;
            config.SnackbarConfiguration.PreventDuplicates = true;
            config.SnackbarConfiguration.VisibleStateDuration = 6000;
        });
        services.AddLocalization();
        services.Configure<RequestLocalizationOptions>(options =>
        {
            options.SetDefaultCulture(Cultures[0]).AddSupportedCultures(Cultures).AddSupportedUICultures(Cultures);
            // The cookie decides; a first visit falls back to the browser's Accept-Language.
            options.RequestCultureProviders = [new CookieRequestCultureProvider(), new AcceptLanguageHeaderRequestCultureProvider()];
        });

        services.AddSingleton<SampleGallery>();
        // Uploads in the studio go through the same hardened intake as the hub's.
        builder.AddImageIntake();
        services.AddSingleton<StudioImageDecoder>();
        services.AddScoped<StudioState>();
        services.TryAddSingleton<IStudioJobs, UnavailableStudioJobs>();
        return builder;
    }

    /// <summary>
    /// Run straight from a build output (<c>dotnet StyleBlazor/bin/Release/net10.0/StyleBlazor.dll</c>) rather than a
    /// publish, the static web assets (blazor.web.js, MudBlazor's CSS and JS) live in the NuGet cache and obj/, listed in
    /// the build's runtime manifest, which only Development reads by default: every one of them answered 500. A publish
    /// has no such manifest and serves them from its own wwwroot.
    /// </summary>
    public static WebApplicationBuilder UseStaticAssetsOfTheBuild(this WebApplicationBuilder builder)
    {
        var manifest = Path.Combine(AppContext.BaseDirectory, $"{builder.Environment.ApplicationName}.staticwebassets.runtime.json");
        if (!builder.Environment.IsDevelopment() && File.Exists(manifest)) builder.WebHost.UseStaticWebAssets();
        return builder;
    }

    /// <summary>
    /// The UI's language (from its cookie), the sample gallery at <c>/assets</c> and <c>/culture?set=ru&amp;redirect=/…</c>
    /// to switch language. Call after <c>UseSecurityHeaders</c>, so these answers carry the headers too.
    /// </summary>
    public static WebApplication UseStudioUi(this WebApplication app)
    {
        app.UseRequestLocalization();
        var gallery = app.Services.GetRequiredService<SampleGallery>();
        if (Directory.Exists(gallery.AssetsRoot))
            app.UseStaticFiles(new StaticFileOptions
            {
                FileProvider = new PhysicalFileProvider(gallery.AssetsRoot),
                RequestPath = SampleGallery.RequestPath,
                OnPrepareResponse = ctx => ctx.Context.Response.Headers.CacheControl = "public, max-age=86400",
            });
        app.MapGet("/culture", SetCulture).ExcludeFromDescription();
        return app;
    }

    static IResult SetCulture(HttpContext context, string? set, string? redirect)
    {
        if (set is not null && Cultures.Contains(set))
            context.Response.Cookies.Append(
                CookieRequestCultureProvider.DefaultCookieName,
                CookieRequestCultureProvider.MakeCookieValue(new RequestCulture(CultureInfo.GetCultureInfo(set))),
                new CookieOptions { MaxAge = TimeSpan.FromDays(365), IsEssential = true, HttpOnly = true, SameSite = SameSiteMode.Lax, Path = "/" });
        // LocalRedirect throws on anything that would leave the site, so check first and fall back to "/".
        return TypedResults.LocalRedirect(IsLocalUrl(redirect) ? redirect : "/");
    }

    /// <summary>
    /// A path on this site, as ASP.NET Core's IsLocalUrl decides: it starts with "/" but not "//host" or "/\host", and
    /// has no control characters, since browsers drop tabs and line breaks from a Location ("/\t/evil.example" is
    /// "//evil.example" to them, another site).
    /// </summary>
    public static bool IsLocalUrl([System.Diagnostics.CodeAnalysis.NotNullWhen(true)] string? url) =>
        url is ['/', ..] && !url.StartsWith("//") && !url.StartsWith(@"/\") && !url.Any(char.IsControl);
}

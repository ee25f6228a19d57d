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
    /// The studio UI: MudBlazor, English/Russian resources chosen by a cookie, the per-session <see cref="StudioState"/>,
    /// the sample gallery served at <c>/assets</c>, and <c>/culture?set=ru&amp;redirect=/…</c> to switch language.
    /// The middleware is added at the front of the pipeline by a startup filter, so Program.cs needs only this call.
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
        services.AddScoped<StudioState>();
        services.TryAddSingleton<IStudioJobs, UnavailableStudioJobs>();
        services.AddTransient<IStartupFilter, StudioUiStartupFilter>();
        return builder;
    }

    sealed class StudioUiStartupFilter(SampleGallery gallery) : IStartupFilter
    {
        public Action<IApplicationBuilder> Configure(Action<IApplicationBuilder> next) => app =>
        {
            app.UseRequestLocalization();
            if (Directory.Exists(gallery.AssetsRoot))
                app.UseStaticFiles(new StaticFileOptions
                {
                    FileProvider = new PhysicalFileProvider(gallery.AssetsRoot),
                    RequestPath = SampleGallery.RequestPath,
                    OnPrepareResponse = ctx => ctx.Context.Response.Headers.CacheControl = "public, max-age=86400",
                });
            app.Map("/culture", branch => branch.Run(SetCulture));
            next(app);
        };
    }

    static Task SetCulture(HttpContext context)
    {
        var culture = context.Request.Query["set"].ToString();
        var redirect = context.Request.Query["redirect"].ToString();
        if (Cultures.Contains(culture))
            context.Response.Cookies.Append(
                CookieRequestCultureProvider.DefaultCookieName,
                CookieRequestCultureProvider.MakeCookieValue(new RequestCulture(CultureInfo.GetCultureInfo(culture))),
                new CookieOptions { MaxAge = TimeSpan.FromDays(365), IsEssential = true, HttpOnly = true, SameSite = SameSiteMode.Lax, Path = "/" });
        // Only paths on this site: "//host" and "/\host" would leave it (an open redirect).
        bool local = redirect.StartsWith('/') && !redirect.StartsWith("//") && !redirect.StartsWith("/\\");
        context.Response.Redirect(local ? redirect : "/");
        return Task.CompletedTask;
    }
}

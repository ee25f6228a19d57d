using System.Globalization;
using System.Security.Claims;
using StyleBlazor.Identity;
using System.Text.RegularExpressions;
using Bunit;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using StyleBlazor.Components.Pages.Results;
using StyleBlazor.Results;
using StyleBlazor.Tests.Results;

namespace StyleBlazor.Tests.Components;

/// <summary>
/// A share link is opened by whoever receives it, often in a browser of another language: the result pages follow the
/// UI culture like the studio does. Results are stored by the real app on a temporary data directory.
/// </summary>
public sealed class ResultPagesLocalizationTests : ComponentTestBase, IDisposable
{
    private static readonly Regex Cyrillic = new("[А-Яа-яЁё]");
    private readonly TempDataDirectory _temp = new();

    public void Dispose() => _temp.Dispose();

    [Fact]
    public async Task TheResultViewSpeaksRussianInARussianBrowser()
    {
        await using var app = new ResultsApplication(_temp.DataDirectory);
        var result = await StoredAsync(app);

        using (UiCulture("ru"))
        {
            await using var ctx = ResultsContext(app, session: null);
            var view = RenderWithProviders<ResultView>(ctx, new Dictionary<string, object?> { ["Result"] = result, ["BaseUrl"] = "r/token" });

            Assert.Equal("Стилизованное изображение", view.Find("h1").TextContent.Trim());
            var text = view.Markup;
            foreach (var russian in new[]
                     {
                         "Скачать PNG", "Скачать анимированный GIF", "Ход переноса", "Параметры", "Сеть (backbone)", "Итог", "Завершён",
                         "Вес содержания α", "Вес стиля β", "Слой содержания", "Начальное изображение", "Итерация 10", "10 из 10",
                     })
                Assert.Contains(russian, text);
            Assert.Equal("Стилизованное изображение", view.Find("[data-testid=result-image]").GetAttribute("alt"));
            Assert.Equal("Воспроизвести", view.Find("[data-testid=progression-play]").GetAttribute("aria-label"));
            foreach (var english in new[] { "A stylised image", "Download PNG", "Parameters", "Progression", "Backbone", "Completed", "Iteration 10" })
                Assert.DoesNotContain(english, text);
        }
    }

    [Fact]
    public async Task AStoppedRunSaysSoInRussian()
    {
        await using var app = new ResultsApplication(_temp.DataDirectory);
        var result = await StoredAsync(app);
        result.Outcome = ResultOutcome.Cancelled;

        using (UiCulture("ru"))
        {
            await using var ctx = ResultsContext(app, session: null);
            var view = RenderWithProviders<ResultView>(ctx, new Dictionary<string, object?> { ["Result"] = result, ["BaseUrl"] = "r/token" });

            Assert.Contains("Запуск отменён на итерации 10; это лучшее изображение, полученное к тому моменту.", view.Markup);
            Assert.DoesNotContain("This run was", view.Markup);
        }
    }

    [Fact]
    public async Task TheResultViewStaysEnglishInAnEnglishBrowser()
    {
        await using var app = new ResultsApplication(_temp.DataDirectory);
        var result = await StoredAsync(app);

        using (UiCulture("en"))
        {
            await using var ctx = ResultsContext(app, session: null);
            var view = RenderWithProviders<ResultView>(ctx, new Dictionary<string, object?> { ["Result"] = result, ["BaseUrl"] = "r/token" });

            Assert.Equal("A stylised image", view.Find("h1").TextContent.Trim());
            foreach (var english in new[] { "Download PNG", "Download animated GIF", "Progression", "Parameters", "Backbone", "Completed", "10 of 10 (best at 10)" })
                Assert.Contains(english, view.Markup);
            Assert.Equal("Play", view.Find("[data-testid=progression-play]").GetAttribute("aria-label"));
            Assert.DoesNotMatch(Cyrillic, view.Markup);
        }
    }

    [Fact]
    public async Task MyResultsSpeaksRussianDownToTheDeleteConfirmation()
    {
        await using var app = new ResultsApplication(_temp.DataDirectory);
        await app.Sink.SaveAsync(SampleResults.Create(app.Sink));

        using (UiCulture("ru"))
        {
            await using var ctx = ResultsContext(app, SampleResults.Owner);
            var page = RenderWithProviders<MyResults>(ctx);
            page.WaitForElement("[data-testid=my-result]", Patience);

            Assert.Equal("Мои результаты", page.Find("h1").TextContent.Trim());
            Assert.Contains("Результаты удаляются через 30 дней после создания.", page.Markup);
            Assert.StartsWith("ссылка действует до ", page.Find("[data-testid=state]").TextContent.Trim());
            Assert.Contains("vgg19 · итераций: 10 · 48×32 px", page.Markup);
            var buttons = page.FindAll("button").Select(b => b.TextContent.Trim()).ToList();
            Assert.Contains("Отозвать ссылку", buttons);
            Assert.Contains("Новая ссылка", buttons);

            page.FindAll("button").Single(b => b.TextContent.Trim() == "Удалить").Click();

            buttons = page.FindAll("button").Select(b => b.TextContent.Trim()).ToList();
            Assert.Contains("Удалить навсегда", buttons);
            Assert.Contains("Оставить", buttons);
            foreach (var english in new[] { "My results", "Revoke link", "New link", "Delete for good", "Keep", "link works until", "iterations" })
                Assert.DoesNotContain(english, page.Markup);
        }
    }

    [Fact]
    public async Task MyResultsEmptyStateAndAMissingLinkAreRussian()
    {
        await using var app = new ResultsApplication(_temp.DataDirectory);

        using (UiCulture("ru"))
        {
            await using var ctx = ResultsContext(app, session: null);
            var mine = RenderWithProviders<MyResults>(ctx);
            var empty = mine.WaitForElement("[data-testid=no-results]", Patience);
            Assert.Equal("У вас пока нет сохранённых результатов.", empty.TextContent.Trim());
            Assert.DoesNotContain("You have no stored results yet.", mine.Markup);

            var missing = ctx.Render<ResultPage>(parameters => parameters.Add(p => p.Token, "no-such-token"));
            var notFound = missing.WaitForElement("[data-testid=result-not-found]", Patience);
            Assert.Equal("По этому адресу нет результата.", notFound.TextContent.Trim());
            Assert.DoesNotContain("There is no result", missing.Markup);
        }
    }

    [Fact]
    public async Task MyResultsStaysEnglishInAnEnglishBrowser()
    {
        await using var app = new ResultsApplication(_temp.DataDirectory);
        await app.Sink.SaveAsync(SampleResults.Create(app.Sink));

        using (UiCulture("en"))
        {
            await using var ctx = ResultsContext(app, SampleResults.Owner);
            var page = RenderWithProviders<MyResults>(ctx);
            page.WaitForElement("[data-testid=my-result]", Patience);

            Assert.Equal("My results", page.Find("h1").TextContent.Trim());
            Assert.Contains("Results are deleted 30 days after they were made.", page.Markup);
            Assert.Contains("vgg19 · 10 iterations · 48×32 px", page.Markup);
            Assert.StartsWith("link works until ", page.Find("[data-testid=state]").TextContent.Trim());
            Assert.Contains("Revoke link", page.FindAll("button").Select(b => b.TextContent.Trim()));
            Assert.DoesNotMatch(Cyrillic, page.Markup);
        }
    }

    [Theory]
    [InlineData("ru", 1, "через 1 день после")]
    [InlineData("ru", 3, "через 3 дня после")]
    [InlineData("ru", 5, "через 5 дней после")]
    [InlineData("ru", 12, "через 12 дней после")]
    [InlineData("ru", 21, "через 21 день после")]
    [InlineData("en", 1, "deleted 1 day after")]
    [InlineData("en", 21, "deleted 21 days after")]
    public async Task TheRetentionPeriodUsesTheLanguagesPluralForms(string culture, int days, string expected)
    {
        await using var app = new ResultsApplication(_temp.DataDirectory);

        using (UiCulture(culture))
        {
            await using var ctx = ResultsContext(app, session: null, retentionDays: days);
            var page = RenderWithProviders<MyResults>(ctx);
            page.WaitForElement("[data-testid=no-results]", Patience);

            Assert.Contains(expected, page.Markup);
        }
    }

    private static async Task<StoredResult> StoredAsync(ResultsApplication app)
    {
        var link = await app.Sink.SaveAsync(SampleResults.Create(app.Sink));
        var lookup = await app.Store.FindByTokenAsync(link.Token);
        return Assert.IsType<StoredResult>(lookup.Result);
    }

    /// <summary>The component context plus the results services of <paramref name="app"/>, as a browser with the given session cookie.</summary>
    private Bunit.BunitContext ResultsContext(ResultsApplication app, string? session, int? retentionDays = null)
    {
        var options = retentionDays is { } days
            ? new ResultsOptions { RetentionDays = days }
            : app.Services.GetRequiredService<IOptions<ResultsOptions>>().Value;
        var ctx = NewContext(services =>
        {
            services.AddScoped(_ =>
            {
                var owner = new CurrentOwner(new HttpContextAccessor());
                if (session is not null) owner.UseCircuitUser(new ClaimsPrincipal(OwnerClaims.Identity(session, null, authenticationType: null)));
                return owner;
            });
            services.AddSingleton(app.Store);
            services.AddSingleton<TimeProvider>(app.Time);
            services.AddSingleton(Options.Create(options));
        });
        return ctx;
    }

    private static IDisposable UiCulture(string name) => new CultureScope(CultureInfo.GetCultureInfo(name));

    private sealed class CultureScope : IDisposable
    {
        private readonly (CultureInfo Culture, CultureInfo UiCulture) _previous = (CultureInfo.CurrentCulture, CultureInfo.CurrentUICulture);

        public CultureScope(CultureInfo culture) => CultureInfo.CurrentCulture = CultureInfo.CurrentUICulture = culture;

        public void Dispose() => (CultureInfo.CurrentCulture, CultureInfo.CurrentUICulture) = _previous;
    }
}

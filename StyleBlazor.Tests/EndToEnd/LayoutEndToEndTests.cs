using System.Text.RegularExpressions;
using System.Xml.Linq;
using Microsoft.Playwright;
using static StyleBlazor.Tests.EndToEnd.StudioDriver;

namespace StyleBlazor.Tests.EndToEnd;

/// <summary>
/// The pages as a new user sees them, at a small laptop's, a laptop's and a phone's size: no card of the Studio overlaps
/// another or cuts its content, with pictures chosen and during a run; and in Russian, no page shows an English string
/// of the UI's resources. Screenshots go to <see cref="Shots"/> to look at.
/// </summary>
[Collection(EndToEndCollection.Name)]
public class LayoutEndToEndTests(AppServer app, Browser browser)
{
    public static readonly string Shots = Path.Combine(Path.GetTempPath(), "styleblazor-layout");

    [Theory]
    [InlineData(1024, 768)]
    [InlineData(1280, 900)]
    [InlineData(390, 844)]
    public async Task NoTwoStudioCardsOverlapWithPicturesChosenAndDuringARun(int width, int height)
    {
        Directory.CreateDirectory(Shots);
        await using var context = await browser.Instance.NewContextAsync(new() { ViewportSize = new() { Width = width, Height = height }, Locale = "en-US" });
        var page = await OpenStudioAsync(app, context);
        await UploadAsync(page, "photo-chelsea-cat.png", "art-van-gogh-starry-night.jpg");
        await page.ScreenshotAsync(new() { Path = Path.Combine(Shots, $"studio-{width}x{height}-chosen.png"), FullPage = true });
        await AssertCardsApartAsync(page, $"{width}x{height} with pictures chosen");

        await SetParametersAsync(page, iterations: 2000, size: 128);
        await page.GetByTestId("start").ClickAsync();
        try
        {
            await WaitForPhaseAsync(page, "running");
            await WaitUntilAsync(async () => await AttributeAsync(page.GetByTestId("canvas"), "data-frames-drawn") >= 1, 60_000, "a frame");
            await page.ScreenshotAsync(new() { Path = Path.Combine(Shots, $"studio-{width}x{height}-running.png"), FullPage = true });
            await AssertCardsApartAsync(page, $"{width}x{height} during a run");
        }
        finally
        {
            // A long run left behind would hold the shared server's engine for the other browser tests.
            await page.GetByTestId("cancel").ClickAsync();
            await WaitForPhaseAsync(page, "cancelled", 30_000);
        }
    }

    /// <summary>The Studio's cards (its outermost papers): no two intersect, none is wider than its content allows, and the page does not scroll sideways.</summary>
    static async Task AssertCardsApartAsync(IPage page, string when)
    {
        var cards = await page.Locator(".studio .mud-paper").EvaluateAllAsync<Card[]>("""
            papers => papers.filter(p => !p.parentElement.closest('.mud-paper')).map(p => {
                const r = p.getBoundingClientRect();
                return { name: p.className.split(' ').filter(c => !c.startsWith('mud-')).join('.') || p.className,
                         left: r.left, top: r.top, right: r.right, bottom: r.bottom,
                         overflow: p.scrollWidth - p.clientWidth };
            })
            """);
        Assert.True(cards.Length >= 5, $"{when}: found {cards.Length} cards");
        for (int i = 0; i < cards.Length; i++)
        {
            Assert.True(cards[i].Overflow <= 1, $"{when}: the content of {cards[i].Name} is {cards[i].Overflow} px wider than the card");
            for (int j = i + 1; j < cards.Length; j++)
            {
                var (a, b) = (cards[i], cards[j]);
                double across = Math.Min(a.Right, b.Right) - Math.Max(a.Left, b.Left), down = Math.Min(a.Bottom, b.Bottom) - Math.Max(a.Top, b.Top);
                Assert.False(across > 0.5 && down > 0.5, $"{when}: {a} overlaps {b}");
            }
        }
        await AssertNothingCutAsync(page, when);
    }

    /// <summary>The page does not scroll sideways, and no visible button is narrower than its label.</summary>
    static async Task AssertNothingCutAsync(IPage page, string when)
    {
        var sideways = await page.EvaluateAsync<double>("() => document.documentElement.scrollWidth - window.innerWidth");
        Assert.True(sideways <= 0, $"{when}: the page scrolls {sideways} px sideways");
        // A flex row squeezes a button below its label's width, and the label is then cut at the button's edge.
        var cut = await page.Locator(".mud-button-root .mud-button-label").EvaluateAllAsync<string[]>("""
            labels => labels.filter(l => l.offsetParent !== null && l.scrollWidth > l.clientWidth + 1)
                .map(l => `${l.closest('.mud-button-root').dataset.testid ?? l.textContent.trim()} (${l.scrollWidth} px in ${l.clientWidth})`)
            """);
        Assert.True(cut.Length == 0, $"{when}: labels cut by their buttons: {string.Join(", ", cut)}");
        // The app bar clips what does not fit, so a link or button past its edge cannot be reached at all.
        var outside = await page.Locator(".app-bar a, .app-bar button").EvaluateAllAsync<string[]>("""
            items => items.filter(e => e.offsetParent !== null)
                .filter(e => { const r = e.getBoundingClientRect(); return r.left < 0 || r.right > document.documentElement.clientWidth + 0.5; })
                .map(e => e.dataset.testid ?? e.getAttribute('aria-label') ?? e.textContent.trim())
            """);
        Assert.True(outside.Length == 0, $"{when}: past the app bar's edge: {string.Join(", ", outside)}");
    }

    public sealed class Card
    {
        public string Name { get; set; } = "";
        public double Left { get; set; }
        public double Top { get; set; }
        public double Right { get; set; }
        public double Bottom { get; set; }
        public double Overflow { get; set; }
        public override string ToString() => $"{Name} [{Left:0},{Top:0} – {Right:0},{Bottom:0}]";
    }

    [Theory]
    [InlineData(1280, 900)]
    [InlineData(390, 844)]
    public async Task InRussianNoPageShowsAnEnglishStringOfTheUiOrCutsALabel(int width, int height)
    {
        Directory.CreateDirectory(Shots);
        await using var context = await browser.Instance.NewContextAsync(new() { ViewportSize = new() { Width = width, Height = height }, Locale = "ru-RU" });
        var page = await context.NewPageAsync();
        await page.GotoAsync(app.BaseUrl + "/culture?set=ru&redirect=/");
        await page.Locator("[data-testid=studio][data-ready=true]").WaitForAsync(new() { Timeout = 60_000 });
        await UploadAsync(page, "photo-red-panda.webp", "art-hokusai-great-wave.png");
        // Two styles, so the mix, the weights and the result page's list of styles are seen in Russian too.
        await AddStyleAsync(page, 2, "art-van-gogh-starry-night.jpg");
        var english = EnglishOnlyPhrases();
        await AssertNoEnglishAsync(page, "the Studio with pictures chosen", english);
        await AssertNothingCutAsync(page, $"{width}x{height}, the Studio in Russian with pictures chosen");

        // Long enough (1–2 s here) that a fast machine still shows the run as running for a render or two.
        await SetParametersAsync(page, iterations: 60, size: 64);
        await page.GetByTestId("start").ClickAsync();
        await WaitForPhaseAsync(page, "running");
        await AssertNoEnglishAsync(page, "the Studio during a run", english);
        await AssertNothingCutAsync(page, $"{width}x{height}, the Studio in Russian during a run");
        // From the Studio's own attribute: the watch link is shown only until the run ends, and a fast machine ends
        // this one while the page above is still being read (CI waited 30 s for a link that was gone).
        var watchPath = "/watch/" + await page.GetByTestId("studio").GetAttributeAsync("data-job");
        Assert.Matches("^/watch/[A-Za-z0-9_-]{22,}$", watchPath);
        await WaitForPhaseAsync(page, "completed", 600_000); // a shared CI machine runs 1-2 s an iteration
        await AssertNoEnglishAsync(page, "the Studio after a run", english);
        await AssertNothingCutAsync(page, $"{width}x{height}, the Studio in Russian after a run");
        await page.ScreenshotAsync(new() { Path = Path.Combine(Shots, $"studio-ru-{width}-finished.png"), FullPage = true });
        var shareLink = await Input(page, "share-link").InputValueAsync();

        foreach (var (path, ready, name) in new[]
        {
            (watchPath, "[data-testid=watch][data-ready=true]", "watch"),
            ("/network", "[data-testid=network][data-ready=true]", "network"),
            (new Uri(shareLink).AbsolutePath, "[data-testid=result-image]", "result"),
            ("/my-results", "[data-testid=my-result]", "my-results"),
            ("/explore?r=" + new Uri(shareLink).AbsolutePath.Split('/')[^1] + "&picture=result&layers=stem",
                "[data-testid=explore-layer][data-state=done]", "explore"),
            ("/no-such-page", "h4", "not-found"),
        })
        {
            var other = await context.NewPageAsync();
            await other.GotoAsync(app.BaseUrl + path);
            await other.Locator(ready).First.WaitForAsync(new() { Timeout = 60_000 });
            await other.WaitForTimeoutAsync(500); // the circuit's first interactive render
            await AssertNoEnglishAsync(other, name, english);
            await other.ScreenshotAsync(new() { Path = Path.Combine(Shots, $"{name}-ru-{width}.png"), FullPage = true });
            await AssertNothingCutAsync(other, $"{width}x{height}, {name} in Russian");
            await other.CloseAsync();
        }
    }

    static async Task AssertNoEnglishAsync(IPage page, string where, IReadOnlyList<(string Key, Regex Phrase)> english)
    {
        var text = await page.EvaluateAsync<string>("() => document.body.innerText + ' ' + [...document.querySelectorAll('[title],[aria-label],[placeholder],img[alt]')].map(e => [e.title, e.getAttribute('aria-label'), e.placeholder, e.alt].filter(Boolean).join(' ')).join(' ')");
        var shown = english.Where(e => e.Phrase.IsMatch(text)).Select(e => $"{e.Key} (\"{e.Phrase}\")").ToList();
        Assert.True(shown.Count == 0, $"In Russian, {where} shows English: {string.Join("; ", shown)}");
    }

    /// <summary>
    /// For every resource whose Russian text differs from the English, the English text's words between its
    /// placeholders, as whole words: none of them may appear on a Russian page.
    /// </summary>
    static IReadOnlyList<(string Key, Regex Phrase)> EnglishOnlyPhrases()
    {
        Dictionary<string, string> Load(string file) => XDocument.Load(Path.Combine(AppServer.RepositoryRoot, "StyleBlazor", "Resources", file))
            .Root!.Elements("data").ToDictionary(d => (string)d.Attribute("name")!, d => (string)d.Element("value")!);
        var (en, ru) = (Load("UiText.resx"), Load("UiText.ru.resx"));
        var phrases = new List<(string, Regex)>();
        foreach (var (key, value) in en)
        {
            if (!ru.TryGetValue(key, out var russian) || russian == value) continue;
            foreach (var fragment in Regex.Split(value, @"\{\d+(?::[^}]*)?\}").Select(f => f.Trim(' ', '.', ',', ':', ';', '·', '(', ')', '…', '—', '-')))
            {
                // Words of the English alone (not technical names the Russian text keeps, like "Adam" or "px").
                if (Regex.Matches(fragment, "[A-Za-z]").Count < 3 || russian.Contains(fragment)) continue;
                phrases.Add((key, new Regex($@"(?<![A-Za-z]){Regex.Escape(fragment)}(?![A-Za-z])")));
            }
        }
        return phrases;
    }
}

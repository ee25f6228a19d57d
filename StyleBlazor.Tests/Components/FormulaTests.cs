using System.Globalization;
using Bunit;
using StyleBlazor.Components.Formulas;
using StyleBlazor.Engine.Transfer;
using StyleBlazor.Jobs;

namespace StyleBlazor.Tests.Components;

public class FormulaTests : ComponentTestBase
{
    static readonly StyleTransferOptions Article = new()
    {
        ContentWeight = 1e3,
        StyleWeight = 1e-2,
        StyleLayers = [new("block1_conv1", 0.2), new("block2_conv1", 0.2), new("block3_conv1", 0.6)],
    };

    static LossRecord Record(int iteration = 7) => new(iteration, Total: 12.5, Content: 0.0125, Style: 0.25, TotalVariation: 0,
        new Dictionary<string, double> { ["block1_conv1"] = 1.5, ["block2_conv1"] = 0.5, ["block3_conv1"] = 2.5e-6 },
        ElapsedSeconds: 3, IterationsPerSecond: 2, EtaSeconds: 40);

    static string Symbol(IRenderedComponent<LossFormulas> formulas, string symbol) =>
        formulas.Find($"[data-symbol='{symbol}']").TextContent.Trim();

    [Theory]
    [InlineData("en", "0.2", "0.0125", "0.01")]
    [InlineData("ru", "0,2", "0,0125", "0,01")]
    public async Task TheFormulasAreMathMlWithTheRunsNumbersInTheCurrentCulture(string culture, string lambda, string contentLoss, string beta)
    {
        using var _ = new CultureScope(culture);
        await using var ctx = NewContext();

        var formulas = ctx.Render<LossFormulas>(p => p.Add(f => f.Loss, Record()).Add(f => f.Options, Article));

        // (2), (3), (4) and (5), each one <math> element.
        Assert.Equal(4, formulas.FindAll("math").Count);
        Assert.Equal(["2", "3", "4", "5"], formulas.FindAll("figure").Select(f => f.GetAttribute("data-formula")));
        Assert.All(formulas.FindAll("math"), m => Assert.Equal("block", m.GetAttribute("display")));
        // (5): J = α·J_C + β·J_S with the numbers.
        Assert.Equal("1000", Symbol(formulas, "alpha"));
        Assert.Equal(beta, Symbol(formulas, "beta"));
        Assert.Equal(contentLoss, Symbol(formulas, "J_C"));
        Assert.Equal("12" + (culture == "ru" ? "," : ".") + "5", Symbol(formulas, "J"));
        // (4): each λ_l with its J_S^(l); a very small one as mantissa × 10^n.
        Assert.Equal(lambda, Symbol(formulas, "lambda:block1_conv1"));
        Assert.Equal("1" + (culture == "ru" ? "," : ".") + "5", Symbol(formulas, "J_S:block1_conv1"));
        var tiny = formulas.Find("[data-symbol='J_S:block3_conv1']");
        Assert.Equal("mrow", tiny.LocalName);
        Assert.Equal(["2" + (culture == "ru" ? "," : ".") + "5", "10", "6"], tiny.QuerySelectorAll("mn").Select(n => n.TextContent));
        Assert.Equal(["×", "−"], tiny.QuerySelectorAll("mo").Select(n => n.TextContent)); // 2.5 × 10^−6
        Assert.Contains("7", formulas.Find("[data-testid=formulas-iteration]").TextContent);
    }

    [Fact]
    public async Task TheFormulasFollowTheRunsNormalisation()
    {
        await using var ctx = NewContext();

        var code = ctx.Render<LossFormulas>(p => p.Add(f => f.Loss, Record()).Add(f => f.Options, Article));
        var paper = ctx.Render<LossFormulas>(p => p.Add(f => f.Loss, Record()).Add(f => f.Options, Article with { Normalization = LossNormalization.Paper }));

        // The printed (2) has 1/(4·nH·nW·nC); the article's code leaves the 4 out, and the page says so.
        Assert.Equal("4", paper.Find("[data-formula='2'] mfrac > mrow > mn").TextContent);
        Assert.Empty(code.FindAll("[data-formula='2'] mfrac > mrow > mn"));
        Assert.Contains("4 ×", code.Find(".formulas__note").TextContent);
        Assert.Empty(paper.FindAll(".formulas__note"));
    }

    [Fact]
    public async Task BeforeTheFirstIterationTheFormulasShowSymbolsAndSaySo()
    {
        await using var ctx = NewContext();

        var formulas = ctx.Render<LossFormulas>(p => p.Add(f => f.Loss, null).Add(f => f.Options, Article));

        Assert.Equal(4, formulas.FindAll("math").Count);
        Assert.Empty(formulas.FindAll("[data-symbol=J]"));
        Assert.Equal("1000", Symbol(formulas, "alpha"));
        Assert.Equal("-1", formulas.Find("[data-testid=formulas]").GetAttribute("data-iteration"));
    }

    [Fact]
    public async Task TheBarsAreAsLongAsEachLayersStyleLossAgainstTheLargest()
    {
        await using var ctx = NewContext();
        var loss = Record() with { StyleLayers = new Dictionary<string, double> { ["block1_conv1"] = 1, ["block2_conv1"] = 4, ["block3_conv1"] = 2 } };

        var bars = ctx.Render<StyleLayerBars>(p => p.Add(b => b.Loss, loss).Add(b => b.Options, Article));
        var rows = bars.FindAll("[data-testid=style-bar]");

        Assert.Equal(["block1_conv1", "block2_conv1", "block3_conv1"], rows.Select(r => r.GetAttribute("data-layer")));
        Assert.Equal(["25", "100", "50"], rows.Select(r => r.GetAttribute("data-width")));
        Assert.Equal(["transform: scaleX(0.25)", "transform: scaleX(1)", "transform: scaleX(0.5)"], bars.FindAll(".style-bars__bar").Select(b => b.GetAttribute("style")));
        // Shares of (4): 0.2·1, 0.2·4, 0.6·2 of 2.2.
        Assert.Equal(["9%", "36%", "55%"], bars.FindAll("[data-testid=style-share]").Select(s => s.TextContent.Replace(" ", "").Replace("\u00a0", "")));
    }

    [Fact]
    public async Task TheBarsMoveWhenANewIterationArrives()
    {
        await using var ctx = NewContext();
        var bars = ctx.Render<StyleLayerBars>(p => p.Add(b => b.Loss, Record()).Add(b => b.Options, Article));

        bars.Render(p => p.Add(b => b.Loss, Record(8) with { StyleLayers = new Dictionary<string, double> { ["block1_conv1"] = 1, ["block2_conv1"] = 2, ["block3_conv1"] = 1 } }));

        Assert.Equal(["50", "100", "50"], bars.FindAll("[data-testid=style-bar]").Select(r => r.GetAttribute("data-width")));
    }

    sealed class CultureScope : IDisposable
    {
        readonly (CultureInfo, CultureInfo) _previous = (CultureInfo.CurrentCulture, CultureInfo.CurrentUICulture);

        public CultureScope(string name) => CultureInfo.CurrentCulture = CultureInfo.CurrentUICulture = CultureInfo.GetCultureInfo(name);

        public void Dispose() => (CultureInfo.CurrentCulture, CultureInfo.CurrentUICulture) = _previous;
    }
}

using System.Globalization;
using System.Net;
using Microsoft.AspNetCore.Components;

namespace StyleBlazor.Components.Formulas;

/// <summary>
/// MathML written as text. Blazor (.NET 10) creates the elements it renders one by one in the HTML namespace, where a
/// <c>&lt;math&gt;</c> lays out as plain text (dotnet/aspnetcore#60064, fixed in .NET 11); markup inserted as a whole
/// goes through the browser's own HTML parser, which puts it in the MathML namespace. So each formula is one
/// <see cref="MarkupString"/>. Text is HTML-encoded here; the helpers nest, so a formula reads like its MathML.
/// </summary>
public static class MathMl
{
    public static MarkupString Block(params string[] content) => new($"<math display=\"block\">{string.Concat(content)}</math>");

    public static MarkupString Inline(params string[] content) => new($"<math>{string.Concat(content)}</math>");

    public static string Mi(string identifier) => $"<mi>{Encode(identifier)}</mi>";

    /// <summary>Upright text (a word or a name, not a variable), with a CSS class when given.</summary>
    public static string Word(string text, string? cssClass = null) =>
        cssClass is null ? $"<mtext>{Encode(text)}</mtext>" : $"<mtext class=\"{Encode(cssClass)}\">{Encode(text)}</mtext>";

    public static string Mn(string number) => $"<mn>{Encode(number)}</mn>";

    public static string Mo(string op) => $"<mo>{Encode(op)}</mo>";

    public static string Row(params string[] content) => $"<mrow>{string.Concat(content)}</mrow>";

    public static string Sub(string @base, string sub) => $"<msub>{@base}{sub}</msub>";

    public static string Sup(string @base, string sup) => $"<msup>{@base}{sup}</msup>";

    public static string SubSup(string @base, string sub, string sup) => $"<msubsup>{@base}{sub}{sup}</msubsup>";

    public static string Frac(string numerator, string denominator) => $"<mfrac>{numerator}{denominator}</mfrac>";

    /// <summary>A large operator with its limits below, e.g. ∑ over i, j.</summary>
    public static string Under(string op, string below) => $"<munder>{op}{below}</munder>";

    public static string Parens(params string[] content) => Row([Mo("("), .. content, Mo(")")]);

    /// <summary>
    /// Rows of cells (a derivation: J = … = … = value), in display style: full-size fractions and limits under ∑, as the
    /// article prints them (a table's cells are compact otherwise). Chromium's MathML has no columnalign: align columns in CSS.
    /// </summary>
    public static string Table(IEnumerable<string[]> rows) =>
        $"<mtable displaystyle=\"true\">{string.Concat(rows.Select(r => $"<mtr>{string.Concat(r.Select(c => $"<mtd>{c}</mtd>"))}</mtr>"))}</mtable>";

    /// <summary>A run's number, highlighted and named for tests (<c>data-symbol</c>), as <see cref="FormulaNumbers.Split"/> writes it.</summary>
    public static string Number(double value, string? symbol = null)
    {
        string name = symbol is null ? "" : $" data-symbol=\"{Encode(symbol)}\"";
        return FormulaNumbers.Split(value, CultureInfo.CurrentCulture) switch
        {
            (null, _) => $"<mi mathvariant=\"normal\"{name}>—</mi>",
            (var m, 0) => $"<mn{name}>{Encode(m)}</mn>",
            (var m, var e) => $"<mrow{name}>{Mn(m)}{Mo("×")}{Sup(Mn("10"), e < 0 ? Row(Mo("−"), Mn((-e).ToString(CultureInfo.CurrentCulture))) : Mn(e.ToString(CultureInfo.CurrentCulture)))}</mrow>",
        };
    }

    static string Encode(string text) => WebUtility.HtmlEncode(text);
}

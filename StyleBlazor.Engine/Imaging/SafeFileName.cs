using System.Globalization;
using System.Text;

namespace StyleBlazor.Engine.Imaging;

/// <summary>
/// Makes a user-supplied file name fit to show. It is never used for storage; HTML-encoding stays
/// the renderer's job (Razor does it), this removes what encoding does not: paths, invisible and
/// direction-changing characters, and unbounded length.
/// </summary>
public static class SafeFileName
{
    public const int MaxLength = 80;
    public const string Fallback = "image";
    private const string Ellipsis = "…";

    public static string ForDisplay(string? userName)
    {
        if (string.IsNullOrWhiteSpace(userName))
        {
            return Fallback;
        }

        // Browsers may send a full path (old IE sends C:\…); keep the last part of either kind.
        var name = userName[(userName.LastIndexOfAny(['/', '\\']) + 1)..];
        var kept = new StringBuilder(name.Length);
        foreach (var rune in name.EnumerateRunes())
        {
            if (IsShowable(rune))
            {
                kept.Append(rune.ToString());
            }
        }

        var cleaned = kept.ToString().Trim().TrimStart('.').Trim();
        if (cleaned.Length == 0)
        {
            return Fallback;
        }

        return Truncate(cleaned);
    }

    private static bool IsShowable(Rune rune)
    {
        var category = Rune.GetUnicodeCategory(rune);
        // Control (C0, C1), Format (bidi overrides and isolates U+202A–202E, U+2066–2069, zero-width
        // characters), line/paragraph separators, unassigned, private use and lone surrogates.
        return category is not (UnicodeCategory.Control or UnicodeCategory.Format or UnicodeCategory.LineSeparator
            or UnicodeCategory.ParagraphSeparator or UnicodeCategory.OtherNotAssigned or UnicodeCategory.PrivateUse
            or UnicodeCategory.Surrogate);
    }

    private static string Truncate(string name)
    {
        var elements = StringInfo.GetTextElementEnumerator(name);
        var length = 0;
        var cut = -1;
        while (elements.MoveNext())
        {
            length++;
            if (length == MaxLength)
            {
                // Cut between whole characters (emoji, accents), leaving room for the ellipsis.
                cut = elements.ElementIndex;
            }
        }

        return length <= MaxLength ? name : string.Concat(name.AsSpan(0, cut), Ellipsis);
    }
}

using System.Globalization;

namespace StyleBlazor.Components.Formulas;

/// <summary>How the formulas, the bars and the legends write the run's numbers, in the page's culture.</summary>
public static class FormulaNumbers
{
    /// <summary>
    /// A number in <paramref name="culture"/> with four significant digits: written out from 0.001 to 100 000, else as a
    /// mantissa and a power of ten; a negative one with the minus sign (−) rather than a hyphen. A null mantissa for NaN
    /// or infinity (a diverged run).
    /// </summary>
    public static (string? Mantissa, int Exponent) Split(double value, CultureInfo culture)
    {
        if (double.IsNaN(value) || double.IsInfinity(value)) return (null, 0);
        double magnitude = Math.Abs(value);
        if (magnitude == 0) return ("0", 0);
        int exponent = (int)Math.Floor(Math.Log10(magnitude));
        string sign = value < 0 ? "−" : "";
        if (exponent is >= -3 and < 5)
            return (sign + Math.Round(magnitude, Math.Max(0, 3 - exponent)).ToString("0.######", culture), 0);
        double mantissa = Math.Round(magnitude / Math.Pow(10, exponent), 3);
        if (mantissa >= 10) (mantissa, exponent) = (mantissa / 10, exponent + 1);
        return (sign + mantissa.ToString("0.###", culture), exponent);
    }

    /// <summary>A share as a whole percentage ("36%", "36 %" in Russian), never broken across two lines.</summary>
    public static string Percent(double share, CultureInfo culture) => share.ToString("P0", culture).Replace(' ', '\u00A0');
}

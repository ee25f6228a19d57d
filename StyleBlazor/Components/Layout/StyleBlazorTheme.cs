using MudBlazor;

namespace StyleBlazor.Components.Layout;

/// <summary>The app's look: a deep indigo with a warm accent (paint on canvas), light and dark palettes.</summary>
public static class StyleBlazorTheme
{
    // System fonts only: the app runs on intranets without access to font CDNs.
    static readonly string[] Fonts = ["Inter", "Segoe UI", "Roboto", "Helvetica Neue", "Arial", "sans-serif"];

    public static MudTheme Theme { get; } = new()
    {
        PaletteLight = new PaletteLight
        {
            Primary = "#4338ca",
            Secondary = "#e2683c",
            Tertiary = "#0f766e",
            AppbarBackground = "#1e1b4b",
            AppbarText = "#f5f3ff",
            Background = "#f6f5fb",
            Surface = "#ffffff",
            DrawerBackground = "#ffffff",
            TextPrimary = "#1f2330",
            TextSecondary = "#5b6072",
            LinesDefault = "#e3e1ee",
        },
        PaletteDark = new PaletteDark
        {
            Primary = "#a5b4fc",
            Secondary = "#f59e6b",
            Tertiary = "#5eead4",
            AppbarBackground = "#0c0a1f",
            AppbarText = "#e0e7ff",
            Background = "#11111a",
            Surface = "#1b1b28",
            DrawerBackground = "#1b1b28",
            TextPrimary = "#ecebf5",
            TextSecondary = "#a7a9bd",
            LinesDefault = "#2c2c3d",
        },
        Typography = new Typography
        {
            Default = new DefaultTypography { FontFamily = Fonts },
            H4 = new H4Typography { FontFamily = Fonts, FontWeight = "700", LetterSpacing = "-.01em" },
            H5 = new H5Typography { FontFamily = Fonts, FontWeight = "650" },
            H6 = new H6Typography { FontFamily = Fonts, FontWeight = "600" },
        },
        LayoutProperties = new LayoutProperties { DefaultBorderRadius = "10px" },
    };
}

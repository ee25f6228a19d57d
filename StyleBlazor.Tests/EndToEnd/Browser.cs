using Microsoft.Playwright;

namespace StyleBlazor.Tests.EndToEnd;

/// <summary>Debian's Chromium driven by Playwright (its own browser download cannot work here).</summary>
public sealed class Browser : IAsyncLifetime
{
    IPlaywright? _playwright;
    public IBrowser Instance { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        _playwright = await Playwright.CreateAsync();
        Instance = await _playwright.Chromium.LaunchAsync(new()
        {
            ExecutablePath = "/usr/bin/chromium",
            Headless = true,
            Args =
            [
                "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-dev-shm-usage",
            ],
        });
    }

    /// <summary>A fresh context: its own cookies, so its own browser session (another "user").</summary>
    /// <param name="motion">The user's motion preference (prefers-reduced-motion); none by default.</param>
    public Task<IBrowserContext> NewUserAsync(ReducedMotion motion = ReducedMotion.NoPreference) => Instance.NewContextAsync(new()
    {
        AcceptDownloads = true,
        ViewportSize = new() { Width = 1440, Height = 960 },
        Locale = "en-US",
        ReducedMotion = motion,
    });

    public async Task DisposeAsync()
    {
        if (Instance is not null) await Instance.CloseAsync();
        _playwright?.Dispose();
    }
}

using System.ComponentModel.DataAnnotations;

namespace StyleBlazor.Jobs;

/// <summary>
/// Limits on who may start jobs and hold circuits (section <c>Limits</c>). They are applied inside the app, because
/// HTTP rate-limiting middleware never sees what happens on an open circuit or hub connection.
/// </summary>
public sealed class SubmissionLimitOptions
{
    public const string Section = "Limits";

    /// <summary>Jobs one browser session may submit per minute (UI and hub together), accepted or not.</summary>
    [Range(1, 10_000)]
    public int SubmissionsPerMinutePerSession { get; set; } = 10;

    /// <summary>Jobs one client IP may submit per minute, over all its sessions.</summary>
    [Range(1, 100_000)]
    public int SubmissionsPerMinutePerAddress { get; set; } = 30;

    /// <summary>Blazor circuits (open studio tabs) one browser session may hold at once.</summary>
    [Range(1, 1000)]
    public int CircuitsPerSession { get; set; } = 5;

    /// <summary>Blazor circuits one client IP may hold at once.</summary>
    [Range(1, 100_000)]
    public int CircuitsPerAddress { get; set; } = 20;

    /// <summary>Progress hub connections one client IP may hold at once.</summary>
    [Range(1, 100_000)]
    public int HubConnectionsPerAddress { get; set; } = 20;
}

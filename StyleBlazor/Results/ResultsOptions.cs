using System.ComponentModel.DataAnnotations;

namespace StyleBlazor.Results;

public enum ProgressionFormat { Jpeg, WebP }

/// <summary>Where results are kept, for how long, and how much of a run's progression is stored. Section "Results".</summary>
public sealed class ResultsOptions
{
    public const string Section = "Results";

    /// <summary>
    /// <c>ConnectionStrings:Results</c>: a PostgreSQL connection string for several nodes sharing one result store; empty =
    /// SQLite in <see cref="DataDirectory"/>.
    /// </summary>
    public const string ConnectionStringName = "Results";

    /// <summary>
    /// Holds results.db (with SQLite) and one folder per result; relative paths are under the content root. Never under
    /// wwwroot. With several nodes, a folder that every node mounts.
    /// </summary>
    [Required]
    public string DataDirectory { get; set; } = "data";

    /// <summary>How long a share link works; then the cleanup service deletes the result and its files.</summary>
    [Range(1, 3650)]
    public int RetentionDays { get; set; } = 30;

    /// <summary>
    /// The most bytes the stored results' files may take together (0 = no limit). When a new result would pass it,
    /// results past their retention are deleted first; if it would pass it still, the result is not stored: its job
    /// completes, and its owner is told to download it while the server holds it in memory.
    /// </summary>
    [Range(0, long.MaxValue)]
    public long MaxStoredBytes { get; set; } = 10L * 1024 * 1024 * 1024;

    /// <summary>How often the cleanup service looks for expired results.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "7.00:00:00")]
    public TimeSpan CleanupInterval { get; set; } = TimeSpan.FromHours(1);

    /// <summary>Keep the uploaded content and style images (re-encoded as PNG) with the result.</summary>
    public bool KeepUploads { get; set; }

    /// <summary>At most this many improved frames are kept for the replay; more are thinned evenly (the last is kept).</summary>
    [Range(1, 1000)]
    public int MaxProgressionFrames { get; set; } = 60;

    /// <summary>At most this many bytes of encoded progression frames per result; more are thinned.</summary>
    [Range(64 * 1024, 512L * 1024 * 1024)]
    public long MaxProgressionBytes { get; set; } = 8 * 1024 * 1024;

    [Range(32, 4096)]
    public int ProgressionMaxSide { get; set; } = 512;

    public ProgressionFormat ProgressionFormat { get; set; } = ProgressionFormat.Jpeg;

    [Range(1, 100)]
    public int ProgressionQuality { get; set; } = 80;

    [Range(32, 1024)]
    public int ThumbnailMaxSide { get; set; } = 256;

    [Range(32, 2048)]
    public int GifMaxSide { get; set; } = 320;

    /// <summary>Delay between GIF frames in hundredths of a second; the last frame is held ten times as long.</summary>
    [Range(1, 1000)]
    public int GifFrameDelay { get; set; } = 15;

    /// <summary>Loss points kept per result for the chart; longer histories are thinned evenly.</summary>
    [Range(10, 100_000)]
    public int MaxLossPoints { get; set; } = 1000;

    /// <summary>Result page views per client IP per minute (fixed window).</summary>
    [Range(1, 100_000)]
    public int PageRequestsPerMinute { get; set; } = 60;

    /// <summary>Image and download requests per client IP: a token bucket this large...</summary>
    [Range(1, 100_000)]
    public int DownloadBurst { get; set; } = 300;

    /// <summary>...refilled by this many tokens a second.</summary>
    [Range(1, 100_000)]
    public int DownloadRequestsPerSecond { get; set; } = 10;

    /// <summary>
    /// How long a finished job keeps trying to store its result while the database is unreachable (with back-off), before
    /// it says plainly that storing failed.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00", "1.00:00:00")]
    public TimeSpan StoreRetryTime { get; set; } = TimeSpan.FromMinutes(2);
}

using StyleBlazor.Jobs;
using System.Text.Json;
using System.Text.Json.Serialization;
using StyleBlazor.Engine.Transfer;

namespace StyleBlazor.Results;

/// <summary>A stored result's metadata row. Its images live in the result's folder (see <see cref="ResultFiles"/>).</summary>
public sealed class StoredResult
{
    internal static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals, // a diverged run has NaN losses
        Converters = { new JsonStringEnumConverter() },
    };

    public Guid Id { get; set; }

    /// <summary>
    /// The job that made it. Unique: a job stores at most one result, even when two workers ran it (one thought dead,
    /// its job taken over), so storing is idempotent.
    /// </summary>
    [System.ComponentModel.DataAnnotations.MaxLength(64)]
    public string? JobId { get; set; }

    /// <summary>SHA-256 of the owner's browser-session id, so the table does not hold live session ids.</summary>
    public required byte[] OwnerHash { get; set; }

    /// <summary>SHA-256 of the share token; the token itself is never stored.</summary>
    public required byte[] TokenHash { get; set; }

    public ResultOutcome Outcome { get; set; }
    public required string Backbone { get; set; }
    public required string OptionsJson { get; set; }
    public required string LossHistoryJson { get; set; }
    public int Width { get; set; }
    public int Height { get; set; }
    public int BestIteration { get; set; }
    public int IterationsRun { get; set; }
    public double ElapsedSeconds { get; set; }

    /// <summary>Iterations of the stored progression frames, in order; frame i of the replay is FrameIterations[i].</summary>
    public List<int> FrameIterations { get; set; } = [];
    public ProgressionFormat FrameFormat { get; set; }

    /// <summary>
    /// How many style pictures the run blended, each with a thumbnail (<see cref="ResultFiles.StyleThumbnailOf"/>); their
    /// weights are the options' <see cref="StyleTransferOptions.StyleBlend"/>. Results stored before several styles: 1.
    /// </summary>
    public int StyleCount { get; set; } = 1;

    /// <summary>Each style picture's share of the blend, in order: the normalised weights, or equal shares when none were given.</summary>
    public IReadOnlyList<double> StyleShares()
    {
        var weights = Options().StyleBlend;
        double sum = weights.Sum();
        return weights.Count == StyleCount && sum > 0
            ? weights.Select(w => w / sum).ToArray()
            : Enumerable.Repeat(1.0 / StyleCount, StyleCount).ToArray();
    }
    public bool HasUploads { get; set; }
    public long StoredBytes { get; set; }

    public DateTime CreatedAt { get; set; }
    public DateTime ExpiresAt { get; set; }
    public DateTime? RevokedAt { get; set; }

    public bool IsAvailableAt(DateTime utcNow) => RevokedAt is null && ExpiresAt > utcNow;

    public StyleTransferOptions Options() => JsonSerializer.Deserialize<StyleTransferOptions>(OptionsJson, Json)!;

    public IReadOnlyList<LossRecord> LossHistory() => JsonSerializer.Deserialize<List<LossRecord>>(LossHistoryJson, Json)!;
}

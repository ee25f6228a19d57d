namespace StyleBlazor.Hubs;

// Kept free of other app types: tools/LoadTest compiles this same file, so the load command and the hub cannot drift
// apart (MessagePack maps are keyed by property name).

/// <summary>A job submitted through the hub: encoded images plus optional overrides of the backbone's defaults.</summary>
public sealed class SubmitRequest
{
    public byte[] Content { get; set; } = [];
    public byte[][] Styles { get; set; } = [];
    public string? Backbone { get; set; }
    public int? Iterations { get; set; }
    public int? MaxSide { get; set; }
    public double? ContentWeight { get; set; }
    public double? StyleWeight { get; set; }
    public double? TotalVariationWeight { get; set; }
    public double? LearningRate { get; set; }
    public int? Seed { get; set; }
}

/// <summary>The answer to <see cref="ProgressHub.Submit"/>: the job id, or the refusal and why.</summary>
public sealed class SubmitReply
{
    public bool Accepted { get; set; }
    public string? JobId { get; set; }
    public int Position { get; set; }

    /// <summary>A <see cref="SubmissionRefusal"/> name when refused.</summary>
    public string? Refusal { get; set; }
    public string? Message { get; set; }
}

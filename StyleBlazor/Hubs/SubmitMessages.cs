using StyleBlazor.Jobs;

namespace StyleBlazor.Hubs;

// Kept free of other app types but TransferSettings: tools/LoadTest compiles this same file, so the load command and
// the hub cannot drift apart (MessagePack maps are keyed by property name).

/// <summary>A job submitted through the hub: encoded images, and what to change of the backbone's recipe.</summary>
public sealed class SubmitRequest
{
    public byte[] Content { get; set; } = [];
    public byte[][] Styles { get; set; } = [];

    /// <summary>The same settings, by the same names, as the CLI's flags and the HTTP API's <c>options</c>.</summary>
    public TransferSettings Options { get; set; } = new();
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

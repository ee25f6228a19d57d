using StyleBlazor.Jobs;

namespace StyleBlazor.Hubs;

/// <summary>One iteration's losses in a <see cref="IProgressClient.History"/> message (MessagePack map, property names as keys).</summary>
public sealed class LossEntry
{
    public int Iteration { get; set; }
    public double J { get; set; }
    public double JC { get; set; }
    public double JS { get; set; }
    public double TotalVariation { get; set; }
    public Dictionary<string, double> PerLayer { get; set; } = [];
    public double ElapsedSeconds { get; set; }
    public double IterationsPerSecond { get; set; }
    public double EtaSeconds { get; set; }

    public static LossEntry From(LossRecord r) => new()
    {
        Iteration = r.Iteration,
        J = r.Total,
        JC = r.Content,
        JS = r.Style,
        TotalVariation = r.TotalVariation,
        PerLayer = new Dictionary<string, double>(r.StyleLayers),
        ElapsedSeconds = r.ElapsedSeconds,
        IterationsPerSecond = r.IterationsPerSecond,
        EtaSeconds = r.EtaSeconds,
    };
}

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

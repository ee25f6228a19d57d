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

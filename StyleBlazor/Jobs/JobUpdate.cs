using System.Text.Json.Serialization;

namespace StyleBlazor.Jobs;

// Kept free of other app and engine types: tools/LoadTest compiles this same file, so the load command, the hub, the
// HTTP API and the components cannot drift apart (MessagePack and JSON maps are keyed by property name).

/// <summary>Where a job is. Interrupted: the server (or its worker) stopped before the job could end by itself.</summary>
public enum JobState { Queued, Running, Completed, Failed, Cancelled, Interrupted }

/// <summary>
/// One iteration's loss values as watchers see them: J of (5), the terms J_C (2) and J_S (4) as they enter J, the
/// total-variation term, each style layer's J_S^(l) (3), and the pace at that moment. <c>EtaSeconds</c> is the engine's
/// estimate of the time left, which knows the run's schedule (a coarse-to-fine run's later steps cost more): null until
/// a step has been timed.
/// </summary>
public sealed record LossRecord(
    int Iteration,
    double Total,
    double Content,
    double Style,
    double TotalVariation,
    IReadOnlyDictionary<string, double> StyleLayers,
    double ElapsedSeconds,
    double IterationsPerSecond,
    double? EtaSeconds);

/// <summary>
/// Something that happened to a job, as every watcher receives it: the Blazor components, the hub's clients, the HTTP
/// API's event stream and (between nodes) the wire. A live run goes
/// <see cref="Queued"/>* → <see cref="Started"/> → (<see cref="Progress"/> | <see cref="Frame"/>)* → <see cref="Ended"/>;
/// a watcher gets a <c>Snapshot</c> of everything so far first. A <see cref="Started"/> with a higher
/// <see cref="Started.Attempt"/> means the job restarts from the beginning (its worker went away).
/// </summary>
[JsonPolymorphic(TypeDiscriminatorPropertyName = "type")]
[JsonDerivedType(typeof(Queued), "queued")]
[JsonDerivedType(typeof(Started), "started")]
[JsonDerivedType(typeof(Progress), "progress")]
[JsonDerivedType(typeof(Frame), "frame")]
[JsonDerivedType(typeof(Ended), "ended")]
public abstract partial record JobUpdate
{
    /// <summary>The job waits; 1 = next to run. Sent whenever the position changes.</summary>
    public sealed record Queued(int Position) : JobUpdate;

    /// <summary>A worker took the job; attempt 1 is the first run, a later one a restart from the beginning.</summary>
    public sealed record Started(int Attempt) : JobUpdate;

    /// <summary>One iteration's losses (every iteration, never coalesced).</summary>
    public sealed record Progress(LossRecord Loss) : JobUpdate;

    /// <summary>An improved image, encoded (JPEG or WebP per the server's Frames settings). A slow watcher gets the newest only.</summary>
    public sealed record Frame(int Iteration, int Width, int Height, string ContentType, byte[] Bytes) : JobUpdate;

    /// <summary>
    /// The job reached its final <paramref name="State"/>. <paramref name="Message"/> says why for anything but
    /// Completed; <paramref name="ShareLink"/> is the stored result's permanent <c>/r/{token}</c> path, or null when
    /// nothing was stored (then <paramref name="Message"/> says so).
    /// </summary>
    public sealed record Ended(JobState State, string? Message, string? ShareLink) : JobUpdate;
}

using System.Text.Json.Serialization;
using StyleBlazor.Engine.Transfer;

namespace StyleBlazor.Jobs;

[JsonDerivedType(typeof(Snapshot), "snapshot")]
public abstract partial record JobUpdate
{
    /// <summary>
    /// Everything known about a job at the moment a watcher starts, so one who joins mid-run sees the whole run: what
    /// it runs (backbone, options), where it is, every iteration's losses so far and the newest frame.
    /// </summary>
    public sealed record Snapshot(
        string JobId,
        string Backbone,
        StyleTransferOptions Options,
        JobState State,
        int Position,
        int Attempt,
        IReadOnlyList<LossRecord> History,
        Frame? LatestFrame,
        string? Message,
        string? ShareLink,
        Guid? ResultId) : JobUpdate
    {
        public bool IsFinished => State.IsFinished();
    }
}

public static class JobStates
{
    public static bool IsFinished(this JobState state) => state is not (JobState.Queued or JobState.Running);
}

using StyleBlazor.Jobs;

namespace StyleBlazor.Hubs;

/// <summary>
/// What a watcher of a job receives from <see cref="ProgressHub"/>: the <see cref="JobUpdate"/> records themselves, one
/// method each. A watcher first gets the job's <c>History</c> and newest <c>Frame</c>, then its state
/// (<c>Queued</c> or <c>Started</c>), then live updates until <c>Ended</c>.
/// </summary>
public interface IProgressClient
{
    /// <summary>Every iteration so far, sent once when a watcher joins (an empty array for a job that has not started).</summary>
    Task History(LossRecord[] losses);

    Task Queued(JobUpdate.Queued update);

    Task Started(JobUpdate.Started update);

    Task Progress(JobUpdate.Progress update);

    /// <summary>An improved image. A slow watcher gets the newest only.</summary>
    Task Frame(JobUpdate.Frame frame);

    Task Ended(JobUpdate.Ended update);
}

namespace StyleBlazor.Hubs;

/// <summary>What a watcher of a job receives from <see cref="ProgressHub"/>, in this order for a live run:
/// <c>Queued</c>* → <c>Started</c> → (<c>Progress</c> | <c>Frame</c>)* → <c>Completed</c> | <c>Failed</c> | <c>Cancelled</c>.
/// A watcher that joins late first gets <c>History</c> and the latest <c>Frame</c>, then the job's state, then live messages.</summary>
public interface IProgressClient
{
    /// <summary>The job is waiting; 1 = next to run. Sent again whenever the position changes.</summary>
    Task Queued(int position);

    Task Started();

    /// <summary>One iteration: J (5), the unweighted J_C (2) and J_S (4), each layer's J_S^(l) (3), and the pace.</summary>
    Task Progress(int iteration, double j, double jC, double jS, Dictionary<string, double> perLayer,
        double elapsedSeconds, double iterationsPerSecond, double etaSeconds);

    /// <summary>An improved image (JPEG or WebP, per the server's Frames settings). A slow watcher gets the newest only.</summary>
    Task Frame(int iteration, int width, int height, byte[] bytes);

    /// <summary>Every iteration so far, sent once when a watcher joins.</summary>
    Task History(LossEntry[] losses);

    Task Completed(string resultLink);

    /// <summary>The job failed, ran out of time, or was interrupted by a server shutdown.</summary>
    Task Failed(string message);

    Task Cancelled();
}

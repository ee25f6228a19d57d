using StyleBlazor.Engine.Backbones;
using StyleBlazor.Jobs;

namespace StyleBlazor.Studio;

/// <summary>
/// Stands in when the app runs without the job service: the studio still opens, shows that no engine is available and
/// refuses to start, instead of failing to resolve a service. Replaced by the real adapter once Jobs/ is registered.
/// </summary>
sealed class UnavailableStudioJobs : IStudioJobs
{
    public IBackboneCatalog? Backbones => null;
    public int MaxStyles => 1;

    public Task<SubmitResult> SubmitAsync(StudioSubmission submission)
    {
        submission.Content.Dispose();
        foreach (var style in submission.Styles) style.Dispose();
        return Task.FromResult(SubmitResult.Refused("The style-transfer engine is not running on this server."));
    }

    public Task<bool> CancelAsync(string jobId, string ownerId) => Task.FromResult(false);
    public IAsyncEnumerable<JobUpdate> WatchAsync(string jobId, CancellationToken cancellationToken = default) => AsyncEnumerable.Empty<JobUpdate>();
    public Task<byte[]?> ResultPngAsync(string jobId, CancellationToken cancellationToken = default) => Task.FromResult<byte[]?>(null);
}

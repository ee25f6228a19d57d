using StyleBlazor.Engine.Backbones;

namespace StyleBlazor.Studio;

/// <summary>
/// Stands in when the app runs without the job service: the studio still opens, shows that no engine is available and
/// refuses to start, instead of failing to resolve a service. Replaced by the real adapter once Jobs/ is registered.
/// </summary>
sealed class UnavailableStudioJobs : IStudioJobs
{
    public IReadOnlyList<BackboneInfo> Backbones => [];

    public SubmitResult Submit(StudioSubmission submission)
    {
        submission.Content.Dispose();
        submission.Style.Dispose();
        return SubmitResult.Refused("The style-transfer engine is not running on this server.");
    }

    public bool Cancel(string jobId, string ownerId) => false;
    public IDisposable? Watch(string jobId, Action<StudioJobEvent> onEvent) => null;
    public Task<byte[]?> ResultPngAsync(string jobId, CancellationToken cancellationToken = default) => Task.FromResult<byte[]?>(null);
}

using StyleBlazor.Results;

namespace StyleBlazor.Tests.Support;

/// <summary>A result sink for tests of the feed alone: nothing is stored, so nothing is ever withdrawn.</summary>
public sealed class NothingStored : IJobResultSink
{
    public ProgressionRecorder CreateRecorder() => throw new NotSupportedException("These tests store no result.");
    public Task<ShareLink> SaveAsync(NewResult result, CancellationToken cancellationToken = default) => throw new NotSupportedException("These tests store no result.");
    public Task<bool> IsWithdrawnAsync(Guid resultId, CancellationToken cancellationToken = default) => Task.FromResult(false);
}

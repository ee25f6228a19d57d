using StyleBlazor.Results;

namespace StyleBlazor.Jobs;

/// <summary>A finished job's picture as PNG: the stored result's file, or (when storing failed) its bytes.</summary>
public sealed record ResultImage(string? FilePath, byte[]? Bytes)
{
    public async Task<byte[]> ReadAllBytesAsync(CancellationToken cancellationToken = default) =>
        Bytes ?? await File.ReadAllBytesAsync(FilePath!, cancellationToken);
}

/// <summary>
/// Where a finished job's picture is, for <c>/api/jobs/{id}/result.png</c> and the Studio's download: the stored result's
/// file when it was stored (nothing is encoded per request; every node mounts the data directory), else the picture the
/// job kept because storing failed. Nothing for a job that is unknown, unfinished, or whose result was revoked or deleted
/// (<see cref="IJobFeed.SnapshotAsync"/>).
/// </summary>
public sealed class JobResults(IJobFeed feed, IJobBoard board, ResultFiles files)
{
    public async Task<ResultImage?> PngAsync(string jobId, CancellationToken cancellationToken = default)
    {
        if (await feed.SnapshotAsync(jobId, cancellationToken) is not { IsFinished: true } snapshot) return null;
        if (snapshot.ResultId is { } id)
        {
            var path = Path.Combine(files.FolderOf(id), ResultFiles.ResultPng);
            return File.Exists(path) ? new ResultImage(path, null) : null;
        }
        return await board.UnstoredResultPngAsync(jobId, cancellationToken) is { } bytes ? new ResultImage(null, bytes) : null;
    }
}

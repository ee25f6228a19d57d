using System.Runtime.CompilerServices;
using StyleBlazor.Results;

namespace StyleBlazor.Jobs;

/// <summary>A finished job's picture as PNG: the stored result's file, or (when storing failed) its bytes from memory.</summary>
public sealed record ResultImage(string? FilePath, byte[]? Bytes)
{
    public async Task<byte[]> ReadAllBytesAsync(CancellationToken cancellationToken = default) =>
        Bytes ?? await File.ReadAllBytesAsync(FilePath!, cancellationToken);
}

/// <summary>
/// Where a finished job's picture is, for <c>/api/jobs/{id}/result.png</c> and the Studio's download: the stored result's
/// file when it was stored (nothing is encoded per request), else the in-memory best image, encoded once. Nothing for a
/// job that is unknown, unfinished, or whose result was revoked or deleted (<see cref="IJobFeed.SnapshotAsync"/>).
/// </summary>
public sealed class JobResults(IJobFeed feed, JobRegistry jobs, ResultFiles files)
{
    readonly ConditionalWeakTable<StyleTransferJob, byte[]> _encoded = [];

    public async Task<ResultImage?> PngAsync(string jobId, CancellationToken cancellationToken = default)
    {
        if (await feed.SnapshotAsync(jobId, cancellationToken) is not { IsFinished: true } snapshot) return null;
        if (snapshot.ResultId is { } id)
        {
            var path = Path.Combine(files.FolderOf(id), ResultFiles.ResultPng);
            if (File.Exists(path)) return new ResultImage(path, null);
        }
        if (jobs.Find(jobId) is not { Result: { } result } job) return null;
        return await Task.Run(() => new ResultImage(null, _encoded.GetValue(job, _ => FrameEncoder.EncodePng(result.BestImage))), cancellationToken);
    }
}

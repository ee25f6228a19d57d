using System.Collections.Concurrent;
using System.Data.Common;
using StyleBlazor.Jobs;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Caching.Memory;
using Microsoft.Extensions.Options;
using SixLabors.ImageSharp;

namespace StyleBlazor.Results;

public enum LinkState { Found, NotFound, Gone }

/// <summary>What a share token leads to. <see cref="Result"/> is set only when <see cref="State"/> is Found.</summary>
public sealed record ResultLookup(LinkState State, StoredResult? Result)
{
    public static readonly ResultLookup NotFound = new(LinkState.NotFound, null);
    public static readonly ResultLookup Gone = new(LinkState.Gone, null);
}

/// <summary>
/// Stored results: metadata in the results database (SQLite or PostgreSQL), images in the data directory. A singleton
/// that opens a short-lived <see cref="ResultsDb"/> per call, so the job service, circuits and endpoints can all use it
/// at once. A result's files are flushed to disk in a staging folder and renamed into place, with the folders synced
/// before and after, so a crash leaves either the whole result or none; the files together stay under
/// <see cref="ResultsOptions.MaxStoredBytes"/>.
/// </summary>
public sealed class ResultStore(
    IDbContextFactory<ResultsDb> dbFactory,
    ResultFiles files,
    IOptions<ResultsOptions> options,
    TimeProvider time,
    ILogger<ResultStore> logger) : IJobResultSink, IDisposable
{
    private readonly ResultsOptions _options = options.Value;
    // One quota decision at a time in this process (nodes sharing a store may pass it by a result each).
    private readonly SemaphoreSlim _quota = new(1, 1);
    // One build of a result's replay GIF at a time in this process; requests meanwhile wait for that one.
    private readonly ConcurrentDictionary<Guid, Lazy<Task<byte[]?>>> _gifBuilds = new();
    // GIFs served while the store had no room to keep them, so that asking again does not quantise again.
    private readonly MemoryCache _unkeptGifs = new(new MemoryCacheOptions { SizeLimit = 64L << 20 });

    private DateTime UtcNow => time.GetUtcNow().UtcDateTime;

    public ProgressionRecorder CreateRecorder() => new(_options);

    public static byte[] OwnerHash(string ownerId) => SHA256.HashData(Encoding.UTF8.GetBytes(ownerId));

    public async Task<ShareLink> SaveAsync(NewResult result, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(result.OwnerId);
        var giveUp = time.GetTimestamp() + (long)(_options.StoreRetryTime.TotalSeconds * time.TimestampFrequency);
        var wait = TimeSpan.FromSeconds(1);
        while (true)
        {
            try { return await SaveOnceAsync(result, cancellationToken); }
            catch (Exception ex) when (ex is not (OperationCanceledException or ResultStorageFullException)
                                       && time.GetTimestamp() + (long)(wait.TotalSeconds * time.TimestampFrequency) < giveUp)
            {
                logger.LogWarning(ex, "Storing a result failed; trying again in {Wait}", wait);
                await Task.Delay(wait, time, cancellationToken);
                wait = TimeSpan.FromSeconds(Math.Min(wait.TotalSeconds * 2, 15));
            }
        }
    }

    private async Task<ShareLink> SaveOnceAsync(NewResult result, CancellationToken cancellationToken)
    {
        // A job taken over from a worker that died after storing stores nothing twice: the link it never handed out is
        // replaced by one this run can hand out.
        if (await RelinkJobsResultAsync(result.JobId, cancellationToken) is { } stored) return stored;
        var id = Guid.NewGuid();
        var token = ShareToken.Create();
        var staging = files.StagingFolderOf(id);
        var folder = files.FolderOf(id);
        try
        {
            // Encoding is CPU work of seconds for long runs; keep it off the caller's thread.
            var (frameIterations, bytes) = await Task.Run(() => WriteFiles(result, staging), cancellationToken);
            ResultFiles.SyncFolder(staging); // the files' names, before the folder is renamed into sight

            await _quota.WaitAsync(cancellationToken);
            try
            {
                await MakeRoomAsync(bytes, cancellationToken);
                Directory.Move(staging, folder);
                ResultFiles.SyncFolder(files.ResultsRoot); // the rename itself
                await AddRowAsync(result, id, token, frameIterations, bytes, cancellationToken);
            }
            finally
            {
                _quota.Release();
            }
            logger.LogInformation("Stored result {ResultId} ({Bytes} bytes, {Frames} frames)", id, bytes, frameIterations.Count);
            return new ShareLink(id, token);
        }
        catch (Exception e)
        {
            TryDeleteFolder(staging);
            TryDeleteFolder(folder);
            // Another worker stored this job's result between our look and our insert (the job id is unique).
            if (e is DbUpdateException && await RelinkJobsResultAsync(result.JobId, CancellationToken.None) is { } theirs) return theirs;
            throw;
        }
    }

    /// <summary>
    /// Makes sure <paramref name="bytes"/> more fit under <see cref="ResultsOptions.MaxStoredBytes"/>: if not, deletes
    /// the results past their retention first, and if they still do not fit, refuses.
    /// </summary>
    /// <exception cref="ResultStorageFullException">No room even after the expired results went.</exception>
    private async Task MakeRoomAsync(long bytes, CancellationToken cancellationToken)
    {
        long max = _options.MaxStoredBytes;
        if (max == 0) return;
        if (await StoredBytesAsync(cancellationToken) + bytes <= max) return;
        // Only expired results: the orphan sweep could take a staging folder of a save in progress.
        var deleted = await DeleteExpiredResultsAsync(cancellationToken);
        long used = await StoredBytesAsync(cancellationToken);
        if (used + bytes <= max) return;
        logger.LogWarning("The results' storage is full: {Used} of {Max} bytes in use after deleting {Deleted} expired results; {Bytes} bytes more are not stored",
            used, max, deleted, bytes);
        throw new ResultStorageFullException(bytes, used, max);
    }

    /// <summary>The bytes the stored results' files take together, as recorded when each was stored.</summary>
    public async Task<long> StoredBytesAsync(CancellationToken cancellationToken = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        return await db.Results.SumAsync(r => r.StoredBytes, cancellationToken);
    }

    private async Task AddRowAsync(NewResult result, Guid id, string token, List<int> frameIterations, long bytes, CancellationToken cancellationToken)
    {
        var now = UtcNow;
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        db.Results.Add(new StoredResult
        {
            Id = id,
            JobId = result.JobId,
            OwnerHash = OwnerHash(result.OwnerId),
            TokenHash = ShareToken.Hash(token),
            Outcome = result.Outcome,
            Backbone = result.Backbone,
            OptionsJson = JsonSerializer.Serialize(result.Options, StoredResult.Json),
            LossHistoryJson = JsonSerializer.Serialize(Thin(result.LossHistory), StoredResult.Json),
            Width = result.FinalImage.Width,
            Height = result.FinalImage.Height,
            BestIteration = result.BestIteration,
            IterationsRun = result.IterationsRun,
            ElapsedSeconds = result.Elapsed.TotalSeconds,
            FrameIterations = frameIterations,
            StyleCount = result.Styles.Count,
            FrameFormat = _options.ProgressionFormat,
            HasUploads = _options.KeepUploads,
            StoredBytes = bytes,
            CreatedAt = now,
            ExpiresAt = now.AddDays(_options.RetentionDays),
        });
        await db.SaveChangesAsync(cancellationToken);
    }

    /// <summary>The job's stored result with a fresh link, or null when the job has stored none (or has no id).</summary>
    private async Task<ShareLink?> RelinkJobsResultAsync(string? jobId, CancellationToken cancellationToken)
    {
        if (jobId is null) return null;
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var id = await db.Results.Where(r => r.JobId == jobId).Select(r => (Guid?)r.Id).FirstOrDefaultAsync(cancellationToken);
        if (id is not { } resultId) return null;
        var token = ShareToken.Create();
        var hash = ShareToken.Hash(token);
        await db.Results.Where(r => r.Id == resultId).ExecuteUpdateAsync(s => s.SetProperty(r => r.TokenHash, hash), cancellationToken);
        logger.LogInformation("Job {JobId} had stored result {ResultId} already; it gets a new link", jobId, resultId);
        return new ShareLink(resultId, token);
    }

    /// <summary>
    /// Looks a share token up. Malformed and unknown tokens run the same single indexed query by hash, so neither the
    /// answer nor its timing tells them apart; revoked and expired results are Gone.
    /// </summary>
    public async Task<ResultLookup> FindByTokenAsync(string? token, CancellationToken cancellationToken = default)
    {
        var hash = ShareToken.LookupHash(token);
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var result = await db.Results.AsNoTracking().FirstOrDefaultAsync(r => r.TokenHash == hash, cancellationToken);
        if (result is null) return ResultLookup.NotFound;
        return result.IsAvailableAt(UtcNow) ? new ResultLookup(LinkState.Found, result) : ResultLookup.Gone;
    }

    public async Task<bool> IsWithdrawnAsync(Guid resultId, CancellationToken cancellationToken = default)
    {
        try
        {
            await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
            return !await db.Results.AnyAsync(r => r.Id == resultId && r.RevokedAt == null, cancellationToken);
        }
        catch (Exception e) when (e is DbException or InvalidOperationException or TimeoutException)
        {
            // The database is away: a job's pages keep working until it is back and can say otherwise.
            logger.LogWarning("Could not check whether result {ResultId} was withdrawn: {Message}", resultId, e.Message);
            return false;
        }
    }

    public async Task<IReadOnlyList<StoredResult>> ListForOwnerAsync(string ownerId, CancellationToken cancellationToken = default)
    {
        var owner = OwnerHash(ownerId);
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        return await db.Results.AsNoTracking().Where(r => r.OwnerHash == owner)
            .OrderByDescending(r => r.CreatedAt).ToListAsync(cancellationToken);
    }

    public async Task<StoredResult?> FindForOwnerAsync(Guid id, string ownerId, CancellationToken cancellationToken = default)
    {
        var owner = OwnerHash(ownerId);
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        return await db.Results.AsNoTracking().FirstOrDefaultAsync(r => r.Id == id && r.OwnerHash == owner, cancellationToken);
    }

    /// <summary>Revokes the result's link: it answers 410 from now on. False when the owner has no such result.</summary>
    public async Task<bool> RevokeAsync(Guid id, string ownerId, CancellationToken cancellationToken = default)
    {
        var owner = OwnerHash(ownerId);
        var now = UtcNow;
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var changed = await db.Results.Where(r => r.Id == id && r.OwnerHash == owner && r.RevokedAt == null)
            .ExecuteUpdateAsync(s => s.SetProperty(r => r.RevokedAt, now), cancellationToken);
        return changed == 1;
    }

    /// <summary>
    /// Gives the result a new link (the token is only known when issued, so this is how an owner gets one again);
    /// the old link stops working. Null when the owner has no such result or it has expired.
    /// </summary>
    public async Task<ShareLink?> IssueNewLinkAsync(Guid id, string ownerId, CancellationToken cancellationToken = default)
    {
        var owner = OwnerHash(ownerId);
        var token = ShareToken.Create();
        var hash = ShareToken.Hash(token);
        var now = UtcNow;
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var changed = await db.Results.Where(r => r.Id == id && r.OwnerHash == owner && r.ExpiresAt > now)
            .ExecuteUpdateAsync(s => s.SetProperty(r => r.TokenHash, hash).SetProperty(r => r.RevokedAt, (DateTime?)null),
                cancellationToken);
        return changed == 1 ? new ShareLink(id, token) : null;
    }

    /// <summary>
    /// The result's replay as a looping GIF, made from its stored frames on the first request rather than when its job
    /// ends: quantising every frame to 256 colours took 0.8–1.9 s of CPU after the last step, which held back the job's
    /// end and its link, and most replays are never downloaded. Once made it is kept in the result's folder and counted
    /// in its bytes; when the store is full it is served without being kept on disk, and held in memory (64 MiB at most) so
    /// that asking again does not make it again. Null when the result's frames are gone.
    /// </summary>
    public async Task<byte[]?> ProgressionGifAsync(StoredResult result, CancellationToken cancellationToken = default)
    {
        var path = files.PathOf(result, ResultFiles.ProgressionGif);
        if (File.Exists(path)) return await File.ReadAllBytesAsync(path, cancellationToken);
        if (_unkeptGifs.TryGetValue(result.Id, out byte[]? held)) return held;
        var build = _gifBuilds.GetOrAdd(result.Id, _ => new Lazy<Task<byte[]?>>(() => BuildProgressionGifAsync(result, path)));
        // The build is shared, so one request that gives up does not stop it for the others.
        return await build.Value.WaitAsync(cancellationToken);
    }

    private async Task<byte[]?> BuildProgressionGifAsync(StoredResult result, string path)
    {
        try
        {
            var gif = await Task.Run(() => EncodeProgressionGif(result));
            if (gif is not null) await KeepProgressionGifAsync(result, path, gif);
            return gif;
        }
        finally
        {
            _gifBuilds.TryRemove(result.Id, out _);
        }
    }

    private async Task KeepProgressionGifAsync(StoredResult result, string path, byte[] gif)
    {
        var partial = $"{path}.{Guid.NewGuid():N}.partial";
        await _quota.WaitAsync();
        try
        {
            await MakeRoomAsync(gif.Length, CancellationToken.None);
            ResultFiles.WriteDurably(partial, gif);
            File.Move(partial, path); // no overwrite: another node that made it first has counted it
            ResultFiles.SyncFolder(Path.GetDirectoryName(path)!);
            await using var db = await dbFactory.CreateDbContextAsync();
            await db.Results.Where(r => r.Id == result.Id)
                .ExecuteUpdateAsync(s => s.SetProperty(r => r.StoredBytes, r => r.StoredBytes + gif.Length));
        }
        catch (ResultStorageFullException)
        {
            logger.LogWarning("Result {ResultId}'s replay GIF is served but not kept: the results' storage is full", result.Id);
            HoldUnkept(result.Id, gif);
        }
        catch (IOException e) when (File.Exists(path) || !Directory.Exists(Path.GetDirectoryName(path)))
        {
            // Another node kept the same GIF first, or the result was deleted meanwhile.
            logger.LogDebug(e, "Result {ResultId}'s replay GIF was not kept by this node", result.Id);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or DbException)
        {
            logger.LogWarning(e, "Result {ResultId}'s replay GIF is served but could not be kept", result.Id);
            HoldUnkept(result.Id, gif);
        }
        finally
        {
            _quota.Release();
            if (File.Exists(partial)) File.Delete(partial);
        }
    }

    private void HoldUnkept(Guid id, byte[] gif) =>
        _unkeptGifs.Set(id, gif, new MemoryCacheEntryOptions { Size = gif.Length, SlidingExpiration = TimeSpan.FromHours(1) });

    /// <summary>The stored frames as a GIF at <see cref="ResultsOptions.GifMaxSide"/>, or null when they are gone.</summary>
    private byte[]? EncodeProgressionGif(StoredResult result)
    {
        var frames = new List<byte[]>(result.FrameIterations.Count);
        try
        {
            for (var i = 0; i < result.FrameIterations.Count; i++) frames.Add(File.ReadAllBytes(files.FramePath(result, i)!));
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            return null; // deleted between the lookup and now
        }
        return frames.Count == 0 ? null
            : ResultEncoder.Gif(frames, ResultEncoder.Fit(result.Width, result.Height, _options.GifMaxSide), _options.GifFrameDelay, 10 * _options.GifFrameDelay);
    }

    /// <summary>Deletes the result and its files. False when the owner has no such result.</summary>
    public async Task<bool> DeleteAsync(Guid id, string ownerId, CancellationToken cancellationToken = default)
    {
        var owner = OwnerHash(ownerId);
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var deleted = await db.Results.Where(r => r.Id == id && r.OwnerHash == owner).ExecuteDeleteAsync(cancellationToken);
        if (deleted == 0) return false;
        // The row goes first: a folder left behind by a failed delete is an orphan the cleanup service removes.
        TryDeleteFolder(files.FolderOf(id));
        return true;
    }

    /// <summary>Deletes every result past its retention, and folders no row refers to. Returns how many results went.</summary>
    public async Task<int> DeleteExpiredAsync(CancellationToken cancellationToken = default)
    {
        var deleted = await DeleteExpiredResultsAsync(cancellationToken);
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        await DeleteOrphanFoldersAsync(db, UtcNow, cancellationToken);
        return deleted;
    }

    private async Task<int> DeleteExpiredResultsAsync(CancellationToken cancellationToken)
    {
        var now = UtcNow;
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var expired = await db.Results.Where(r => r.ExpiresAt <= now).Select(r => r.Id).ToListAsync(cancellationToken);
        foreach (var id in expired)
        {
            await db.Results.Where(r => r.Id == id).ExecuteDeleteAsync(cancellationToken);
            TryDeleteFolder(files.FolderOf(id));
        }
        if (expired.Count > 0) logger.LogInformation("Deleted {Count} expired results", expired.Count);
        return expired.Count;
    }

    // Folders from a crash between writing files and saving the row, or from a delete whose folder removal failed.
    private async Task DeleteOrphanFoldersAsync(ResultsDb db, DateTime now, CancellationToken cancellationToken)
    {
        if (!Directory.Exists(files.ResultsRoot)) return;
        var known = (await db.Results.Select(r => r.Id).ToListAsync(cancellationToken)).ToHashSet();
        foreach (var folder in Directory.EnumerateDirectories(files.ResultsRoot))
        {
            var name = Path.GetFileName(folder);
            var id = name.StartsWith(".staging-", StringComparison.Ordinal) ? name[".staging-".Length..] : name;
            if (!Guid.TryParseExact(id, "N", out var guid) || known.Contains(guid)) continue;
            // A save in progress has a fresh folder and no row yet; leave anything younger than an hour.
            if (now - Directory.GetLastWriteTimeUtc(folder) < TimeSpan.FromHours(1)) continue;
            TryDeleteFolder(folder);
        }
    }

    private (List<int> FrameIterations, long Bytes) WriteFiles(NewResult result, string folder)
    {
        Directory.CreateDirectory(folder);
        long bytes = 0;
        void Write(string name, byte[] data)
        {
            ResultFiles.WriteDurably(Path.Combine(folder, name), data);
            bytes += data.Length;
        }

        var final = result.FinalImage;
        Write(ResultFiles.ResultPng, ResultEncoder.Png(final));
        Write(ResultFiles.Thumbnail, ResultEncoder.Thumbnail(final, _options.ThumbnailMaxSide));
        Write(ResultFiles.ContentThumbnail, ResultEncoder.Thumbnail(result.Content, _options.ThumbnailMaxSide));
        for (var i = 0; i < result.Styles.Count; i++)
            Write(ResultFiles.StyleThumbnailOf(i), ResultEncoder.Thumbnail(result.Styles[i], _options.ThumbnailMaxSide));
        if (_options.KeepUploads)
        {
            Write(ResultFiles.ContentUpload, ResultEncoder.Png(result.Content));
            for (var i = 0; i < result.Styles.Count; i++) Write(ResultFiles.StyleUploadOf(i), ResultEncoder.Png(result.Styles[i]));
        }

        var frames = SelectFrames(result);
        // Over the byte budget: drop every other frame (keeping the first and the last) until it fits.
        while (frames.Count > 2 && frames.Sum(f => (long)f.Encoded.Length) > _options.MaxProgressionBytes)
            frames = frames.Where((_, i) => i % 2 == 0 || i == frames.Count - 1).ToList();
        // The replay GIF is made on its first download (ProgressionGifAsync), not here.
        for (var i = 0; i < frames.Count; i++) Write(ResultFiles.FrameFileName(i, _options.ProgressionFormat), frames[i].Encoded);
        return (frames.Select(f => f.Iteration).ToList(), bytes);
    }

    /// <summary>The recorded frames, thinned evenly to the frame limit, closed by the final image.</summary>
    private List<ProgressionFrame> SelectFrames(NewResult result)
    {
        var final = result.FinalImage;
        var size = ResultEncoder.Fit(final.Width, final.Height, _options.ProgressionMaxSide);
        var frames = result.Frames.Where(f => f.Iteration < result.BestIteration).OrderBy(f => f.Iteration).ToList();
        frames.Add(new ProgressionFrame(result.BestIteration,
            ResultEncoder.Frame(final, size, _options.ProgressionFormat, _options.ProgressionQuality)));
        return Thin(frames, _options.MaxProgressionFrames);
    }

    private List<LossRecord> Thin(IReadOnlyList<LossRecord> history) =>
        Thin(history.OrderBy(p => p.Iteration).ToList(), _options.MaxLossPoints);

    /// <summary>At most <paramref name="max"/> evenly spaced items, always including the first and the last.</summary>
    private static List<T> Thin<T>(List<T> items, int max)
    {
        if (items.Count <= max) return items;
        if (max == 1) return [items[^1]];
        return Enumerable.Range(0, max).Select(i => items[(int)Math.Round(i * (items.Count - 1) / (double)(max - 1))]).ToList();
    }

    private void TryDeleteFolder(string folder)
    {
        try
        {
            if (Directory.Exists(folder)) Directory.Delete(folder, recursive: true);
        }
        catch (IOException e)
        {
            logger.LogWarning(e, "Could not delete {Folder}; the cleanup service will try again", folder);
        }
        catch (UnauthorizedAccessException e)
        {
            logger.LogWarning(e, "Could not delete {Folder}; the cleanup service will try again", folder);
        }
    }

    public void Dispose() => _unkeptGifs.Dispose();
}

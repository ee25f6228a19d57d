using StyleBlazor.Engine.Imaging;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;
using StyleBlazor.Engine.Backbones;
using StyleBlazor.Jobs;
using StyleBlazor.Results;

namespace StyleBlazor.Explore;

/// <summary>
/// The one class that connects the explorer to the job pipeline: torch work through this node's
/// <see cref="BackboneHost"/>, and a job's pictures from the job feed, the running job and its stored result. Everything
/// else in Explore/ sees only <see cref="ITorchWork"/> and <see cref="IJobPictures"/>.
/// </summary>
/// <param name="host">The engine, on a node that runs jobs; null on a web node of several (Node:Role web), which has none.</param>
public sealed class ExplorerJobs(IJobFeed feed, JobRegistry jobs, JobResults results, ResultFiles files, BackboneHost? host = null)
    : ITorchWork, IJobPictures
{
    public Task<T> RunAsync<T>(Func<IBackbone, T> work, string backbone, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        if (host is null)
            throw new ExploreRefusedException(ExploreRefusal.EngineUnavailable, "This node runs no engine; the explorer works on a node that also runs jobs.");
        T Guarded(IBackbone b)
        {
            cancellationToken.ThrowIfCancellationRequested(); // asked for and left while it waited
            return work(b);
        }
        var task = host.LoadedBackbones.Contains(backbone)
            ? host.RunBetweenIterationsAsync(backbone, Guarded)
            // Loading a backbone takes seconds, far more than an iteration: never between two iterations of a job,
            // but on the first torch thread when it is free.
            : host.RunAsync(0, backbone, (b, _) => Guarded(b));
        return task.WaitAsync(cancellationToken);
    }

    public async Task<ExploreSource?> FindJobAsync(string jobId, CancellationToken cancellationToken)
    {
        if (await feed.SnapshotAsync(jobId, cancellationToken) is not { } snapshot) return null;
        var job = jobs.Find(jobId);
        var frame = snapshot.LatestFrame;
        var frameSize = frame is not null ? new Size(frame.Width, frame.Height) : SizeOfContent(job);
        if (frameSize is not { } size) return null;

        async Task<Image<Rgb24>?> Open(PictureKind kind, CancellationToken ct)
        {
            if (kind == PictureKind.Content) return await OpenInputAsync(job, snapshot.ResultId, ResultFiles.ContentThumbnail, j => j.Content, ct);
            if (kind == PictureKind.Style) return await OpenInputAsync(job, snapshot.ResultId, ResultFiles.StyleThumbnail, j => j.Styles[0], ct);
            // A finished run's result is its best picture; a running one's the newest frame at the time of the lookup.
            if (snapshot.IsFinished && await results.PngAsync(jobId, ct) is { } png) return Image.Load<Rgb24>(KnownImageFormats.Frames, await png.ReadAllBytesAsync(ct));
            return frame is null ? null : Image.Load<Rgb24>(KnownImageFormats.Frames, frame.Bytes);
        }

        return new ExploreSource($"job:{jobId}", snapshot.Backbone, snapshot.Options, snapshot.State,
            snapshot.History.Count > 0 ? snapshot.History[^1] : null, frame?.Iteration, size, Open);
    }

    static Size? SizeOfContent(StyleTransferJob? job)
    {
        try { return job is { IsFinished: false } ? new Size(job.Content.Width, job.Content.Height) : null; }
        catch (ObjectDisposedException) { return null; } // it ended meanwhile
    }

    /// <summary>The running job's own picture, else the stored result's 256 px thumbnail (a job releases its pictures when it ends).</summary>
    async Task<Image<Rgb24>?> OpenInputAsync(StyleTransferJob? job, Guid? resultId, string thumbnail, Func<StyleTransferJob, Image<Rgb24>> picture,
        CancellationToken cancellationToken)
    {
        if (job is { IsFinished: false })
        {
            try { return picture(job).Clone(); }
            catch (ObjectDisposedException) { } // it ended meanwhile: its thumbnail is stored by now, if at all
        }
        if (resultId is not { } id) return null;
        var path = Path.Combine(files.FolderOf(id), thumbnail);
        return File.Exists(path) ? await Image.LoadAsync<Rgb24>(KnownImageFormats.Frames, path, cancellationToken) : null;
    }
}

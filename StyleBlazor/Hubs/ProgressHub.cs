using Microsoft.AspNetCore.SignalR;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;
using StyleBlazor.Engine.Imaging;
using StyleBlazor.Extensions;
using StyleBlazor.Jobs;

namespace StyleBlazor.Hubs;

/// <summary>
/// The way in for every watcher other than the app's own components (which subscribe to <see cref="JobEvents"/>):
/// watch a job, cancel your own, submit one. The caller's identity is its browser session cookie.
/// </summary>
public sealed class ProgressHub(JobRegistry jobs, JobSubmission submission, ImageIntake intake, ProgressRelay relay, OwnerPresence presence)
    : Hub<IProgressClient>
{
    public const string Path = "/hubs/progress";

    string? SessionId => BrowserSession.IdOf(Context.User);

    public override Task OnConnectedAsync()
    {
        if (SessionId is { } id) presence.Connected(id);
        return Task.CompletedTask;
    }

    public override Task OnDisconnectedAsync(Exception? exception)
    {
        relay.Disconnected(Context.ConnectionId);
        if (SessionId is { } id) presence.Disconnected(id);
        return Task.CompletedTask;
    }

    /// <summary>Starts sending this job's progress to the caller; false when no such job is known.</summary>
    public bool Watch(string jobId)
    {
        var job = jobs.Find(jobId);
        if (job is null) return false;
        relay.Watch(Context.ConnectionId, job);
        return true;
    }

    public void Unwatch(string jobId) => relay.Unwatch(Context.ConnectionId, jobId);

    /// <summary>Cancels the caller's own job; false when the job is unknown, finished, or someone else's.</summary>
    public bool Cancel(string jobId) => submission.Cancel(jobId, SessionId);

    /// <summary>Queues a job owned by the caller's browser session; a refusal is a reply, not an error.</summary>
    public async Task<SubmitReply> Submit(SubmitRequest request)
    {
        // Untrusted bytes become images only through the engine's intake (limits checked before decoding).
        var images = new List<Image<Rgb24>>();
        try
        {
            foreach (var bytes in request.Styles.Prepend(request.Content))
                images.Add(await intake.DecodeAsync(bytes, Context.ConnectionAborted));
        }
        catch (ImageRejectedException rejected)
        {
            images.ForEach(i => i.Dispose());
            string what = images.Count == 0 ? "Content image" : $"Style image {images.Count}"; // the one that failed
            return Refused(SubmissionRefusal.InvalidRequest, $"{what}: {rejected.Message}");
        }
        catch
        {
            images.ForEach(i => i.Dispose());
            throw;
        }
        var content = images[0];
        var styles = images.Skip(1).ToList();

        var backbone = request.Backbone is { Length: > 0 } name
            ? submission.Backbones.FirstOrDefault(b => b.Name == name)
            : submission.DefaultBackbone;
        var options = backbone?.Defaults;
        if (options is not null)
            options = options.WithIterations(request.Iterations ?? options.Iterations) with
            {
                MaxSide = request.MaxSide ?? options.MaxSide,
                ContentWeight = request.ContentWeight ?? options.ContentWeight,
                StyleWeight = request.StyleWeight ?? options.StyleWeight,
                TotalVariationWeight = request.TotalVariationWeight ?? options.TotalVariationWeight,
                LearningRate = request.LearningRate ?? options.LearningRate,
                Seed = request.Seed ?? options.Seed,
            };

        var address = Context.GetHttpContext()?.Connection.RemoteIpAddress?.ToString();
        var result = submission.Submit(new JobRequest(SessionId ?? "", content, styles, options, request.Backbone, address));
        if (!result.Accepted)
        {
            content.Dispose();
            styles.ForEach(s => s.Dispose());
            return Refused(result.Refusal, result.Message);
        }
        return new SubmitReply { Accepted = true, JobId = result.Job!.Id, Position = result.Job.Position };
    }

    static SubmitReply Refused(SubmissionRefusal why, string? message) =>
        new() { Accepted = false, Refusal = why.ToString(), Message = message };
}

using Microsoft.AspNetCore.SignalR;
using StyleBlazor.Identity;
using StyleBlazor.Jobs;

namespace StyleBlazor.Hubs;

/// <summary>
/// The way in for every watcher other than the app's own components (which read the <see cref="IJobFeed"/> directly):
/// watch a job, cancel your own, submit one. The caller is its browser session (<see cref="OwnerClaims"/>).
/// </summary>
public sealed class ProgressHub(JobSubmission submission, JobIntake intake, ProgressRelay relay, OwnerPresence presence,
    OpenHubConnections connections) : Hub<IProgressClient>
{
    public const string Path = "/hubs/progress";

    Requester? Caller => OwnerClaims.RequesterOf(Context.User);

    /// <summary>
    /// Admits the connection under the per-address limit. A refused one is closed with the reason (a HubException's
    /// message reaches the client), and the framework never calls <see cref="OnDisconnectedAsync"/> for it.
    /// </summary>
    public override Task OnConnectedAsync()
    {
        var address = Caller?.ClientAddress;
        if (connections.TryOpen(sessionId: null, address) is { } refused)
            throw new HubException($"Your network address already has {refused.Limit} connections to this hub open; close one and connect again.");
        Context.Items[typeof(OpenHubConnections)] = address;
        if (Caller is { } caller) presence.Connected(caller.OwnerId);
        return Task.CompletedTask;
    }

    public override Task OnDisconnectedAsync(Exception? exception)
    {
        relay.Disconnected(Context.ConnectionId);
        if (Context.Items.TryGetValue(typeof(OpenHubConnections), out var address)) connections.Close(sessionId: null, address as string);
        if (Caller is { } caller) presence.Disconnected(caller.OwnerId);
        return Task.CompletedTask;
    }

    /// <summary>
    /// Starts sending this job's updates to the caller; false when no such job is known (or its result was revoked).
    /// Watching the same job twice on one connection is one watch.
    /// </summary>
    public async Task<bool> Watch(string jobId) => await relay.WatchAsync(Context.ConnectionId, jobId) switch
    {
        WatchOutcome.TooManyWatches => throw new HubException(
            $"This connection already watches {ProgressRelay.MaxWatchesPerConnection} jobs; unwatch one first."),
        WatchOutcome.UnknownJob => false,
        _ => true,
    };

    public void Unwatch(string jobId) => relay.Unwatch(Context.ConnectionId, jobId);

    /// <summary>Cancels the caller's own job; false when the job is unknown, finished, or someone else's.</summary>
    public async Task<bool> Cancel(string jobId) => await submission.CancelAsync(jobId, Caller?.OwnerId) == CancelOutcome.Cancelled;

    /// <summary>Queues a job owned by the caller; a refusal is a reply, not an error.</summary>
    public async Task<SubmitReply> Submit(SubmitRequest request)
    {
        var result = await intake.SubmitAsync(Caller, request.Content, request.Styles, request.Options, Context.ConnectionAborted);
        return result.Accepted
            ? new SubmitReply { Accepted = true, JobId = result.JobId, Position = result.Position }
            : new SubmitReply { Accepted = false, Refusal = result.Refusal.ToString(), Message = result.Message };
    }
}

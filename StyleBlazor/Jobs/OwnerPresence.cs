using Microsoft.AspNetCore.Components.Server.Circuits;
using Microsoft.Extensions.Options;
using StyleBlazor.Identity;

namespace StyleBlazor.Jobs;

/// <summary>
/// Counts each owner's live connections (Blazor circuits and hub connections) and applies
/// <see cref="EngineOptions.OnOwnerDisconnect"/> when a session has none left for the grace period.
/// </summary>
public sealed class OwnerPresence(IJobBoard board, IOptions<EngineOptions> options,
    TimeProvider time, ILogger<OwnerPresence> logger)
{
    readonly Lock _gate = new();
    readonly Dictionary<string, int> _connections = new(StringComparer.Ordinal);

    public bool IsPresent(string ownerId) { lock (_gate) return _connections.ContainsKey(ownerId); }

    public void Connected(string ownerId)
    {
        lock (_gate) _connections[ownerId] = _connections.GetValueOrDefault(ownerId) + 1;
    }

    public void Disconnected(string ownerId)
    {
        lock (_gate)
        {
            int left = _connections.GetValueOrDefault(ownerId) - 1;
            if (left > 0) { _connections[ownerId] = left; return; }
            _connections.Remove(ownerId);
        }
        if (options.Value.OnOwnerDisconnect == OwnerDisconnectPolicy.Cancel) _ = StopIfStillGoneAsync(ownerId);
    }

    async Task StopIfStillGoneAsync(string ownerId)
    {
        try
        {
            await Task.Delay(options.Value.OwnerGracePeriod, time);
            if (IsPresent(ownerId)) return;
            foreach (var jobId in await board.UnfinishedJobsOfAsync(ownerId))
            {
                logger.LogInformation("Stopping job {JobId}: its owner's browser went away", jobId);
                await board.CancelAsync(jobId, ownerId: null, "Stopped because its owner's browser went away.");
            }
        }
        catch (Exception ex) { logger.LogWarning(ex, "Applying the owner-gone policy failed"); }
    }
}

/// <summary>Reports a Blazor circuit's connection going up and down to <see cref="OwnerPresence"/>.</summary>
public sealed class OwnerPresenceCircuitHandler(OwnerPresence presence, CurrentOwner owner) : CircuitHandler
{
    string? _ownerId;
    bool _up;

    public override Task OnConnectionUpAsync(Circuit circuit, CancellationToken cancellationToken)
    {
        _ownerId ??= owner.Id;
        if (_ownerId is null || _up) return Task.CompletedTask;
        _up = true;
        presence.Connected(_ownerId);
        return Task.CompletedTask;
    }

    public override Task OnConnectionDownAsync(Circuit circuit, CancellationToken cancellationToken)
    {
        if (_ownerId is not null && _up)
        {
            _up = false;
            presence.Disconnected(_ownerId);
        }
        return Task.CompletedTask;
    }
}

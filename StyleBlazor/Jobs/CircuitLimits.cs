using Microsoft.AspNetCore.Components.Server.Circuits;
using Microsoft.Extensions.Options;
using StyleBlazor.Identity;

namespace StyleBlazor.Jobs;

/// <summary>Why a connection was not admitted: which limit, and its value.</summary>
public sealed record ConnectionRefusal(bool PerSession, int Limit);

/// <summary>
/// Counts open long-lived connections per browser session and per client address, and admits a new one only under
/// the limits it is given. A refused connection counts nothing.
/// </summary>
public abstract class OpenConnections(Func<(int PerSession, int PerAddress)> limits)
{
    readonly Lock _gate = new();
    readonly Dictionary<string, int> _perSession = new(StringComparer.Ordinal);
    readonly Dictionary<string, int> _perAddress = new(StringComparer.Ordinal);

    /// <summary>Counts the connection in, or says which limit it would cross (and counts nothing).</summary>
    public ConnectionRefusal? TryOpen(string? sessionId, string? clientAddress)
    {
        lock (_gate)
        {
            if (WouldRefuse(sessionId, clientAddress) is { } refusal) return refusal;
            if (sessionId is not null) _perSession[sessionId] = _perSession.GetValueOrDefault(sessionId) + 1;
            if (clientAddress is not null) _perAddress[clientAddress] = _perAddress.GetValueOrDefault(clientAddress) + 1;
            return null;
        }
    }

    /// <summary>The limit one more connection would cross now, or null; counts nothing.</summary>
    public ConnectionRefusal? WouldRefuse(string? sessionId, string? clientAddress)
    {
        var (perSession, perAddress) = limits();
        lock (_gate)
        {
            if (sessionId is not null && _perSession.GetValueOrDefault(sessionId) >= perSession) return new(PerSession: true, perSession);
            if (clientAddress is not null && _perAddress.GetValueOrDefault(clientAddress) >= perAddress) return new(PerSession: false, perAddress);
            return null;
        }
    }

    public void Close(string? sessionId, string? clientAddress)
    {
        lock (_gate)
        {
            Decrement(_perSession, sessionId);
            Decrement(_perAddress, clientAddress);
        }
    }

    public int CountOf(string sessionId) { lock (_gate) return _perSession.GetValueOrDefault(sessionId); }

    public int CountOfAddress(string clientAddress) { lock (_gate) return _perAddress.GetValueOrDefault(clientAddress); }

    static void Decrement(Dictionary<string, int> counts, string? key)
    {
        if (key is null || !counts.TryGetValue(key, out var n)) return;
        if (n <= 1) counts.Remove(key); else counts[key] = n - 1;
    }
}

/// <summary>Blazor circuits, under <see cref="SubmissionLimitOptions.CircuitsPerSession"/> and <see cref="SubmissionLimitOptions.CircuitsPerAddress"/>.</summary>
public sealed class OpenCircuits(IOptions<SubmissionLimitOptions> options)
    : OpenConnections(() => (options.Value.CircuitsPerSession, options.Value.CircuitsPerAddress));

/// <summary>
/// Progress hub connections (scripts, projectors, the load tool; the app's own pages read the feed directly), under
/// <see cref="SubmissionLimitOptions.HubConnectionsPerAddress"/>. Each holds watches and buffers, so one address
/// cannot open them without end.
/// </summary>
public sealed class OpenHubConnections(IOptions<SubmissionLimitOptions> options)
    : OpenConnections(() => (int.MaxValue, options.Value.HubConnectionsPerAddress));

/// <summary>This circuit's admission: null refusal = admitted. The studio opens read-only, with a message, when refused.</summary>
public sealed class CircuitAdmission
{
    public ConnectionRefusal? Refusal { get; internal set; }
}

/// <summary>
/// Admits each circuit as it opens (before its components first render) and counts it out when it closes. A refused
/// circuit stays connected, so the page can say why, but the studio does not take uploads or jobs on it.
/// </summary>
public sealed class CircuitLimitHandler(OpenCircuits open, CircuitAdmission admission, CurrentOwner owner,
    ILogger<CircuitLimitHandler> logger) : CircuitHandler
{
    (string? Session, string? Address)? _counted;

    public override Task OnCircuitOpenedAsync(Circuit circuit, CancellationToken cancellationToken)
    {
        var (session, address) = (owner.Requester?.OwnerId, owner.Requester?.ClientAddress);
        admission.Refusal = open.TryOpen(session, address);
        if (admission.Refusal is null) _counted = (session, address);
        else logger.LogInformation("Circuit opened read-only: over the {Which} limit of {Limit}",
            admission.Refusal.PerSession ? "per-session" : "per-address", admission.Refusal.Limit);
        return Task.CompletedTask;
    }

    public override Task OnCircuitClosedAsync(Circuit circuit, CancellationToken cancellationToken)
    {
        if (_counted is var (session, address))
        {
            _counted = null;
            open.Close(session, address);
        }
        return Task.CompletedTask;
    }
}

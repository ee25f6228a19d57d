using Microsoft.AspNetCore.Components.Server.Circuits;
using Microsoft.Extensions.Options;
using StyleBlazor.Identity;

namespace StyleBlazor.Jobs;

/// <summary>Why a circuit was not admitted: which limit, and its value.</summary>
public sealed record CircuitRefusal(bool PerSession, int Limit);

/// <summary>
/// Counts open Blazor circuits per browser session and per client IP, and admits a new one only under
/// <see cref="SubmissionLimitOptions.CircuitsPerSession"/> and <see cref="SubmissionLimitOptions.CircuitsPerAddress"/>.
/// </summary>
public sealed class OpenCircuits(IOptions<SubmissionLimitOptions> options)
{
    readonly Lock _gate = new();
    readonly Dictionary<string, int> _perSession = new(StringComparer.Ordinal);
    readonly Dictionary<string, int> _perAddress = new(StringComparer.Ordinal);

    /// <summary>Counts the circuit in, or says which limit it would cross (and counts nothing).</summary>
    public CircuitRefusal? TryOpen(string? sessionId, string? clientAddress)
    {
        var limits = options.Value;
        lock (_gate)
        {
            if (sessionId is not null && _perSession.GetValueOrDefault(sessionId) >= limits.CircuitsPerSession)
                return new(PerSession: true, limits.CircuitsPerSession);
            if (clientAddress is not null && _perAddress.GetValueOrDefault(clientAddress) >= limits.CircuitsPerAddress)
                return new(PerSession: false, limits.CircuitsPerAddress);
            if (sessionId is not null) _perSession[sessionId] = _perSession.GetValueOrDefault(sessionId) + 1;
            if (clientAddress is not null) _perAddress[clientAddress] = _perAddress.GetValueOrDefault(clientAddress) + 1;
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

    static void Decrement(Dictionary<string, int> counts, string? key)
    {
        if (key is null || !counts.TryGetValue(key, out var n)) return;
        if (n <= 1) counts.Remove(key); else counts[key] = n - 1;
    }
}

/// <summary>This circuit's admission: null refusal = admitted. The studio opens read-only, with a message, when refused.</summary>
public sealed class CircuitAdmission
{
    public CircuitRefusal? Refusal { get; internal set; }
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

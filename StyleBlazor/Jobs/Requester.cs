namespace StyleBlazor.Jobs;

/// <summary>
/// Who asks for something: the owner (a browser session, or an API key) and the client's network address when known,
/// for the per-owner and per-address limits. Made in one place (<see cref="Identity.OwnerClaims.RequesterOf"/>).
/// </summary>
public sealed record Requester(string OwnerId, string? ClientAddress);

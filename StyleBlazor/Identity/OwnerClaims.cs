using System.Net;
using System.Security.Claims;
using StyleBlazor.Jobs;

namespace StyleBlazor.Identity;

/// <summary>
/// The owner of what a request does, as claims on its user: a browser session's id (<see cref="BrowserSession"/>) or an
/// API key's (<see cref="ApiKeys"/>), and the client's address. The one place a <see cref="Requester"/> is made from a
/// user, for circuits (their authentication state), the hub (<c>Context.User</c>) and HTTP endpoints alike.
/// </summary>
public static class OwnerClaims
{
    public const string OwnerType = "sb-owner";
    public const string ClientAddressType = "sb-client-address";

    /// <summary>
    /// An identity naming <paramref name="ownerId"/>; NameIdentifier makes it SignalR's user id too. The address is on
    /// it because a circuit's user is its connection's: circuits never see an HttpContext, yet the per-IP limits need it.
    /// </summary>
    public static ClaimsIdentity Identity(string ownerId, IPAddress? clientAddress, string? authenticationType)
    {
        List<Claim> claims = [new(OwnerType, ownerId), new(ClaimTypes.NameIdentifier, ownerId)];
        if (clientAddress is not null) claims.Add(new(ClientAddressType, clientAddress.ToString()));
        return new ClaimsIdentity(claims, authenticationType);
    }

    /// <summary>Who <paramref name="user"/> is, or null when it carries no owner.</summary>
    public static Requester? RequesterOf(ClaimsPrincipal? user) =>
        user?.FindFirst(OwnerType)?.Value is { Length: > 0 } owner
            ? new Requester(owner, user.FindFirst(ClientAddressType)?.Value)
            : null;
}

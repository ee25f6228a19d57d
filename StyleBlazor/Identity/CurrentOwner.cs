using System.Security.Claims;
using Microsoft.AspNetCore.Components.Authorization;
using Microsoft.AspNetCore.Components.Server.Circuits;
using StyleBlazor.Jobs;

namespace StyleBlazor.Identity;

/// <summary>
/// Who the current request or circuit acts for (TodoApi's current-user pattern): scoped, so an HTTP request reads its
/// own user and a circuit the user its connection brought (set as the circuit opens, before anything renders). The
/// Studio, My results, cancel, the owner-gone policy, the per-owner limits and the HTTP API all ask this.
/// </summary>
public sealed class CurrentOwner(IHttpContextAccessor http)
{
    ClaimsPrincipal? _circuitUser;

    /// <summary>The owner and client address, or null when the request carries no owner.</summary>
    public Requester? Requester => OwnerClaims.RequesterOf(_circuitUser ?? http.HttpContext?.User);

    /// <summary>The owner's id (a browser session's or an API key's), or null.</summary>
    public string? Id => Requester?.OwnerId;

    internal void UseCircuitUser(ClaimsPrincipal user) => _circuitUser = user;
}

/// <summary>Gives a circuit's <see cref="CurrentOwner"/> its connection's user, before the other circuit handlers run.</summary>
public sealed class CurrentOwnerCircuitHandler(CurrentOwner owner, AuthenticationStateProvider authentication) : CircuitHandler
{
    public override int Order => int.MinValue;

    public override async Task OnCircuitOpenedAsync(Circuit circuit, CancellationToken cancellationToken) =>
        owner.UseCircuitUser((await authentication.GetAuthenticationStateAsync()).User);
}

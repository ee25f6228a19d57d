using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;

namespace StyleBlazor.Tests.Support;

/// <summary>
/// Every connection to the in-memory test server comes from <paramref name="address"/> (it has none of its own), as
/// from a client or a proxy on the network. Add it with <c>ConfigureTestServices(s => s.AddSingleton&lt;IStartupFilter&gt;(…))</c>.
/// </summary>
public sealed class ConnectionFrom(IPAddress address) : IStartupFilter
{
    public ConnectionFrom(string address) : this(IPAddress.Parse(address)) { }

    public Action<IApplicationBuilder> Configure(Action<IApplicationBuilder> next) => app =>
    {
        app.Use((context, nextMiddleware) =>
        {
            context.Connection.RemoteIpAddress = address;
            return nextMiddleware(context);
        });
        next(app);
    };
}

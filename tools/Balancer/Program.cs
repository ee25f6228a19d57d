using Yarp.ReverseProxy.Configuration;

// A reverse proxy in front of StyleBlazor's web nodes:
// - session affinity by cookie: a Blazor circuit lives in one node's memory, and SignalR's negotiate and transport
//   requests must reach the node that holds the connection;
// - WebSockets passed through (YARP does by default), and X-Forwarded-For/-Proto/-Host added for the nodes;
// - active health checks on /healthz and passive ones on failed requests: a dead node's users are sent to another
//   (their circuit is gone with it, so the page reloads there).
//
//   dotnet run --project tools/Balancer -- --urls http://0.0.0.0:8080 \
//       --Balancer:Destinations:0 http://web1:8080 --Balancer:Destinations:1 http://web2:8080
var builder = WebApplication.CreateBuilder(args);
var destinations = builder.Configuration.GetSection("Balancer:Destinations").Get<string[]>();
if (destinations is not { Length: > 0 })
{
    Console.Error.WriteLine("balancer: name the web nodes, e.g. --Balancer:Destinations:0 http://127.0.0.1:5001 --Balancer:Destinations:1 http://127.0.0.1:5002");
    return 2;
}
var healthInterval = builder.Configuration.GetValue("Balancer:HealthCheckInterval", TimeSpan.FromSeconds(2));

RouteConfig[] routes = [new() { RouteId = "everything", ClusterId = "web", Match = new() { Path = "{**path}" } }];
ClusterConfig[] clusters =
[
    new()
    {
        ClusterId = "web",
        SessionAffinity = new()
        {
            Enabled = true,
            Policy = "Cookie",
            // A node that is gone: pick another (and re-pin the browser there) instead of answering 503.
            FailurePolicy = "Redistribute",
            AffinityKeyName = ".StyleBlazor.Node",
            Cookie = new() { HttpOnly = true, SameSite = SameSiteMode.Lax, IsEssential = true },
        },
        HealthCheck = new()
        {
            Active = new() { Enabled = true, Interval = healthInterval, Timeout = TimeSpan.FromSeconds(1), Policy = "ConsecutiveFailures", Path = "/healthz" },
            Passive = new() { Enabled = true, Policy = "TransportFailureRate", ReactivationPeriod = TimeSpan.FromSeconds(10) },
        },
        Destinations = destinations.Select((address, i) => (Id: $"web{i + 1}", Address: address))
            .ToDictionary(d => d.Id, d => new DestinationConfig { Address = d.Address, Health = d.Address.TrimEnd('/') + "/" }),
    },
];

builder.Services.AddReverseProxy().LoadFromMemory(routes, clusters);
var app = builder.Build();
app.MapReverseProxy();
app.Run();
return 0;

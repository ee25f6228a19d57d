namespace StyleBlazor.Results;

/// <summary>
/// In front of everything under /r/: the headers a capability URL needs, and for the result page (a Blazor
/// component, which cannot choose its own status) the lookup that decides 200, 404 or 410 before it renders.
/// </summary>
public sealed class ShareLinkMiddleware(RequestDelegate next)
{
    public async Task InvokeAsync(HttpContext context, ResultStore store)
    {
        if (!context.Request.Path.StartsWithSegments("/r"))
        {
            await next(context);
            return;
        }

        var headers = context.Response.Headers;
        headers["Referrer-Policy"] = "no-referrer"; // the token is in the URL: never send it to another site
        headers["X-Robots-Tag"] = "noindex, nofollow";

        if (context.GetEndpoint()?.Metadata.GetMetadata<ShareLinkPageAttribute>() is not null)
        {
            var lookup = await store.FindByTokenAsync(context.GetRouteValue("Token") as string, context.RequestAborted);
            context.Items[typeof(ResultLookup)] = lookup;
            context.Response.StatusCode = lookup.State switch
            {
                LinkState.Found => StatusCodes.Status200OK,
                LinkState.Gone => StatusCodes.Status410Gone,
                _ => StatusCodes.Status404NotFound,
            };
            headers.CacheControl = "no-store";
        }
        await next(context);
    }
}

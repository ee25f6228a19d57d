namespace StyleBlazor.Results;

/// <summary>The images of a shared result: /r/{token}/result.png, …/progression.gif, …/frames/{index}, thumbnails.</summary>
public static class ResultEndpoints
{
    public const string DownloadPolicy = "results-downloads";

    public static RouteGroupBuilder MapResultDownloads(this IEndpointRouteBuilder endpoints)
    {
        var group = endpoints.MapGroup("/r/{token}")
            .RequireRateLimiting(DownloadPolicy)
            .AddEndpointFilter(FindResult)
            .ExcludeFromDescription();

        group.MapGet("/result.png", (HttpContext c, ResultFiles f) => Serve(c, f, ResultFiles.ResultPng, "image/png"));
        group.MapGet("/thumbnail.jpg", (HttpContext c, ResultFiles f) => Serve(c, f, ResultFiles.Thumbnail, "image/jpeg"));
        group.MapGet("/content.jpg", (HttpContext c, ResultFiles f) => Serve(c, f, ResultFiles.ContentThumbnail, "image/jpeg"));
        group.MapGet("/style.jpg", (HttpContext c, ResultFiles f) => Serve(c, f, ResultFiles.StyleThumbnail, "image/jpeg"));
        group.MapGet("/styles/{index:int}", (int index, HttpContext c, ResultFiles f) =>
            index >= 0 && index < ResultOf(c).StyleCount
                ? Serve(c, f, ResultFiles.StyleThumbnailOf(index), "image/jpeg")
                : TypedResults.NotFound());
        // Made on its first download (ResultStore.ProgressionGifAsync), then served from its file.
        group.MapGet("/progression.gif", async (HttpContext c, ResultFiles f, ResultStore store) =>
            System.IO.File.Exists(f.PathOf(ResultOf(c), ResultFiles.ProgressionGif))
                ? Serve(c, f, ResultFiles.ProgressionGif, "image/gif")
                : await store.ProgressionGifAsync(ResultOf(c), c.RequestAborted) is { } gif
                    ? Bytes(c, gif, "image/gif")
                    : TypedResults.NotFound());
        group.MapGet("/frames/{index:int}", (int index, HttpContext c, ResultFiles f) =>
        {
            var result = ResultOf(c);
            return f.FramePath(result, index) is { } path
                ? File(c, path, ResultFiles.FrameContentType(result.FrameFormat))
                : (IResult)TypedResults.NotFound();
        });
        return group;
    }

    /// <summary>The owner's thumbnails for "My results", which has no tokens to build share URLs from.</summary>
    public static RouteHandlerBuilder MapOwnerThumbnails(this IEndpointRouteBuilder endpoints) =>
        endpoints.MapGet("/my-results/{id:guid}/thumbnail.jpg",
            async (Guid id, HttpContext context, StyleBlazor.Identity.CurrentOwner owner, ResultStore store, ResultFiles files) =>
                owner.Id is { } ownerId && await store.FindForOwnerAsync(id, ownerId, context.RequestAborted) is { } result
                    ? File(context, files.PathOf(result, ResultFiles.Thumbnail), "image/jpeg")
                    : (IResult)TypedResults.NotFound())
            .RequireRateLimiting(DownloadPolicy)
            .ExcludeFromDescription();

    /// <summary>Looks the token up once for every download; unknown and malformed answer 404, revoked and expired 410.</summary>
    private static async ValueTask<object?> FindResult(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        var http = context.HttpContext;
        var store = http.RequestServices.GetRequiredService<ResultStore>();
        var lookup = await store.FindByTokenAsync(http.GetRouteValue("token") as string, http.RequestAborted);
        switch (lookup.State)
        {
            case LinkState.NotFound: return TypedResults.NotFound();
            case LinkState.Gone: return TypedResults.StatusCode(StatusCodes.Status410Gone);
        }
        http.Items[typeof(StoredResult)] = lookup.Result;
        return await next(context);
    }

    private static StoredResult ResultOf(HttpContext context) => (StoredResult)context.Items[typeof(StoredResult)]!;

    private static IResult Serve(HttpContext context, ResultFiles files, string fileName, string contentType) =>
        File(context, files.PathOf(ResultOf(context), fileName), contentType);

    private static IResult File(HttpContext context, string path, string contentType)
    {
        if (!System.IO.File.Exists(path)) return TypedResults.NotFound(); // deleted between the lookup and now
        SetHeaders(context);
        return TypedResults.PhysicalFile(path, contentType, enableRangeProcessing: true);
    }

    private static IResult Bytes(HttpContext context, byte[] contents, string contentType)
    {
        SetHeaders(context);
        return TypedResults.File(contents, contentType, enableRangeProcessing: true);
    }

    private static void SetHeaders(HttpContext context)
    {
        var headers = context.Response.Headers;
        headers.XContentTypeOptions = "nosniff";
        // Private and short: a revoked link should stop working in browsers' caches soon, too.
        headers.CacheControl = "private, max-age=300";
    }
}

using Microsoft.Extensions.Options;

namespace StyleBlazor.Results;

/// <summary>
/// The layout of the data directory: results.db and results/{id:N}/… . Every path is built here from a result's id
/// (a server-made GUID) and fixed names; nothing a client sends ever becomes part of a path.
/// </summary>
public sealed class ResultFiles
{
    public const string ResultPng = "result.png";
    public const string Thumbnail = "thumbnail.jpg";
    public const string ContentThumbnail = "content.jpg";
    public const string StyleThumbnail = "style.jpg";
    public const string ProgressionGif = "progression.gif";
    public const string ContentUpload = "content-upload.png";
    public const string StyleUpload = "style-upload.png";

    public ResultFiles(IOptions<ResultsOptions> options, IHostEnvironment environment)
    {
        Root = Path.GetFullPath(Path.Combine(environment.ContentRootPath, options.Value.DataDirectory));
        ResultsRoot = Path.Combine(Root, "results");
        DatabasePath = Path.Combine(Root, "results.db");
    }

    public string Root { get; }
    public string ResultsRoot { get; }
    public string DatabasePath { get; }

    public string FolderOf(Guid id) => Path.Combine(ResultsRoot, id.ToString("N"));

    /// <summary>A folder the store writes into before moving it into place, so a half-written result is never visible.</summary>
    public string StagingFolderOf(Guid id) => Path.Combine(ResultsRoot, ".staging-" + id.ToString("N"));

    public string PathOf(StoredResult result, string fileName) => Path.Combine(FolderOf(result.Id), fileName);

    public static string FrameFileName(int index, ProgressionFormat format) =>
        $"frame-{index:D4}.{(format == ProgressionFormat.WebP ? "webp" : "jpg")}";

    public static string FrameContentType(ProgressionFormat format) =>
        format == ProgressionFormat.WebP ? "image/webp" : "image/jpeg";

    /// <summary>The file of replay frame <paramref name="index"/>, or null when the result has no such frame.</summary>
    public string? FramePath(StoredResult result, int index) =>
        index >= 0 && index < result.FrameIterations.Count ? PathOf(result, FrameFileName(index, result.FrameFormat)) : null;
}

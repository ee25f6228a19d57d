using System.Runtime.InteropServices;
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
    /// <summary>The first style picture's thumbnail (the only one results stored before several styles had).</summary>
    public const string StyleThumbnail = "style.jpg";
    public const string ProgressionGif = "progression.gif";
    public const string ContentUpload = "content-upload.png";
    public const string StyleUpload = "style-upload.png";

    /// <summary>Style picture <paramref name="index"/>'s thumbnail: <c>style.jpg</c>, then <c>style-2.jpg</c>, <c>style-3.jpg</c>…</summary>
    public static string StyleThumbnailOf(int index) => index == 0 ? StyleThumbnail : $"style-{index + 1}.jpg";

    /// <summary>Style picture <paramref name="index"/> as uploaded (when uploads are kept): <c>style-upload.png</c>, <c>style-upload-2.png</c>…</summary>
    public static string StyleUploadOf(int index) => index == 0 ? StyleUpload : $"style-upload-{index + 1}.png";

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

    /// <summary>Writes a file and flushes it to the disk (fsync) before returning, so a crash cannot leave it half written.</summary>
    public static void WriteDurably(string path, byte[] data)
    {
        using var file = new FileStream(path, FileMode.CreateNew, FileAccess.Write, FileShare.None, bufferSize: 1);
        file.Write(data);
        file.Flush(flushToDisk: true);
    }

    /// <summary>
    /// Makes a folder's entries durable (the files created in it, a folder renamed into it): POSIX keeps those in the
    /// folder itself, which needs its own fsync. .NET has no call for it, so this asks the C library.
    /// </summary>
    /// <exception cref="IOException">The folder could not be opened or synced.</exception>
    public static void SyncFolder(string folder)
    {
        // NTFS journals folder changes, and Windows has no fsync on a folder handle.
        if (OperatingSystem.IsWindows()) return;
        int descriptor = Posix.open(folder, Posix.ReadOnly);
        if (descriptor < 0) throw new IOException($"Could not open {folder} to sync it: {Marshal.GetLastPInvokeErrorMessage()}");
        try
        {
            if (Posix.fsync(descriptor) != 0) throw new IOException($"Could not sync {folder}: {Marshal.GetLastPInvokeErrorMessage()}");
        }
        finally
        {
            Posix.close(descriptor);
        }
    }

    static class Posix
    {
        public const int ReadOnly = 0;

        [DllImport("libc", SetLastError = true)]
        public static extern int open([MarshalAs(UnmanagedType.LPUTF8Str)] string path, int flags);

        [DllImport("libc", SetLastError = true)]
        public static extern int fsync(int descriptor);

        [DllImport("libc")]
        public static extern int close(int descriptor);
    }
}

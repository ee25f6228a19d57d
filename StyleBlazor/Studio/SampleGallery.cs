namespace StyleBlazor.Studio;

/// <summary>A bundled sample picture: a photo (suits content) or an artwork (suits style).</summary>
/// <param name="FileName">File name under <c>samples/</c>.</param>
/// <param name="Url">Where the browser loads it (<c>/assets/samples/…</c>).</param>
/// <param name="Attribution">Source and licence, from PROVENANCE.md.</param>
public sealed record SampleImage(string FileName, string Url, string Title, bool IsArtwork, string Size, string Attribution);

/// <summary>
/// The sample gallery: the pictures in <c>wwwroot-assets/samples/</c> (copied next to the app at build), described by
/// the PROVENANCE.md that travels with them. Served to browsers at <c>/assets</c>.
/// </summary>
public sealed class SampleGallery
{
    public const string RequestPath = "/assets";

    public SampleGallery() : this(Path.Combine(AppContext.BaseDirectory, "wwwroot-assets")) { }

    public SampleGallery(string assetsRoot)
    {
        AssetsRoot = assetsRoot;
        SamplesFolder = Path.Combine(assetsRoot, "samples");
        Samples = Load(SamplesFolder);
    }

    /// <summary>The folder served at <see cref="RequestPath"/>.</summary>
    public string AssetsRoot { get; }
    public string SamplesFolder { get; }
    public IReadOnlyList<SampleImage> Samples { get; }

    public IEnumerable<SampleImage> Photos => Samples.Where(s => !s.IsArtwork);
    public IEnumerable<SampleImage> Artworks => Samples.Where(s => s.IsArtwork);

    public Stream OpenRead(SampleImage sample) => File.OpenRead(Path.Combine(SamplesFolder, Path.GetFileName(sample.FileName)));

    static IReadOnlyList<SampleImage> Load(string folder)
    {
        var provenance = Path.Combine(folder, "PROVENANCE.md");
        if (!File.Exists(provenance)) return [];
        var samples = new List<SampleImage>();
        foreach (var line in File.ReadLines(provenance))
        {
            // | file | package (version) | path in package | px | bytes | licence evidence | kind |
            var cells = line.Split('|', StringSplitOptions.TrimEntries);
            if (cells.Length < 9) continue;
            var file = cells[1];
            if (!file.Contains('.') || file.Contains(' ') || !File.Exists(Path.Combine(folder, file))) continue;
            bool artwork = file.StartsWith("art-", StringComparison.Ordinal);
            var licence = cells[6].Replace("`", "");
            if (licence.StartsWith("same", StringComparison.OrdinalIgnoreCase) && samples.Count > 0)
                licence = samples[^1].Attribution.Split(" — ", 2)[^1];
            samples.Add(new SampleImage(file, $"{RequestPath}/samples/{Uri.EscapeDataString(file)}", Title(file), artwork,
                cells[4], $"{cells[2]} — {licence}"));
        }
        return samples;
    }

    static string Title(string file)
    {
        var stem = Path.GetFileNameWithoutExtension(file);
        stem = stem.StartsWith("photo-") ? stem[6..] : stem.StartsWith("art-") ? stem[4..] : stem;
        var words = stem.Split('-');
        var text = string.Join(' ', words);
        foreach (var painter in new[] { "van gogh", "hokusai" })
            if (text.StartsWith(painter + " "))
                return $"{Capitalise(painter)} — {Capitalise(text[(painter.Length + 1)..])}";
        return Capitalise(text);
    }

    static string Capitalise(string s) => string.Join(' ', s.Split(' ').Select((w, i) =>
        w.Length == 0 || (i > 0 && w is "van" or "de") ? w : char.ToUpperInvariant(w[0]) + w[1..]));
}

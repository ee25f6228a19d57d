using System.Globalization;
using System.Text.Json;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;
using StyleBlazor.Engine;
using StyleBlazor.Engine.Backbones;
using StyleBlazor.Engine.Transfer;
using StyleBlazor.Jobs;

namespace StyleBlazor.Cli;

/// <summary>
/// <c>stylize --content a.jpg --style b.jpg --out out.png [options]</c>: the engine without the web UI, for scripts.
/// Bad arguments and bad files exit non-zero with a one-line message on stderr.
/// </summary>
public static class StylizeCommand
{
    public static readonly string Usage =
        "usage: stylize --content FILE --style FILE [--style FILE ...] --out FILE.png [--style-weights W1,W2,...] " +
        "[--backbone resnet18|vgg19] [--weights FILE] [--random-weights] [--size N] [--iterations N] [--seed N] [--alpha X] [--beta X] " +
        "[--lr X] [--tv-weight X] [--optimizer adam|lbfgs] [--preserve-colors none|luminance|histogram] [--style-scale X] [--pooling max|avg] " +
        "[--init content|noise|style] [--normalization code|paper] [--device auto|cpu|cuda] [--threads N] " +
        "[--precision auto|float32|bfloat16] [--progress-json]. " +
        $"Up to {CliArguments.MaxStyles} styles, one weight each; --preserve-colors luminance transfers the luminance Y of " +
        "YCbCr (BT.601, full range) and keeps the content's Cb and Cr; histogram gives each style the content's colour mean and " +
        "covariance first; --style-scale 0.25-2 sizes the style relative to the content (stroke size); --pooling avg is VGG19's.";

    public static async Task<int> RunAsync(string[] args, TextWriter stdout, TextWriter stderr, CancellationToken cancellationToken = default)
    {
        try
        {
            var cli = CliArguments.Parse(args);
            return await StylizeAsync(cli, stdout, cancellationToken);
        }
        catch (Exception e) when (e is CliException or ArgumentException or IOException or UnauthorizedAccessException
                                      or UnknownImageFormatException or InvalidImageContentException or InvalidDataException
                                      or NotSupportedException or InvalidOperationException)
        {
            stderr.WriteLine($"stylize: {e.Message.ReplaceLineEndings(" ")}");
            return e is CliException ? 2 : 1;
        }
        catch (OperationCanceledException)
        {
            stderr.WriteLine("stylize: cancelled");
            return 130;
        }
    }

    static async Task<int> StylizeAsync(CliArguments cli, TextWriter stdout, CancellationToken cancellationToken)
    {
        var contentPath = cli.Required("content");
        var stylePaths = cli.All("style");
        if (stylePaths.Count == 0) throw new CliException("--style is required");
        var outPath = cli.Required("out");
        if (!string.Equals(Path.GetExtension(outPath), ".png", StringComparison.OrdinalIgnoreCase))
            throw new CliException($"--out must be a .png file (got '{outPath}')");
        var catalogOptions = new BackboneCatalogOptions
        {
            WeightsFile = cli.Value("weights"),
            AllowRandomVgg19 = cli.Flag("random-weights"),
        };
        try { catalogOptions = catalogOptions.WithPrecision(cli.Value("precision"), "--precision"); }
        catch (ArgumentException e) { throw new CliException(e.Message); }

        NativeHeap.ReuseFreedMemory(); // before libtorch allocates
        var device = TorchRuntime.SelectDevice(cli.Value("device") ?? "auto");
        TorchRuntime.Configure(device, cli.Int("threads") ?? 0);
        var catalog = new BackboneCatalog(catalogOptions);
        var backboneName = cli.Value("backbone") ?? (cli.Value("weights") is not null || cli.Flag("random-weights") ? "vgg19" : catalog.Default?.Name);
        var info = catalog.Available.FirstOrDefault(b => b.Name == backboneName)
                   ?? throw new CliException($"backbone '{backboneName}' is not available; available: {string.Join(", ", catalog.Available.Select(b => b.Name))}"
                                             + (backboneName == "vgg19" ? " (give --weights FILE, or --random-weights to show the mechanics)" : ""));
        var options = cli.ApplyTo(info);

        // The network loads (0.3 s for ResNet18, more for a VGG19 file) while the pictures decode (0.2–0.4 s for a photo;
        // docs/performance.md, "Time to a good picture"). Starting libtorch on that thread too gained nothing measurable.
        var loading = Task.Run(() => catalog.Load(info.Name, device), CancellationToken.None);
        var styles = new List<Image<Rgb24>>();
        Image<Rgb24>? content = null;
        try
        {
            try
            {
                content = await CliImages.LoadAsync(contentPath, cancellationToken);
                foreach (var path in stylePaths) styles.Add(await CliImages.LoadAsync(path, cancellationToken));
            }
            catch
            {
                // A picture was refused: its message goes out now, and the network is freed once it has loaded.
                _ = loading.ContinueWith(t => t.Result.Dispose(), TaskContinuationOptions.OnlyOnRanToCompletion);
                throw;
            }

            // The run's torch work happens synchronously on this one thread.
            using var backbone = await loading;
            if (options.Validate(backbone) is { } problem) throw new CliException(problem);

            bool json = cli.Flag("progress-json");
            var result = StyleTransfer.Run(backbone, content, styles, options,
                onProgress: json ? p => stdout.WriteLine(ProgressJson(p)) : null,
                wantsFrame: _ => false,
                cancellationToken: cancellationToken);

            using var image = result.BestImage.ToImage();
            var directory = Path.GetDirectoryName(Path.GetFullPath(outPath));
            if (directory is not null) Directory.CreateDirectory(directory);
            image.SaveAsPng(outPath);
            if (!json)
                stdout.WriteLine($"{outPath}: {image.Width}x{image.Height}, {info.Name}, best J = {result.BestLoss.Total:G6} at iteration {result.BestIteration}/{result.IterationsRun}, {result.Elapsed.TotalSeconds:F1} s");
            return 0;
        }
        finally
        {
            content?.Dispose();
            foreach (var s in styles) s.Dispose();
        }
    }

    static string ProgressJson(TransferProgress p) => JsonSerializer.Serialize(new Dictionary<string, object>
    {
        ["iteration"] = p.Iteration,
        ["J"] = p.Loss.Total,
        ["J_C"] = p.Loss.Content,
        ["J_S"] = p.Loss.Style,
        ["TV"] = p.Loss.TotalVariation,
        ["J_S_layers"] = p.Loss.StyleLayers,
        ["elapsed"] = Math.Round(p.Elapsed.TotalSeconds, 3),
        ["improved"] = p.Improved,
        ["stage"] = p.Stage?.Index ?? 0,
        ["size"] = p.Stage is { } s ? $"{s.Width}x{s.Height}" : "",
        ["remaining"] = p.Remaining is { } r ? Math.Round(r.TotalSeconds, 3) : null!,
    });
}

/// <summary>A usage error: wrong or missing arguments.</summary>
public sealed class CliException(string message) : Exception(message);

/// <summary>
/// <c>--name value</c> pairs and <c>--flag</c> switches; a name may repeat (e.g. several --style). The run's settings become
/// a <see cref="TransferSettings"/>, so the CLI keeps the same rules as the hub and the HTTP API (<see cref="TransferSettingsRecipe"/>).
/// </summary>
sealed class CliArguments
{
    /// <summary>Style images one run takes from the command line (the server's cap is its own setting).</summary>
    public const int MaxStyles = 4;

    static readonly HashSet<string> Flags = ["progress-json", "random-weights"];
    static readonly HashSet<string> Values = ["content", "style", "style-weights", "out", "backbone", "weights", "size", "iterations", "seed",
        "alpha", "beta", "lr", "tv-weight", "optimizer", "preserve-colors", "style-scale", "pooling", "init", "normalization", "device", "threads", "precision"];
    static readonly string[] IntegerValues = ["size", "iterations", "seed", "threads"];
    static readonly string[] NumberValues = ["alpha", "beta", "lr", "tv-weight", "style-scale"];
    readonly List<(string Name, string? Value)> _items = [];

    public static CliArguments Parse(IReadOnlyList<string> args)
    {
        var parsed = new CliArguments();
        for (int i = 0; i < args.Count; i++)
        {
            var arg = args[i];
            if (!arg.StartsWith("--")) throw new CliException($"unexpected argument '{arg}'. {StylizeCommand.Usage}");
            var name = arg[2..];
            if (Flags.Contains(name)) parsed._items.Add((name, null));
            else if (Values.Contains(name))
            {
                if (i + 1 >= args.Count || args[i + 1].StartsWith("--")) throw new CliException($"--{name} needs a value");
                parsed._items.Add((name, args[++i]));
            }
            else throw new CliException($"unknown option '--{name}'. {StylizeCommand.Usage}");
        }
        // Malformed numbers, unknown choices and values out of range are usage errors: report them before any file is
        // read, by the same rules as the server's (any recipe serves, the ranges are the engine's).
        foreach (var name in IntegerValues) parsed.Int(name);
        foreach (var name in NumberValues) parsed.Double(name);
        int styles = parsed.All("style").Count;
        if (styles > MaxStyles) throw new CliException($"at most {MaxStyles} --style images (got {styles})");
        var (options, problem) = parsed.Settings().ApplyTo(new StyleTransferOptions(), TransferSettingsRecipe.CliFlag);
        problem ??= options is null ? null : TransferSettingsRecipe.Fits(options, backbone: null, styles, TransferSettingsRecipe.CliFlag);
        if (problem is not null) throw new CliException(problem.Message);
        return parsed;
    }

    public bool Flag(string name) => _items.Any(i => i.Name == name);
    public string? Value(string name) => _items.LastOrDefault(i => i.Name == name).Value;
    public IReadOnlyList<string> All(string name) => _items.Where(i => i.Name == name).Select(i => i.Value!).ToList();
    public string Required(string name) => Value(name) ?? throw new CliException($"--{name} is required. {StylizeCommand.Usage}");

    public int? Int(string name) => Value(name) is { } v
        ? int.TryParse(v, NumberStyles.Integer, CultureInfo.InvariantCulture, out var n) ? n : throw new CliException($"--{name} must be an integer (got '{v}')")
        : null;

    public double? Double(string name) => Value(name) is { } v
        ? double.TryParse(v, NumberStyles.Float, CultureInfo.InvariantCulture, out var d) ? d : throw new CliException($"--{name} must be a number (got '{v}')")
        : null;

    /// <summary>The run's settings, by the same names as the HTTP API's options (a flag's camelCase).</summary>
    public TransferSettings Settings() => new()
    {
        Backbone = Value("backbone"),
        Size = Int("size"),
        Iterations = Int("iterations"),
        Alpha = Double("alpha"),
        Beta = Double("beta"),
        Seed = Int("seed"),
        Lr = Double("lr"),
        Init = Value("init"),
        Normalization = Value("normalization"),
        TvWeight = Double("tv-weight"),
        StyleWeights = StyleWeights(),
        PreserveColors = Value("preserve-colors"),
        StyleScale = Double("style-scale"),
        Optimizer = Value("optimizer"),
        Pooling = Value("pooling"),
    };

    /// <summary><paramref name="backbone"/>'s recipe with the settings given; a problem is a usage error naming the flag.</summary>
    public StyleTransferOptions ApplyTo(BackboneInfo backbone)
    {
        var (options, problem) = Settings().ApplyTo(backbone, All("style").Count, TransferSettingsRecipe.CliFlag);
        return options ?? throw new CliException(problem!.Message);
    }

    /// <summary><c>--style-weights 1,0.5</c>: one number per style image; null when not given.</summary>
    IReadOnlyList<double>? StyleWeights() => Value("style-weights")?.Split(',').Select(w =>
        double.TryParse(w, NumberStyles.Float, CultureInfo.InvariantCulture, out var d) ? d
            : throw new CliException($"--style-weights must be numbers separated by commas (got '{Value("style-weights")}')")).ToList();
}

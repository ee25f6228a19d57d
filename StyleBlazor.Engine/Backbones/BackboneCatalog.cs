using StyleBlazor.Engine.Onnx;
using StyleBlazor.Engine.Weights;
using static TorchSharp.torch;

namespace StyleBlazor.Engine.Backbones;

/// <summary>Where the catalog looks for backbones.</summary>
public sealed record BackboneCatalogOptions
{
    /// <summary>An explicit VGG19 weights file (.h5, .pth or .onnx); wins over <see cref="ModelsDirectory"/>.</summary>
    public string? WeightsFile { get; init; }

    /// <summary>A folder searched for VGG19 weights (*.h5, *.hdf5, *.pth, *.pt, *.onnx), first match by name.</summary>
    public string? ModelsDirectory { get; init; }

    /// <summary>Offer VGG19 with random weights when no file is found (tests, and to show the mechanics).</summary>
    public bool AllowRandomVgg19 { get; init; }

    /// <summary>The backbone used when a request names none; empty = the first available (the embedded ResNet18).</summary>
    public string? Default { get; init; }

    /// <summary>
    /// The type the networks compute in: null for float32, else a reduced precision (<see cref="ReducedPrecisionBackbone"/>).
    /// </summary>
    public ScalarType? ReducedPrecision { get; init; }

    /// <summary>
    /// With no <see cref="ReducedPrecision"/>: the embedded ResNet18 computes in bfloat16 where the CPU does so natively
    /// (<see cref="TorchRuntime.NativeBFloat16"/>), VGG19 and every other case in float32 ("auto", the default setting).
    /// ResNet18's steps take about half the time there and its pictures look the same (docs/performance.md).
    /// </summary>
    public bool AutomaticPrecision { get; init; }

    /// <summary>"float32" (or empty) → null, "bfloat16" → BFloat16; anything else is an error naming the setting.</summary>
    public static ScalarType? ParsePrecision(string? value, string setting) => value?.Trim().ToLowerInvariant() switch
    {
        null or "" or "float32" => null,
        "bfloat16" => ScalarType.BFloat16,
        _ => throw new ArgumentException($"{setting} must be float32 or bfloat16 (got '{value}')."),
    };

    /// <summary>A precision setting that may also be "auto" (or empty, its default): these options with it applied.</summary>
    public BackboneCatalogOptions WithPrecision(string? value, string setting) => value?.Trim().ToLowerInvariant() switch
    {
        null or "" or "auto" => this with { ReducedPrecision = null, AutomaticPrecision = true },
        "float32" => this with { ReducedPrecision = null, AutomaticPrecision = false },
        "bfloat16" => this with { ReducedPrecision = ScalarType.BFloat16, AutomaticPrecision = false },
        _ => throw new ArgumentException($"{setting} must be auto, float32 or bfloat16 (got '{value}')."),
    };
}

/// <summary>
/// The embedded ResNet18 (always, no download) and VGG19 when weights are configured or found. The default is the
/// configured one, else the embedded ResNet18.
/// </summary>
public sealed class BackboneCatalog : IBackboneCatalog
{
    static readonly string[] WeightExtensions = [".h5", ".hdf5", ".pth", ".pt", ".onnx"];
    readonly string? _vgg19Weights;
    readonly bool _randomVgg19;
    readonly ScalarType? _reducedPrecision;
    readonly bool _automaticPrecision;

    public BackboneCatalog(BackboneCatalogOptions options)
    {
        _vgg19Weights = FindVgg19Weights(options);
        _randomVgg19 = _vgg19Weights is null && options.AllowRandomVgg19;
        _reducedPrecision = options.ReducedPrecision;
        _automaticPrecision = options.AutomaticPrecision;

        var available = new List<BackboneInfo>
        {
            new("resnet18", "ResNet18 (embedded, ImageNet)", ResNet18Backbone.LayerList, BackboneRecipes.ResNet18),
        };
        // VGG19 run by TorchSharp (.h5, .pth, random) can swap its max pools for average pools; the ONNX graph cannot.
        if (_vgg19Weights is not null)
            available.Add(new("vgg19", $"VGG19 ({Path.GetFileName(_vgg19Weights)})", Vgg19Backbone.LayerList(), BackboneRecipes.ArticleVgg19)
            {
                PoolingModes = IsOnnx(_vgg19Weights) ? [PoolingMode.Max] : [PoolingMode.Max, PoolingMode.Average],
            });
        else if (_randomVgg19)
            available.Add(new("vgg19", "VGG19 (random weights)", Vgg19Backbone.LayerList(), BackboneRecipes.ArticleVgg19)
            {
                PoolingModes = [PoolingMode.Max, PoolingMode.Average],
            });
        Available = available;
        Default = string.IsNullOrWhiteSpace(options.Default)
            ? available[0]
            : available.FirstOrDefault(b => b.Name == options.Default) ?? throw new ArgumentException(
                $"Backbones:Default names '{options.Default}', which is not available; available: {string.Join(", ", available.Select(b => b.Name))}.");
    }

    public IReadOnlyList<BackboneInfo> Available { get; }

    public BackboneInfo? Default { get; }

    /// <summary>The VGG19 weights file in use, if any.</summary>
    public string? Vgg19WeightsFile => _vgg19Weights;

    public IBackbone Load(string name, Device device)
    {
        var backbone = LoadFullPrecision(name, device);
        return PrecisionFor(name, device) is { } type ? new ReducedPrecisionBackbone(backbone, type) : backbone;
    }

    /// <summary>What backbone <paramref name="name"/> computes in on <paramref name="device"/>: null for float32.</summary>
    public ScalarType? PrecisionFor(string name, Device device) =>
        _reducedPrecision ?? (_automaticPrecision && name == "resnet18" && device.type == TorchSharp.DeviceType.CPU && TorchRuntime.NativeBFloat16
            ? ScalarType.BFloat16 : null);

    IBackbone LoadFullPrecision(string name, Device device) => name switch
    {
        "resnet18" => new ResNet18Backbone(device),
        "vgg19" when _vgg19Weights is not null => LoadVgg19(_vgg19Weights, device),
        "vgg19" when _randomVgg19 => Vgg19Backbone.CreateRandom(seed: 0, device: device),
        _ => throw new ArgumentException($"Backbone '{name}' is not available; available: {string.Join(", ", Available.Select(b => b.Name))}.", nameof(name)),
    };

    static IBackbone LoadVgg19(string path, Device device) =>
        IsOnnx(path) ? OnnxVgg19Backbone.Load(path, device) : WeightFileLoader.Load(path, device);

    static bool IsOnnx(string path) => string.Equals(Path.GetExtension(path), ".onnx", StringComparison.OrdinalIgnoreCase);

    static string? FindVgg19Weights(BackboneCatalogOptions options)
    {
        if (!string.IsNullOrWhiteSpace(options.WeightsFile))
            return File.Exists(options.WeightsFile)
                ? Path.GetFullPath(options.WeightsFile)
                : throw new FileNotFoundException($"VGG19 weights file not found: {options.WeightsFile}", options.WeightsFile);
        if (string.IsNullOrWhiteSpace(options.ModelsDirectory) || !Directory.Exists(options.ModelsDirectory)) return null;
        return Directory.EnumerateFiles(options.ModelsDirectory)
            .Where(f => WeightExtensions.Contains(Path.GetExtension(f).ToLowerInvariant()))
            .Where(f => Path.GetFileName(f).Contains("vgg19", StringComparison.OrdinalIgnoreCase))
            .Order(StringComparer.Ordinal)
            .FirstOrDefault();
    }
}

using StyleBlazor.Engine.Transfer;
using static TorchSharp.torch;

namespace StyleBlazor.Engine.Backbones;

/// <summary>A backbone the app can offer, with the recipe (default options) that suits it.</summary>
/// <param name="Name">Identifier used in options and URLs, e.g. <c>resnet18</c>.</param>
/// <param name="DisplayName">What a user sees, e.g. "ResNet18 (embedded, ImageNet)".</param>
/// <param name="Layers">Its taps in forward order.</param>
/// <param name="Defaults">The default options for this backbone (for VGG19: the article's).</param>
public sealed record BackboneInfo(string Name, string DisplayName, IReadOnlyList<LayerInfo> Layers, StyleTransferOptions Defaults)
{
    /// <summary>How it can pool (<see cref="IBackbone.PoolingModes"/>), known before it is loaded, so a request can be refused up front.</summary>
    public IReadOnlyList<PoolingMode> PoolingModes { get; init; } = [PoolingMode.Max];
}

/// <summary>The backbones available on this machine, and how to load one.</summary>
public interface IBackboneCatalog
{
    /// <summary>Available backbones, in the order they are offered.</summary>
    IReadOnlyList<BackboneInfo> Available { get; }

    /// <summary>
    /// The one answer to "which backbone by default": used when a request names none, and warmed up at start. Null
    /// when none is available.
    /// </summary>
    BackboneInfo? Default => Available.FirstOrDefault();

    /// <summary>The backbone named <paramref name="name"/>, or <see cref="Default"/> when no name is given; null when unknown.</summary>
    BackboneInfo? Find(string? name) => string.IsNullOrEmpty(name) ? Default : Available.FirstOrDefault(b => b.Name == name);

    /// <summary>
    /// Why a request for <paramref name="name"/> (null or empty: the default) finds no backbone, for
    /// <see cref="Find"/>'s null. VGG19 is named apart: it is known, and missing only its weights on this server.
    /// </summary>
    string WhyNotFound(string? name) => string.IsNullOrEmpty(name) ? "No backbone is available on this server."
        : name == "vgg19" ? $"VGG19 needs a weights file, and this server has none (README, \"Backbones and where weights go\"); available: {string.Join(", ", Available.Select(b => b.Name))}."
        : $"Unknown backbone '{name}'; available: {string.Join(", ", Available.Select(b => b.Name))}.";

    /// <summary>Loads a backbone onto <paramref name="device"/>; the caller owns (and disposes) it.</summary>
    IBackbone Load(string name, Device device);
}

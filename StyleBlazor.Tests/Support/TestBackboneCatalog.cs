using StyleBlazor.Engine.Backbones;
using StyleBlazor.Engine.Transfer;
using static TorchSharp.torch;

namespace StyleBlazor.Tests.Support;

/// <summary>
/// Random-weight tiny backbones for the host's tests, in three behaviours chosen by name:
/// <c>tiny</c> (as fast as it gets), <c>tiny-slow</c> (each forward pass sleeps, so a run can be caught mid-way) and
/// <c>tiny-failing</c> (throws on its fifth forward pass, like a device error mid-run) and <c>tiny-oom</c> (runs out of
/// memory on inputs larger than <see cref="OutOfMemoryAboveSide"/>).
/// </summary>
public sealed class TestBackboneCatalog : IBackboneCatalog
{
    public const string Fast = "tiny", Slow = "tiny-slow", Failing = "tiny-failing", OutOfMemory = "tiny-oom";

    /// <summary><see cref="OutOfMemory"/> runs out of memory on inputs with a side over this many pixels.</summary>
    public const int OutOfMemoryAboveSide = 24;

    public static readonly IReadOnlyList<LayerInfo> Layers = [new("conv1", 4, 1), new("conv2", 6, 2), new("conv3", 8, 2)];

    public static readonly StyleTransferOptions Defaults = new()
    {
        Iterations = 12,
        MaxSide = 32,
        ContentLayer = "conv3",
        StyleLayers = [new("conv1", 0.5), new("conv2", 0.5)],
        LearningRate = 10,
    };

    /// <summary>How long each forward pass of <see cref="Slow"/> sleeps.</summary>
    public TimeSpan SlowForward { get; init; } = TimeSpan.FromMilliseconds(40);

    /// <summary>The recipe of <see cref="Fast"/>, the app's default backbone here.</summary>
    public StyleTransferOptions FastRecipe { get; init; } = Defaults;

    public IReadOnlyList<BackboneInfo> Available => field ??=
    [
        new(Fast, "Tiny random convs", Layers, FastRecipe),
        new(Slow, "Tiny random convs, slow", Layers, Defaults),
        new(Failing, "Tiny random convs that fail mid-run", Layers, Defaults),
        new(OutOfMemory, "Tiny random convs that run out of memory on large inputs", Layers, Defaults),
    ];

    public IBackbone Load(string name, Device device) => name switch
    {
        Fast => new ScriptedBackbone(name, new TinyBackbone(), TimeSpan.Zero, failOnForward: null),
        Slow => new ScriptedBackbone(name, new TinyBackbone(), SlowForward, failOnForward: null),
        Failing => new ScriptedBackbone(name, new TinyBackbone(), TimeSpan.Zero, failOnForward: 5),
        OutOfMemory => new ScriptedBackbone(name, new TinyBackbone(), TimeSpan.Zero, failOnForward: null, outOfMemoryAboveSide: OutOfMemoryAboveSide),
        _ => throw new ArgumentException($"No test backbone '{name}'.", nameof(name)),
    };
}

/// <summary>Wraps <see cref="TinyBackbone"/> with a delay per forward pass and an optional injected failure.</summary>
sealed class ScriptedBackbone(string name, IBackbone inner, TimeSpan delay, int? failOnForward, int? outOfMemoryAboveSide = null) : IBackbone
{
    int _forwards;

    public string Name => name;
    public IReadOnlyList<LayerInfo> Layers => inner.Layers;
    public ImagePreprocessing Preprocessing => inner.Preprocessing;
    public int SizeMultiple => inner.SizeMultiple;
    public Device Device => inner.Device;

    public IReadOnlyDictionary<string, Tensor> Forward(Tensor input, IReadOnlyCollection<string> taps)
    {
        // The failure counts per job: warm-up and earlier jobs on this backbone do not use it up.
        int n = Interlocked.Increment(ref _forwards);
        if (failOnForward is { } k && n % k == 0) throw new InvalidOperationException("Injected failure in the test backbone.");
        // What TorchSharp surfaces when libtorch's allocator gives up.
        if (outOfMemoryAboveSide is { } side && Math.Max(input.shape[^1], input.shape[^2]) > side)
            throw new System.Runtime.InteropServices.ExternalException("CUDA out of memory. Tried to allocate 2.00 GiB (injected by the test backbone)");
        if (delay > TimeSpan.Zero) Thread.Sleep(delay);
        return inner.Forward(input, taps);
    }

    public void Dispose() => inner.Dispose();
}

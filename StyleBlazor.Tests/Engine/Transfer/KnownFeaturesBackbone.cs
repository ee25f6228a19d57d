using StyleBlazor.Engine.Backbones;
using static TorchSharp.torch;

namespace StyleBlazor.Tests.Engine.Transfer;

/// <summary>
/// A "network" whose taps are simple known functions of the input — plain = x, squared = x², shifted = x + 1 — so
/// the objective's terms can be computed by hand from the input alone.
/// </summary>
sealed class KnownFeaturesBackbone : IBackbone
{
    public static double Plain(double x) => x;
    public static double Squared(double x) => x * x;
    public static double Shifted(double x) => x + 1;

    public string Name => "known";
    public IReadOnlyList<LayerInfo> Layers { get; } = [new("plain", 0, 1), new("squared", 0, 1), new("shifted", 0, 1)];
    public ImagePreprocessing Preprocessing => ImagePreprocessing.KerasVgg19;
    public int SizeMultiple => 1;
    public Device Device => CPU;

    public IReadOnlyDictionary<string, Tensor> Forward(Tensor input, IReadOnlyCollection<string> taps)
    {
        var result = new Dictionary<string, Tensor>();
        if (taps.Contains("plain")) result["plain"] = input.alias();
        if (taps.Contains("squared")) result["squared"] = input.square();
        if (taps.Contains("shifted")) result["shifted"] = input.add(1);
        return result;
    }

    public void Dispose() { }
}

using static TorchSharp.torch;

namespace StyleBlazor.Engine.Backbones;

/// <summary>
/// A 3×3 convolution (stride 1, padding 1) by Winograd's minimal filtering F(4×4, 3×3) (Lavin &amp; Gray, 2016):
/// each 4×4 block of outputs is Aᵀ[(G g Gᵀ) ⊙ (Bᵀ d B)]A of the 6×6 input tile d around it, 36 multiplications per
/// input–output channel pair where direct convolution takes 144. The tile products become 36 batched matrix products
/// over channels. The input gradient is the same algorithm run on the output gradient with the filters flipped and
/// transposed (<see cref="Function"/>), so backward is as fast as forward and autograd keeps nothing of the pass.
/// </summary>
/// <remarks>
/// On the CPU it is faster than oneDNN's direct kernels only where those products dominate its tile transforms and
/// copies, and only when MKL runs its AVX-512 kernels: VGG19's blocks 3–5 (docs/performance.md). Same values
/// within float32 rounding (relative difference ~3·10⁻⁶).
/// </remarks>
public sealed class WinogradConvolution : IDisposable
{
    // The F(4×4, 3×3) matrices, points 0, ±1, ±2 and ∞.
    static readonly double[,] Bt =
    {
        { 4, 0, -5, 0, 1, 0 }, { 0, -4, -4, 1, 1, 0 }, { 0, 4, -4, -1, 1, 0 },
        { 0, -2, -1, 2, 1, 0 }, { 0, 2, -1, -2, 1, 0 }, { 0, 4, 0, -5, 0, 1 },
    };
    static readonly double[,] G =
    {
        { 1.0 / 4, 0, 0 }, { -1.0 / 6, -1.0 / 6, -1.0 / 6 }, { -1.0 / 6, 1.0 / 6, -1.0 / 6 },
        { 1.0 / 24, 1.0 / 12, 1.0 / 6 }, { 1.0 / 24, -1.0 / 12, 1.0 / 6 }, { 0, 0, 1 },
    };
    static readonly double[,] At =
    {
        { 1, 1, 1, 1, 1, 0 }, { 0, 1, -1, 2, -2, 0 }, { 0, 1, 1, 4, 4, 0 }, { 0, 1, -1, 8, -8, 1 },
    };

    readonly Tensor _weight;            // [out, in, 3, 3], the frozen filters (contiguous)
    readonly Tensor _bias;              // [1, out, 1, 1], a view of the frozen bias
    readonly Tensor _filterTransform;   // [36, 9]: g (row-major 3×3) -> G g Gᵀ
    readonly Tensor _inputTransform;    // [36, 36]: tile d (row-major 6×6) -> Bᵀ d B
    readonly Tensor _outputTransform;   // [16, 36]: M -> Aᵀ M A (row-major 4×4)

    /// <param name="weight">[out, in, 3, 3], frozen.</param>
    /// <param name="bias">[out], frozen.</param>
    public WinogradConvolution(Tensor weight, Tensor bias)
    {
        if (weight.dim() != 4 || weight.shape[2] != 3 || weight.shape[3] != 3)
            throw new ArgumentException($"Winograd F(4x4,3x3) needs [out, in, 3, 3] weights, not [{string.Join(", ", weight.shape)}].", nameof(weight));
        using var noGrad = no_grad();
        using var scope = NewDisposeScope();
        Tensor Kron(double[,] m) { var t = tensor(m, dtype: weight.dtype, device: weight.device); return kron(t, t); }
        // Owned by this object for as long as it lives, whatever scope it is made in.
        _weight = weight.detach().contiguous().DetachFromDisposeScope();
        _bias = bias.detach().view(1, -1, 1, 1).DetachFromDisposeScope();
        _filterTransform = Kron(G).DetachFromDisposeScope();
        _inputTransform = Kron(Bt).DetachFromDisposeScope();
        _outputTransform = Kron(At).DetachFromDisposeScope();
    }

    /// <summary>The convolution of <paramref name="input"/> [N, in, H, W] (any H, W ≥ 1): [N, out, H, W].</summary>
    public Tensor Forward(Tensor input) => Function.apply(input, this);

    /// <summary>
    /// G g Gᵀ of every filter, laid out [36, out, in]; with <paramref name="flipped"/> of every filter turned by 180°.
    /// A product with the filters' own storage seen as [9, out·in]: no copy of them is made, and turning a 3×3 filter
    /// reverses its 9 values, so for the flipped ones the transform's 9 columns are taken in reverse instead.
    /// </summary>
    Tensor Transform(bool flipped = false)
    {
        long outChannels = _weight.shape[0], inChannels = _weight.shape[1];
        using var filters = _weight.view(outChannels * inChannels, 9).t();
        using var transform = flipped ? _filterTransform.flip(1) : _filterTransform.alias();
        return transform.matmul(filters).view(36, outChannels, inChannels);
    }

    /// <summary>Winograd's algorithm on <paramref name="input"/> with filters transformed as [36, in, out] (a view will do).</summary>
    Tensor Convolve(Tensor input, Tensor transformedWeight, Tensor? bias)
    {
        long n = input.shape[0], c = input.shape[1], h = input.shape[2], w = input.shape[3], outChannels = transformedWeight.shape[2];
        long tilesDown = (h + 3) / 4, tilesAcross = (w + 3) / 4, tiles = n * tilesDown * tilesAcross;
        // Each stage frees the one before it as soon as it is done: at most two of these map-sized tensors live at a
        // time (VGG19 block 3 at 512²: ~75 MiB rather than ~150).
        // Padding 1 on the top and left, and on the bottom and right whatever completes the last tile (plus 1); then
        // the overlapping 6×6 tiles, stride 4, as rows of 36: [36, N·th·tw·in].
        using var columns = Stage(() => nn.functional.pad(input, [1, 4 * tilesAcross + 1 - w, 1, 4 * tilesDown + 1 - h])
            .unfold(2, 6, 4).unfold(3, 6, 4).permute(4, 5, 0, 2, 3, 1).reshape(36, -1));
        using var transformed = Stage(() => _inputTransform.matmul(columns));
        columns.Dispose();
        using var products = Stage(() => transformed.view(36, tiles, c).bmm(transformedWeight)); // [36, N·th·tw, out]
        transformed.Dispose();
        using var blocks = Stage(() => _outputTransform.matmul(products.view(36, -1)));          // [16, N·th·tw·out]
        products.Dispose();
        return Stage(() =>
        {
            var output = blocks.view(4, 4, n, tilesDown, tilesAcross, outChannels).permute(2, 5, 3, 0, 4, 1)
                .reshape(n, outChannels, 4 * tilesDown, 4 * tilesAcross);
            if (4 * tilesDown != h || 4 * tilesAcross != w) output = output[.., .., ..(int)h, ..(int)w];
            return bias is null ? output.contiguous() : output.add(bias); // a new contiguous map either way
        });
    }

    /// <summary>Runs one stage in its own scope, so its intermediate handles (views included) go when it returns.</summary>
    static Tensor Stage(Func<Tensor> stage)
    {
        using var scope = NewDisposeScope();
        return stage().MoveToOuterDisposeScope();
    }

    /// <summary>
    /// The autograd node: forward runs the algorithm with gradients off (nothing kept); backward convolves the output
    /// gradient with the filters flipped in space and with in and out swapped (∂/∂x of a padding-1 3×3 convolution).
    /// </summary>
    sealed class Function : autograd.SingleTensorFunction<Function>
    {
        public override string Name => nameof(WinogradConvolution);

        public override Tensor forward(autograd.AutogradContext ctx, params object[] vars)
        {
            var convolution = (WinogradConvolution)vars[1];
            ctx.save_data(nameof(WinogradConvolution), convolution);
            // The filters are transformed for each pass and dropped after it rather than kept (4× the 3×3 filters:
            // 235 MiB for VGG19's blocks 3–5, which would lift the peak above the peer's); ~1–4 ms a layer.
            using var scope = NewDisposeScope();
            var transformed = convolution.Transform().transpose(1, 2); // [36, in, out], transposed in the product
            return convolution.Convolve((Tensor)vars[0], transformed, convolution._bias).MoveToOuterDisposeScope();
        }

        public override List<Tensor> backward(autograd.AutogradContext ctx, Tensor gradOutput)
        {
            var convolution = (WinogradConvolution)ctx.get_data(nameof(WinogradConvolution));
            // Everything made here but the gradient goes when it returns, and so does this handle on the output's
            // gradient (autograd holds its own): otherwise each layer's would live until the caller's scope ends.
            using var scope = NewDisposeScope();
            using var noGrad = no_grad();
            // Out and in swap roles: [36, out, in] is already the layout this convolution takes.
            var transformed = convolution.Transform(flipped: true);
            var gradInput = convolution.Convolve(gradOutput, transformed, bias: null).MoveToOuterDisposeScope();
            gradOutput.Dispose();
            return [gradInput, null!];
        }
    }

    public void Dispose()
    {
        _weight.Dispose();
        _bias.Dispose();
        _filterTransform.Dispose();
        _inputTransform.Dispose();
        _outputTransform.Dispose();
    }
}

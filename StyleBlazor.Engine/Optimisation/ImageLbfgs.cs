using System.Runtime.ExceptionServices;
using System.Runtime.InteropServices;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace StyleBlazor.Engine.Optimisation;

/// <summary>
/// L-BFGS on the image (Gatys et al.'s optimiser, jcjohnson/neural-style's default), by libtorch's own
/// <c>torch.optim.LBFGS</c> run the way neural-style runs it: a history of 100 pairs, no line search, step length 1
/// (the first step scaled by 1/‖g‖₁). Each <see cref="Step"/> is one L-BFGS iteration with exactly one evaluation of J,
/// so it costs an Adam step plus the two-loop recursion over the history, and the caller reports, observes and cancels
/// between iterations while the history lives on in the optimiser.
/// </summary>
/// <remarks>
/// libtorch reads scalars inside its step (J, the largest |g|, the curvature y·s, the directional derivative, and two per
/// history pair in the two-loop recursion): on a GPU each is a host synchronisation that the caller cannot avoid.
/// It flattens the gradient with <c>view(-1)</c>, so the image must be contiguous (not channels-last). The history holds
/// 2 × 100 image-sized vectors: 600 MiB at 512² in float32.
/// </remarks>
public sealed class ImageLbfgs : IDisposable
{
    /// <summary>Correction pairs kept: neural-style leaves torch's <c>optim.lbfgs</c> default of 100.</summary>
    public const int HistorySize = 100;

    readonly Parameter _image;
    readonly LBFGS _optimizer;
    double? _scale;

    public ImageLbfgs(Parameter image, int historySize = HistorySize)
    {
        _image = image;
        // Tolerances of 0 (neural-style sets tolX = tolFun = -1): stop only on an exactly zero gradient or a direction
        // that is not downhill. Relative losses put |∂J/∂pixel| far below libtorch's default 1e-5, where it would return
        // without moving the image.
        _optimizer = optim.LBFGS([image], lr: 1, max_iter: 1, max_eval: 1,
            tolerange_grad: 0, tolerance_change: 0, history_size: historySize);
        // TorchSharp 0.107's LBFGS asks libtorch for new handles to its parameters (for ParamGroups) and never enumerates
        // them, so nothing frees them and each keeps the image alive after the run (measured: the whole image leaked per
        // optimiser). Enumerating wraps those very handles; disposing the wrappers frees them.
        foreach (var group in _optimizer.ParamGroups.OfType<ParamGroup>())
        {
            foreach (var handle in group.Parameters) handle.Dispose();
            group.Parameters = [];
        }
    }

    /// <summary>
    /// One iteration: calls <paramref name="evaluate"/> once at the current image (it returns J, differentiable with
    /// respect to the image) and then moves the image along the L-BFGS direction. libtorch calls
    /// <paramref name="evaluate"/> from native code, which an exception must not cross: one thrown there is caught, the
    /// image is left where it was, and the exception is rethrown here.
    /// </summary>
    public void Step(Func<Tensor> evaluate)
    {
        ExceptionDispatchInfo? failure = null;
        IntPtr handedOver = IntPtr.Zero;
        try
        {
            using var loss = _optimizer.step(() =>
            {
                Tensor returned;
                try
                {
                    _optimizer.zero_grad();
                    var total = evaluate();
                    total.backward();
                    double scale = ScaleGradient();
                    returned = total.detach().mul(scale); // a handle of its own for libtorch; the caller keeps J
                }
                catch (Exception e)
                {
                    failure = ExceptionDispatchInfo.Capture(e);
                    // A zero gradient is "optimal" to libtorch, which then returns without moving the image.
                    _optimizer.zero_grad();
                    returned = full(1, float.NaN);
                }
                handedOver = returned.Handle;
                return returned;
            });
        }
        finally
        {
            // TorchSharp 0.107 hands the closure's tensor to libtorch as a new handle that its native step copies and never
            // deletes (THSNN_Optimizer_step: `return *(loss_closure());`): ~500 bytes a step, measured, without this.
            if (handedOver != IntPtr.Zero) THSTensor_dispose(handedOver);
        }
        failure?.Throw();
    }

    /// <summary>
    /// Multiplies the gradient by 1/max|∂J/∂x| of the first evaluation (the same factor ever after), and returns the factor
    /// for J. L-BFGS's directions and steps do not depend on the scale of J, but libtorch keeps a correction pair only if
    /// y·s &gt; 1e-10, in absolute terms: with relative losses (J near 1, |∂J/∂pixel| near 1e-7 in 0–255 units) every pair
    /// after a stage's tiny first step fell below it, and the run crept along −∇J for some 20 iterations.
    /// </summary>
    double ScaleGradient()
    {
        using var gradient = _image.grad!;
        if (_scale is null)
        {
            using var magnitudes = gradient.abs();
            using var largest = magnitudes.max();
            double max = largest.ToDouble(); // one read for the optimiser's lifetime
            _scale = max > 0 && double.IsFinite(max) ? 1 / max : 1;
        }
        gradient.mul_(_scale.Value);
        return _scale.Value;
    }

    [DllImport("LibTorchSharp")]
    static extern void THSTensor_dispose(IntPtr handle);

    public void Dispose() => _optimizer.Dispose();
}

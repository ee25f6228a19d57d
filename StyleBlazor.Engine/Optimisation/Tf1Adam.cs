using static TorchSharp.torch;

namespace StyleBlazor.Engine.Optimisation;

/// <summary>
/// Adam on one tensor, in the two flavours that matter here. TF1 (<c>tf.compat.v1.train.AdamOptimizer</c>, the
/// article's) applies ε to the un-corrected √v ("epsilon hat"): lr_t = lr·√(1−β2^t)/(1−β1^t),
/// θ −= lr_t·m/(√v + ε). PyTorch adds ε to the bias-corrected √v̂: θ −= lr·m̂/(√v̂ + ε).
/// With ε = 0.1 the two differ visibly, so the article's path uses TF1.
/// <para>
/// With Nesterov momentum (Dozat 2016, "Incorporating Nesterov momentum into Adam", without its momentum schedule) the
/// PyTorch form steps along the first moment one step ahead: θ −= lr·(β1·m/(1−β1^(t+1)) + (1−β1)·g/(1−β1^t))/(√v̂ + ε).
/// </para>
/// </summary>
public sealed class Tf1Adam : IDisposable
{
    readonly double _lr, _beta1, _beta2, _epsilon;
    readonly bool _epsilonHat, _nesterov;
    readonly Tensor _m, _v;
    int _t;

    public Tf1Adam(Tensor parameter, double lr, double beta1, double beta2, double epsilon, bool epsilonHat = true, bool nesterov = false)
    {
        if (nesterov && epsilonHat) throw new ArgumentException("Nesterov momentum is implemented with PyTorch's ε only (epsilonHat false).", nameof(nesterov));
        (_lr, _beta1, _beta2, _epsilon, _epsilonHat, _nesterov) = (lr, beta1, beta2, epsilon, epsilonHat, nesterov);
        _m = zeros_like(parameter).DetachFromDisposeScope();
        _v = zeros_like(parameter).DetachFromDisposeScope();
    }

    public int StepCount => _t;

    /// <summary>Updates <paramref name="parameter"/> in place with <paramref name="gradient"/>.</summary>
    public void Step(Tensor parameter, Tensor gradient)
    {
        _t++;
        using var noGrad = no_grad();
        using var scope = NewDisposeScope();
        _m.mul_(_beta1).add_(gradient, alpha: 1 - _beta1);
        _v.mul_(_beta2).addcmul_(gradient, gradient, value: 1 - _beta2);
        double correction1 = 1 - Math.Pow(_beta1, _t), correction2 = 1 - Math.Pow(_beta2, _t);
        if (_epsilonHat)
        {
            double lrT = _lr * Math.Sqrt(correction2) / correction1;
            parameter.addcdiv_(_m, _v.sqrt().add_(_epsilon), value: -lrT);
        }
        else
        {
            var denominator = _v.div(correction2).sqrt_().add_(_epsilon);
            if (_nesterov)
            {
                var ahead = _m.mul(_beta1 / (1 - Math.Pow(_beta1, _t + 1))).add_(gradient, alpha: (1 - _beta1) / correction1);
                parameter.addcdiv_(ahead, denominator, value: -_lr);
            }
            else
            {
                parameter.addcdiv_(_m, denominator, value: -_lr / correction1);
            }
        }
    }

    public void Dispose()
    {
        _m.Dispose();
        _v.Dispose();
    }
}

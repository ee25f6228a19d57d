using StyleBlazor.Engine.Optimisation;
using static TorchSharp.torch;

namespace StyleBlazor.Tests.Engine.Optimisation;

public class Tf1AdamTests
{
    // The article's optimiser: AdamOptimizer(learning_rate=2, beta1=0.99, epsilon=0.1), beta2 = 0.999.
    const double Lr = 2, Beta1 = 0.99, Beta2 = 0.999, Eps = 0.1;

    static readonly double[] Start = [10, -5, 0.5, 3, 0];

    // A different gradient each step, with small, large, negative and zero entries.
    static readonly double[][] Gradients =
    [
        [1, -3, 0.001, 0, 250],
        [0.5, 2, -0.002, 0, -250],
        [-1, -3, 0.004, 1e-6, 10],
    ];

    /// <summary>TF1's update, written from ALGORITHM.md: lr_t = lr·√(1−β2^t)/(1−β1^t), θ −= lr_t·m/(√v + ε).</summary>
    static double[] Tf1ByHand(int steps)
    {
        var theta = (double[])Start.Clone();
        var m = new double[theta.Length];
        var v = new double[theta.Length];
        for (int t = 1; t <= steps; t++)
        {
            var g = Gradients[t - 1];
            double lrT = Lr * Math.Sqrt(1 - Math.Pow(Beta2, t)) / (1 - Math.Pow(Beta1, t));
            for (int i = 0; i < theta.Length; i++)
            {
                m[i] = Beta1 * m[i] + (1 - Beta1) * g[i];
                v[i] = Beta2 * v[i] + (1 - Beta2) * g[i] * g[i];
                theta[i] -= lrT * m[i] / (Math.Sqrt(v[i]) + Eps);
            }
        }
        return theta;
    }

    /// <summary>
    /// torch.optim.Adam's update: m̂ = m/(1−β1^t), v̂ = v/(1−β2^t), θ −= lr·m̂/(√v̂ + ε). With Nesterov's look-ahead (Dozat
    /// 2016, no momentum schedule) the step takes β1·m/(1−β1^(t+1)) + (1−β1)·g/(1−β1^t) in place of m̂.
    /// </summary>
    static double[] PyTorchByHand(int steps, bool nesterov = false)
    {
        var theta = (double[])Start.Clone();
        var m = new double[theta.Length];
        var v = new double[theta.Length];
        for (int t = 1; t <= steps; t++)
        {
            var g = Gradients[t - 1];
            for (int i = 0; i < theta.Length; i++)
            {
                m[i] = Beta1 * m[i] + (1 - Beta1) * g[i];
                v[i] = Beta2 * v[i] + (1 - Beta2) * g[i] * g[i];
                double direction = nesterov
                    ? Beta1 * m[i] / (1 - Math.Pow(Beta1, t + 1)) + (1 - Beta1) * g[i] / (1 - Math.Pow(Beta1, t))
                    : m[i] / (1 - Math.Pow(Beta1, t));
                theta[i] -= Lr * direction / (Math.Sqrt(v[i] / (1 - Math.Pow(Beta2, t))) + Eps);
            }
        }
        return theta;
    }

    static double[] RunAdam(int steps, bool epsilonHat, bool nesterov = false)
    {
        using var parameter = tensor(Start, ScalarType.Float64);
        using var adam = new Tf1Adam(parameter, Lr, Beta1, Beta2, Eps, epsilonHat, nesterov);
        for (int t = 0; t < steps; t++)
        {
            using var gradient = tensor(Gradients[t], ScalarType.Float64);
            adam.Step(parameter, gradient);
        }
        Assert.Equal(steps, adam.StepCount);
        return parameter.data<double>().ToArray();
    }

    static void AssertClose(double[] expected, double[] actual)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
            Assert.True(Math.Abs(expected[i] - actual[i]) <= 1e-12 * Math.Max(1, Math.Abs(expected[i])),
                $"element {i}: expected {expected[i]:R}, got {actual[i]:R}");
    }

    [Fact]
    public void OneTf1StepMatchesTheHandComputedUpdate()
    {
        var actual = RunAdam(1, epsilonHat: true);

        AssertClose(Tf1ByHand(1), actual);
        // After one step m/(1−β1) = g and √(1−β2)·|g| = √v, so a gradient of 1 moves θ by 2·√0.001/(√0.001 + 0.1) ≈ 0.4805.
        Assert.Equal(10 - 2 * Math.Sqrt(0.001) / (Math.Sqrt(0.001) + 0.1), actual[0], 12);
        Assert.Equal(0.4805, 10 - actual[0], 4);
        Assert.Equal(3, actual[3]); // zero gradient, no move
    }

    [Fact]
    public void ThreeTf1StepsMatchTheHandComputedUpdates()
    {
        AssertClose(Tf1ByHand(3), RunAdam(3, epsilonHat: true));
    }

    [Fact]
    public void PyTorchFlavourDiffersFromTf1AsTheFormulasPredict()
    {
        var tf1 = RunAdam(3, epsilonHat: true);
        var pyTorch = RunAdam(3, epsilonHat: false);

        AssertClose(PyTorchByHand(1), RunAdam(1, epsilonHat: false));
        AssertClose(PyTorchByHand(3), pyTorch);
        // PyTorch adds ε to the corrected √v̂ = |g| after one step: a gradient of 1 moves θ by 2·1/(1 + 0.1) ≈ 1.818,
        // almost four times TF1's 0.4805, because TF1's ε = 0.1 sits next to the much smaller uncorrected √v ≈ 0.0316.
        Assert.Equal(2 / 1.1, 10 - RunAdam(1, epsilonHat: false)[0], 12);
        Assert.True(Math.Abs(tf1[0] - pyTorch[0]) > 1, $"TF1 {tf1[0]} vs PyTorch {pyTorch[0]}");
        // For a large gradient ε hardly matters in either flavour: after one step with g = 250 both move θ by about 2
        // (TF1 2·7.906/(7.906 + 0.1) ≈ 1.975, PyTorch 2·250/250.1 ≈ 1.999).
        double tf1Move = -RunAdam(1, epsilonHat: true)[4], pyTorchMove = -RunAdam(1, epsilonHat: false)[4];
        Assert.Equal(1.975, tf1Move, 3);
        Assert.Equal(1.999, pyTorchMove, 3);
    }

    [Fact]
    public void NesterovStepsMatchTheHandComputedLookAhead()
    {
        AssertClose(PyTorchByHand(1, nesterov: true), RunAdam(1, epsilonHat: false, nesterov: true));
        AssertClose(PyTorchByHand(3, nesterov: true), RunAdam(3, epsilonHat: false, nesterov: true));
        // Not plain Adam's: after the first step the look-ahead weighs the new gradient more than m̂ does. Three steps on
        // the first element (g = 1, 0.5, −1) leave it ~0.1 apart.
        Assert.True(Math.Abs(RunAdam(3, epsilonHat: false, nesterov: true)[0] - RunAdam(3, epsilonHat: false)[0]) > 0.05);
        Assert.Throws<ArgumentException>(() => RunAdam(1, epsilonHat: true, nesterov: true));
    }
}

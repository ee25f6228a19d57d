using System.Diagnostics;
using StyleBlazor.Engine;
using StyleBlazor.Engine.Backbones;
using StyleBlazor.Engine.Losses;
using StyleBlazor.Engine.Transfer;
using TorchSharp;
using static TorchSharp.torch;

namespace StyleBlazor.Bench;

/// <summary>
/// <c>kernels</c>: the pieces of a VGG19 iteration at one size, each forward and input-gradient backward timed on its
/// own (best of N, jemalloc with the engine's no-decay setting, 2 threads): every convolution shape in NCHW and NHWC,
/// the 2x2 max pools, the Gram matrices (the engine's, autograd's plain F·Fᵀ, and as a 1x1 convolution on Fᵀ), and the
/// engine's Winograd F(4x4,3x3) convolution. Where an iteration's time goes, in docs/performance.md.
/// </summary>
static class KernelProbes
{
    public static int Run(int size, int repeats)
    {
        if (NativeHeap.Active == NativeAllocator.Jemalloc) NativeHeap.ReuseFreedMemory();
        TorchRuntime.Configure(CPU, 2);
        Console.WriteLine($"allocator {NativeHeap.Describe()}; {MatrixLibrary.Describe()}");
        Convolutions(size, repeats);
        Pools(size, repeats);
        Grams(size, repeats);
        Winograd(size, repeats);
        return 0;
    }

    /// <summary>Best forward and backward times of <paramref name="f"/> on fresh leaves of <paramref name="x"/>.</summary>
    static (double Forward, double Backward) Time(Tensor x, Func<Tensor, Tensor> f, int repeats, Func<Tensor, Tensor>? gradient = null)
    {
        double forward = double.MaxValue, backward = double.MaxValue;
        for (int r = 0; r < repeats; r++)
        {
            // Each repeat frees what it made: otherwise every repeat faults fresh pages in, and that is what gets timed.
            using var scope = NewDisposeScope();
            var leaf = x.detach().requires_grad_(true);
            var clock = Stopwatch.StartNew();
            var y = f(leaf);
            forward = Math.Min(forward, clock.Elapsed.TotalMilliseconds);
            var dy = gradient?.Invoke(y) ?? ones_like(y);
            clock.Restart();
            autograd.grad([y], [leaf], [dy]);
            backward = Math.Min(backward, clock.Elapsed.TotalMilliseconds);
        }
        return (forward, backward);
    }

    static readonly (int In, int Out, int Divisor)[] VggShapes =
        [(3, 64, 1), (64, 64, 1), (64, 128, 2), (128, 128, 2), (128, 256, 4), (256, 256, 4), (256, 512, 8), (512, 512, 8), (512, 512, 16)];

    static void Convolutions(int size, int repeats)
    {
        Console.WriteLine("\n## 3x3 convolutions (oneDNN), input gradient only as in the loop");
        using var generator = new Generator(1);
        foreach (var (c, cout, divisor) in VggShapes)
        {
            using var scope = NewDisposeScope();
            int side = size / divisor;
            var x = randn([1, c, side, side], generator: generator).relu();
            var w = randn([cout, c, 3, 3], generator: generator).mul_(Math.Sqrt(2.0 / (9 * c)));
            var b = randn([cout], generator: generator).mul_(0.01);
            double gflop = 2.0 * side * side * c * cout * 9 / 1e9;
            foreach (bool nhwc in new[] { false, true })
            {
                var (input, weight) = nhwc ? (ImageTensors.ToChannelsLast(x), ImageTensors.ToChannelsLast(w)) : (x, w);
                var (fw, bw) = Time(input, t => nn.functional.conv2d(t, weight, b, padding: [1, 1]), repeats, y => randn_like(y));
                Console.WriteLine($"{c,3}->{cout,3} @{side,3}² {(nhwc ? "NHWC" : "NCHW")}: forward {fw,6:F1} ms ({gflop / fw * 1000,3:F0} GFLOP/s), " +
                                  $"input gradient {bw,6:F1} ms ({gflop / bw * 1000,3:F0} GFLOP/s)");
            }
        }
    }

    static void Pools(int size, int repeats)
    {
        Console.WriteLine("\n## 2x2 max pools");
        foreach (var (c, _, divisor) in VggShapes.Where(s => s.In == s.Out).DistinctBy(s => s.Divisor).Take(4))
        {
            using var scope = NewDisposeScope();
            int side = size / divisor;
            var x = randn([1, c, side, side]).relu();
            foreach (var (name, f) in new (string, Func<Tensor, Tensor>)[]
            {
                ("max_pool2d NCHW", t => nn.functional.max_pool2d(t, 2, 2)),
                ("NHWC copy, max_pool2d, back to NCHW", t => nn.functional.max_pool2d(ImageTensors.ToChannelsLast(t), 2, 2).contiguous()),
            })
            {
                var (fw, bw) = Time(x, f, repeats);
                Console.WriteLine($"{c,3} @{side,3}² {name}: forward {fw,6:F1} ms, backward {bw,6:F1} ms");
            }
        }
    }

    static void Grams(int size, int repeats)
    {
        Console.WriteLine("\n## Gram matrices (MKL sgemm, or oneDNN as a 1x1 convolution)");
        foreach (var (c, divisor) in new[] { (64, 1), (128, 2), (256, 4), (512, 8), (512, 16) })
        {
            using var scope = NewDisposeScope();
            int side = size / divisor;
            var x = randn([1, c, side, side]).relu();
            double gflop = 2.0 * c * c * side * side / 1e9;
            foreach (var (name, f) in new (string, Func<Tensor, Tensor>)[]
            {
                ("GramMatrix.Compute", t => GramMatrix.Compute(t, LossNormalization.Paper)),
                ("autograd's F·Fᵀ", t => { var f = t.reshape(c, -1); return f.mm(f.t()); }),
                ("1x1 conv on Fᵀ", t =>
                {
                    var ft = t.reshape(c, -1).t().contiguous().reshape(1, -1, 1, c);
                    return nn.functional.conv2d(ft, t.detach().reshape(c, -1, 1, 1)).reshape(c, c);
                }),
            })
            {
                var (fw, bw) = Time(x, f, repeats, y => randn_like(y));
                Console.WriteLine($"{c,3} @{side,3}² {name}: forward {fw,5:F1} ms ({gflop / fw * 1000,3:F0} GFLOP/s), backward {bw,5:F1} ms");
            }
        }
    }

    static void Winograd(int size, int repeats)
    {
        Console.WriteLine("\n## Winograd F(4x4,3x3) (the engine's WinogradConvolution) against oneDNN");
        using var generator = new Generator(1);
        foreach (var (c, cout, divisor) in VggShapes.Skip(1))
        {
            using var scope = NewDisposeScope();
            int side = size / divisor;
            var x = randn([1, c, side, side], generator: generator).relu();
            var w = randn([cout, c, 3, 3], generator: generator).mul_(Math.Sqrt(2.0 / (9 * c)));
            var b = randn([cout], generator: generator).mul_(0.01);
            using var winograd = new WinogradConvolution(w, b);
            var (dw, db) = Time(x, t => nn.functional.conv2d(t, w, b, padding: [1, 1]), repeats, y => randn_like(y));
            var (ww, wb) = Time(x, winograd.Forward, repeats, y => randn_like(y));
            using var direct = nn.functional.conv2d(x, w, b, padding: [1, 1]);
            using var fast = winograd.Forward(x);
            double error = (direct - fast).norm().item<float>() / direct.norm().item<float>();
            Console.WriteLine($"{c,3}->{cout,3} @{side,3}²: oneDNN forward {dw,6:F1} + input gradient {db,6:F1} ms, " +
                              $"Winograd {ww,6:F1} + {wb,6:F1} ms; relative difference {error:E1}");
        }
    }
}

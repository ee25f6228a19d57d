using System.Diagnostics;
using StyleBlazor.Engine;
using StyleBlazor.Engine.Backbones;
using StyleBlazor.Engine.Transfer;
using TorchSharp;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace StyleBlazor.Bench;

/// <summary>
/// <c>kernels --backbone resnet18</c>: the pieces of a ResNet18 step at one input size, each forward and input gradient
/// timed alone (best of N) in the ways it could be computed: the anti-alias blur, the 7×7/2 stem (as the ONNX pads
/// it, with symmetric padding, as a space-to-depth 4×4 convolution on 12 channels), the 3×3/2 max pool, every 3×3
/// convolution shape in NCHW, NHWC, bfloat16 and Winograd F(4×4,3×3).
/// </summary>
static class ResNetKernels
{
    public static int Run(int size, int repeats, int threads)
    {
        if (NativeHeap.Active == NativeAllocator.Jemalloc) NativeHeap.ReuseFreedMemory();
        TorchRuntime.Configure(CPU, threads);
        Console.WriteLine($"allocator {NativeHeap.Describe()}; {MatrixLibrary.Describe()}; {get_num_threads()} threads; ResNet18 at {size}²");
        using var generator = new Generator(1);
        Blur(size, repeats, generator);
        Stem(size, repeats, generator);
        Pool(size, repeats, generator);
        Convolutions(size, repeats, generator);
        return 0;
    }

    static (double Forward, double Backward) Time(Tensor x, Func<Tensor, Tensor> f, int repeats)
    {
        double forward = double.MaxValue, backward = double.MaxValue;
        for (int r = 0; r < repeats + 1; r++)
        {
            using var scope = NewDisposeScope();
            var leaf = x.detach().requires_grad_(true);
            var clock = Stopwatch.StartNew();
            var y = f(leaf);
            double fw = clock.Elapsed.TotalMilliseconds;
            var dy = randn_like(y);
            clock.Restart();
            autograd.grad([y], [leaf], [dy]);
            double bw = clock.Elapsed.TotalMilliseconds;
            if (r == 0) continue; // oneDNN makes its primitives on first use
            forward = Math.Min(forward, fw);
            backward = Math.Min(backward, bw);
        }
        return (forward, backward);
    }

    static void Report(string name, (double Forward, double Backward) t, double gflop = 0) =>
        Console.WriteLine($"{name,-58} forward {t.Forward,6:F1} ms, input gradient {t.Backward,6:F1} ms, sum {t.Forward + t.Backward,6:F1} ms" +
                          (gflop > 0 ? $"  ({2 * gflop / (t.Forward + t.Backward) * 1000,3:F0} GFLOP/s)" : ""));

    static double Difference(Tensor a, Tensor b)
    {
        using var d = (a.to(ScalarType.Float32) - b.to(ScalarType.Float32)).norm();
        using var n = b.to(ScalarType.Float32).norm();
        return d.item<float>() / n.item<float>();
    }

    static void Blur(int size, int repeats, Generator generator)
    {
        Console.WriteLine("\n## Anti-alias blur, 3×3 [1,2,1]ᵀ[1,2,1]/16 with replicate padding");
        using var scope = NewDisposeScope();
        var x = randn([1, 3, size, size], generator: generator).mul_(60);
        var k = tensor(new float[] { 1, 2, 1 });
        var kernel = k.outer(k).div(16).expand(3, 1, 3, 3).contiguous();
        Tensor Grouped(Tensor t) => F.conv2d(F.pad(t, [1, 1, 1, 1], PaddingModes.Replicate), kernel, groups: 3);
        Tensor Separable(Tensor t)
        {
            var p = F.pad(t, [1, 1, 1, 1], PaddingModes.Replicate);
            long h = p.shape[2], w = p.shape[3];
            var rows = p[.., .., ..(int)(h - 2), ..] + p[.., .., 1..(int)(h - 1), ..].mul(2) + p[.., .., 2.., ..];
            return (rows[.., .., .., ..(int)(w - 2)] + rows[.., .., .., 1..(int)(w - 1)].mul(2) + rows[.., .., .., 2..]).div_(16);
        }
        Report("grouped conv2d (today)", Time(x, Grouped, repeats));
        Report("separable, from slices", Time(x, Separable, repeats));
        Console.WriteLine($"  separable against grouped: relative difference {Difference(Separable(x), Grouped(x)):E1}");
    }

    static void Stem(int size, int repeats, Generator generator)
    {
        Console.WriteLine("\n## Stem: 7×7/2 convolution, 3 → 64 channels (ONNX pads top/left 3, bottom/right 2)");
        using var scope = NewDisposeScope();
        int half = size / 2;
        var x = randn([1, 3, size, size], generator: generator).mul_(60);
        var w = randn([64, 3, 7, 7], generator: generator).mul_(0.05);
        var b = randn([64], generator: generator);
        double gflop = 2.0 * 64 * half * half * 3 * 49 / 1e9;
        Tensor Explicit(Tensor t) => F.conv2d(F.pad(t, [3, 2, 3, 2]), w, b, strides: [2, 2]);
        Tensor Symmetric(Tensor t) => F.conv2d(t, w, b, strides: [2, 2], padding: [3, 3]);
        // Space to depth: x[2j+r] is channel r of a half-size image; a zero in front turns the 7 taps into 8 = 2·4, so the
        // stride-2 7×7 convolution is a stride-1 4×4 one on 12 channels, padded 2 before and 1 after.
        var w8 = F.pad(w, [1, 0, 1, 0]);                                                        // [64,3,8,8]
        var w12 = w8.view(64, 3, 4, 2, 4, 2).permute(0, 1, 3, 5, 2, 4).reshape(64, 12, 4, 4);   // channel c·4 + ry·2 + rx
        Tensor SpaceToDepth(Tensor t) => F.conv2d(F.pad(F.pixel_unshuffle(t, 2), [2, 1, 2, 1]), w12, b);
        Report("explicit pad + conv2d (today)", Time(x, Explicit, repeats), gflop);
        Report("symmetric padding 3 (same windows)", Time(x, Symmetric, repeats), gflop);
        Report("space-to-depth: 4×4 conv on 12 channels", Time(x, SpaceToDepth, repeats), gflop);
        var xl = ImageTensors.ToChannelsLast(x);
        var wl = ImageTensors.ToChannelsLast(w);
        Report("symmetric padding, NHWC", Time(xl, t => F.conv2d(t, wl, b, strides: [2, 2], padding: [3, 3]), repeats), gflop);
        var w12l = ImageTensors.ToChannelsLast(w12);
        Report("space-to-depth, NHWC", Time(xl, t => F.conv2d(F.pad(ImageTensors.ToChannelsLast(F.pixel_unshuffle(t, 2)), [2, 1, 2, 1]), w12l, b), repeats), gflop);
        // bfloat16 (the image rounded to it, as the network's first layer would see it), NHWC as the bf16 network runs.
        var w12b = ImageTensors.ToChannelsLast(w12.to(ScalarType.BFloat16));
        var bb = b.to(ScalarType.BFloat16);
        Tensor SpaceToDepthBf16(Tensor t) => F.conv2d(F.pad(F.pixel_unshuffle(t.to(ScalarType.BFloat16), 2), [2, 1, 2, 1]), w12b, bb);
        Report("space-to-depth in bfloat16, NHWC out", Time(x, SpaceToDepthBf16, repeats), gflop);
        Console.WriteLine($"  symmetric against explicit: {Difference(Symmetric(x), Explicit(x)):E1}; space-to-depth against explicit: {Difference(SpaceToDepth(x), Explicit(x)):E1}; " +
                          $"space-to-depth bfloat16 against explicit: {Difference(SpaceToDepthBf16(x), Explicit(x)):E1}");

        // The input gradient against float64 (ATen's own convolution, not oneDNN), three times each: oneDNN 3.7.1's float32
        // backward_data for few input channels was seen to be wrong, and not always the same.
        using var dy = randn([1, 64, half, half], generator: generator);
        Tensor Gradient(Tensor input, Func<Tensor, Tensor> f)
        {
            using var leaf = input.detach().requires_grad_(true);
            using var y = f(leaf);
            return autograd.grad([y], [leaf], [dy.to(input.dtype)])[0];
        }
        using var exact = Gradient(x.to(ScalarType.Float64), t => F.conv2d(F.pad(t, [3, 2, 3, 2]), w.to(ScalarType.Float64), b.to(ScalarType.Float64), strides: [2, 2]));
        foreach (var (name, f) in new (string, Func<Tensor, Tensor>)[] { ("explicit pad + conv2d", Explicit), ("symmetric padding", Symmetric), ("space-to-depth", SpaceToDepth) })
            Console.WriteLine($"  input gradient of {name} against float64: {string.Join(", ", Enumerable.Range(0, 3).Select(_ => { using var g = Gradient(x, f); return Difference(g, exact).ToString("E1"); }))}");
        using (var g = Gradient(x, SpaceToDepthBf16))
        using (var g32 = g.to(ScalarType.Float64))
        using (var cosine = nn.functional.cosine_similarity(g32.flatten(), exact.flatten(), 0))
            Console.WriteLine($"  input gradient of space-to-depth in bfloat16 against float64: {Difference(g32, exact):E1}, cosine {cosine.item<double>():F5}");
    }

    static void Pool(int size, int repeats, Generator generator)
    {
        Console.WriteLine("\n## 3×3/2 max pool after the stem (ONNX pads top/left 1, bottom/right 0)");
        using var scope = NewDisposeScope();
        int side = size / 2;
        var x = randn([1, 64, side, side], generator: generator).relu();
        Tensor Explicit(Tensor t) => F.max_pool2d(F.pad(t, [1, 0, 1, 0], PaddingModes.Constant, double.NegativeInfinity), [3, 3], [2, 2]);
        Tensor Symmetric(Tensor t) => F.max_pool2d(t, [3, 3], [2, 2], [1, 1]);
        Report("explicit -inf pad + max_pool2d (today)", Time(x, Explicit, repeats));
        Report("symmetric padding 1 (same windows)", Time(x, Symmetric, repeats));
        Report("NHWC, symmetric padding", Time(ImageTensors.ToChannelsLast(x), Symmetric, repeats));
        Report("NHWC copy in, pool, NCHW copy out", Time(x, t => Symmetric(ImageTensors.ToChannelsLast(t)).contiguous(), repeats));
        Console.WriteLine($"  symmetric against explicit: {Difference(Symmetric(x), Explicit(x)):E1}");
    }

    static readonly (int In, int Out, int Divisor, int Stride)[] Shapes =
        [(64, 64, 4, 1), (64, 128, 4, 2), (128, 128, 8, 1), (128, 256, 8, 2), (256, 256, 16, 1)];

    static void Convolutions(int size, int repeats, Generator generator)
    {
        Console.WriteLine("\n## 3×3 convolutions of stages 1–3 (input side = size / divisor)");
        foreach (var (c, cout, divisor, stride) in Shapes)
        {
            using var scope = NewDisposeScope();
            int side = size / divisor;
            var x = randn([1, c, side, side], generator: generator).relu();
            var w = randn([cout, c, 3, 3], generator: generator).mul_(Math.Sqrt(2.0 / (9 * c)));
            var b = randn([cout], generator: generator).mul_(0.01);
            double gflop = 2.0 * (side / stride) * (side / stride) * c * cout * 9 / 1e9;
            string shape = $"{c}->{cout} @{side}² /{stride}";
            long[] s = [stride, stride];
            Report($"{shape} NCHW", Time(x, t => F.conv2d(t, w, b, strides: s, padding: [1, 1]), repeats), gflop);
            if (stride == 2)
                Report($"{shape} NCHW, explicit pad (today)", Time(x, t => F.conv2d(F.pad(t, [1, 0, 1, 0]), w, b, strides: s), repeats), gflop);
            var xl = ImageTensors.ToChannelsLast(x);
            var wl = ImageTensors.ToChannelsLast(w);
            Report($"{shape} NHWC", Time(xl, t => F.conv2d(t, wl, b, strides: s, padding: [1, 1]), repeats), gflop);
            var xb = x.to(ScalarType.BFloat16);
            var (wb, bb) = (w.to(ScalarType.BFloat16), b.to(ScalarType.BFloat16));
            Report($"{shape} bfloat16 NCHW", Time(xb, t => F.conv2d(t, wb, bb, strides: s, padding: [1, 1]), repeats), gflop);
            var xbl = ImageTensors.ToChannelsLast(xb);
            var wbl = ImageTensors.ToChannelsLast(wb);
            Report($"{shape} bfloat16 NHWC", Time(xbl, t => F.conv2d(t, wbl, bb, strides: s, padding: [1, 1]), repeats), gflop);
            if (stride == 1)
            {
                using var winograd = new WinogradConvolution(w, b);
                Report($"{shape} Winograd F(4×4,3×3)", Time(x, winograd.Forward, repeats), gflop);
            }
        }
    }
}

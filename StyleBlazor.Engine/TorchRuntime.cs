using System.Runtime.InteropServices;
using TorchSharp;
using static TorchSharp.torch;

namespace StyleBlazor.Engine;

/// <summary>Picks the device torch runs on and sets the CPU thread count, once per process.</summary>
public static class TorchRuntime
{
    /// <summary>
    /// "auto" (CUDA when available, else CPU), "cpu", or "cuda"/"cuda:N". Asking for CUDA where it is absent is an error
    /// naming what was asked.
    /// </summary>
    public static Device SelectDevice(string preference = "auto")
    {
        var p = preference.Trim().ToLowerInvariant();
        if (p is "" or "auto") return cuda.is_available() ? CUDA : CPU;
        if (p == "cpu") return CPU;
        if (p.StartsWith("cuda"))
        {
            if (!cuda.is_available())
                throw new InvalidOperationException($"Device '{preference}' was requested but CUDA is not available in this build or on this machine.");
            return new Device(p);
        }
        throw new ArgumentException($"Unknown device '{preference}'; use auto, cpu or cuda[:N].", nameof(preference));
    }

    /// <summary>
    /// Lay the optimised image and the network inputs out channels-last (NHWC); convolutions then keep activations and
    /// gradients in that layout. Read when a run starts. Off on the CPU: measured slower there with libtorch 2.10's oneDNN
    /// (docs/performance.md). <see cref="Configure"/> turns it on for CUDA, where NHWC is what tensor-core convolutions
    /// want (not measured on a GPU yet).
    /// </summary>
    public static bool ChannelsLast { get; set; }

    /// <summary>
    /// Whether VGG19 backbones made from now on convolve blocks 3–5 (256 and 512 channels) by Winograd's algorithm
    /// (<see cref="Backbones.WinogradConvolution"/>). <see cref="Configure"/> turns it on for the CPU when MKL runs its
    /// Intel kernels, the only case where it was measured faster (docs/performance.md).
    /// </summary>
    public static bool WinogradConvolutions { get; set; }

    /// <summary>
    /// Whether ResNet18 backbones made from now on lay their activations out channels-last (NHWC) inside the network; the
    /// image and the taps' values are the same either way. Null: NHWC where it computes in bfloat16 on the CPU, where
    /// oneDNN's bfloat16 kernels run it about 1.5× faster than NCHW (docs/performance.md), NCHW otherwise.
    /// </summary>
    public static bool? ResNet18ChannelsLast { get; set; }

    /// <summary>
    /// Whether this CPU computes bfloat16 natively (AVX512_BF16 or AMX), where oneDNN's bfloat16 convolutions run about
    /// twice as fast as float32; without it oneDNN emulates bfloat16, more slowly than float32.
    /// </summary>
    public static bool NativeBFloat16 => s_nativeBFloat16.Value;

    static readonly Lazy<bool> s_nativeBFloat16 = new(() =>
    {
        if (!OperatingSystem.IsLinux() || !File.Exists("/proc/cpuinfo")) return false;
        var flags = File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("flags"))?.Split(' ') ?? [];
        return flags.Contains("avx512_bf16") || flags.Contains("amx_bf16");
    });

    /// <summary>
    /// Sets intra-op CPU threads (0 = all cores), optionally the inter-op pool (0 = leave libtorch's default; only
    /// settable before the first parallel work), and turns on the GPU settings that pay off for this workload.
    /// </summary>
    public static void Configure(Device device, int cpuThreads = 0, int interopThreads = 0)
    {
        torch.set_num_threads(cpuThreads > 0 ? cpuThreads : Environment.ProcessorCount);
        if (interopThreads > 0) torch.set_num_interop_threads(interopThreads);
        DisableNnpack();
        WinogradConvolutions = device.type == DeviceType.CPU && MatrixLibrary.CodePath is MklCodePath.Intel or MklCodePath.IntelByPreload;
        if (device.type == DeviceType.CUDA)
        {
            // TorchSharp 0.107 exposes no cudnn.benchmark switch; TF32 and NHWC are the speed-ups it does expose.
            backends.cuda.matmul.allow_tf32 = true;
            backends.cudnn.allow_tf32 = true;
            ChannelsLast = true;
        }
    }

    /// <summary>
    /// libtorch tries NNPACK before every convolution; on CPUs it does not support, the initialisation fails, is retried
    /// on the next call, and prints "Could not initialize NNPACK" each time (hundreds of lines per second). oneDNN does
    /// the work either way. TorchSharp has no binding for torch.backends.nnpack, so call libtorch's own switch.
    /// </summary>
    public static void DisableNnpack()
    {
        try
        {
            SetUserEnabledNnpack(GlobalContext(), false);
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            // A libtorch without these exports (another platform or version): the warnings stay, the maths is the same.
        }
    }

    [DllImport("torch_cpu", EntryPoint = "_ZN2at13globalContextEv")]
    static extern IntPtr GlobalContext();

    // at::Context::setUserEnabledNNPACK(bool): a member function, so `this` is the first argument (System V x64 ABI).
    [DllImport("torch_cpu", EntryPoint = "_ZN2at7Context20setUserEnabledNNPACKEb")]
    static extern void SetUserEnabledNnpack(IntPtr context, [MarshalAs(UnmanagedType.I1)] bool enabled);
}

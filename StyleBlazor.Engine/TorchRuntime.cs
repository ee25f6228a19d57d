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
    /// Sets intra-op CPU threads (0 = all cores), optionally the inter-op pool (0 = leave libtorch's default; only
    /// settable before the first parallel work), and turns on the GPU settings that pay off for this workload.
    /// </summary>
    public static void Configure(Device device, int cpuThreads = 0, int interopThreads = 0)
    {
        torch.set_num_threads(cpuThreads > 0 ? cpuThreads : Environment.ProcessorCount);
        if (interopThreads > 0) torch.set_num_interop_threads(interopThreads);
        if (device.type == DeviceType.CUDA)
        {
            // TorchSharp 0.107 exposes no cudnn.benchmark switch; TF32 and NHWC are the speed-ups it does expose.
            backends.cuda.matmul.allow_tf32 = true;
            backends.cudnn.allow_tf32 = true;
            ChannelsLast = true;
        }
    }
}

using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace StyleBlazor.Engine;

/// <summary>Which kernels Intel MKL, libtorch's BLAS for every CPU matrix product, runs on this machine.</summary>
public enum MklCodePath
{
    /// <summary>This libtorch has no MKL (another platform or build).</summary>
    None,
    /// <summary>An Intel CPU: MKL's kernels for its instruction sets.</summary>
    Intel,
    /// <summary>
    /// Another vendor's CPU, with the vendor check answered by build/native/mkl_intel_code_paths.c, preloaded or loaded by
    /// the engine before libtorch: the same kernels as Intel.
    /// </summary>
    IntelByPreload,
    /// <summary>Another vendor's CPU (AMD): MKL's generic AVX2 path, about half speed where the CPU has AVX-512.</summary>
    Generic,
}

/// <summary>
/// Reports whether MKL takes its fast code paths. MKL asks <c>mkl_serv_intel_cpu_true()</c> before choosing kernels;
/// on AMD it answers no, and the Gram matrices of (3)–(4) and their gradients, ~10 % of a VGG19 iteration, take twice
/// as long (docs/performance.md). <c>build/native/mkl_intel_code_paths.c</c> answers yes, preloaded as the Docker image
/// does or built with the engine (where gcc is installed) and loaded before libtorch; MKL still picks kernels by the
/// instruction sets the CPU reports.
/// </summary>
public static unsafe class MatrixLibrary
{
    /// <summary>The file built from build/native/mkl_intel_code_paths.c (by the Docker image, which preloads it, and by the build).</summary>
    public const string PreloadFileName = "libmkl_intel_code_paths.so";

    const string VendorCheck = "mkl_serv_intel_cpu_true";

    static readonly Lazy<MklCodePath> s_codePath = new(Detect);

    /// <summary>The path MKL takes in this process.</summary>
    public static MklCodePath CodePath => s_codePath.Value;

    /// <summary>A line for the start-up log.</summary>
    public static string Describe() => CodePath switch
    {
        MklCodePath.Intel => "MKL on an Intel CPU",
        MklCodePath.IntelByPreload when s_builtAnswerLoaded => $"MKL with its Intel kernels ({PreloadFileName}, built with the app, loaded before libtorch)",
        MklCodePath.IntelByPreload => $"MKL with its Intel kernels ({PreloadFileName} preloaded)",
        MklCodePath.Generic => $"MKL on its generic path for non-Intel CPUs: matrix products at about half speed on AVX-512 CPUs; " +
                               $"install gcc and build again, or preload {PreloadFileName} (build/native, docs/performance.md)",
        _ => "no MKL in this libtorch",
    };

    /// <summary>
    /// Where the build leaves its own copy of the answer (gcc, when the machine has it): beside the engine. Loaded into
    /// the process's global scope before libtorch, it is found by MKL's vendor check as a preloaded one would be, so
    /// <c>dotnet run</c> gets the Intel kernels without LD_PRELOAD.
    /// </summary>
    internal static string BuiltAnswer => Path.Combine(AppContext.BaseDirectory, PreloadFileName);

    /// <summary>Before anything in the engine runs, so before libtorch loads (TorchSharp loads it on first use).</summary>
    [ModuleInitializer]
    [System.Diagnostics.CodeAnalysis.SuppressMessage("Usage", "CA2255", Justification = "Must run before libtorch loads, whichever engine type is used first.")]
    internal static void LoadBuiltAnswer()
    {
        if (!OperatingSystem.IsLinux() || !File.Exists(BuiltAnswer)) return;
        if (NativeLibrary.TryGetExport(NativeLibrary.GetMainProgramHandle(), VendorCheck, out _)) return; // preloaded already
        // RTLD_NOW | RTLD_GLOBAL: NativeLibrary.Load opens libraries locally, where libtorch would not see the answer.
        // A C library without dlopen in libc.so.6 (musl) only leaves MKL its own answer: this runs before the app can log.
        try { s_builtAnswerLoaded = dlopen(BuiltAnswer, 0x002 | 0x100) != 0; }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException) { }
    }

    static bool s_builtAnswerLoaded;

    [DllImport("libc.so.6")]
    static extern nint dlopen([MarshalAs(UnmanagedType.LPUTF8Str)] string file, int mode);

    static MklCodePath Detect()
    {
        if (!OperatingSystem.IsLinux()) return MklCodePath.None;
        // MKL's call inside libtorch resolves to the first definition in the global scope: a preloaded one, else its own.
        if (NativeLibrary.TryGetExport(NativeLibrary.GetMainProgramHandle(), VendorCheck, out var preloaded) && Answer(preloaded))
            return MklCodePath.IntelByPreload;
        if (!NativeLibrary.TryLoad("torch_cpu", typeof(MatrixLibrary).Assembly, null, out var torchCpu)
            || !NativeLibrary.TryGetExport(torchCpu, VendorCheck, out var own))
            return MklCodePath.None;
        return Answer(own) ? MklCodePath.Intel : MklCodePath.Generic;
    }

    static bool Answer(nint vendorCheck) => ((delegate* unmanaged<int>)vendorCheck)() != 0;
}

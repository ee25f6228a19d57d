using System.Diagnostics;
using System.Runtime.InteropServices;
using StyleBlazor.Engine;

namespace StyleBlazor.Bench;

/// <summary>Linux process figures read from /proc: resident set (now and peak) and minor page faults.</summary>
static class ProcessStats
{
    /// <summary>VmHWM (peak resident set) in MiB: the same figure as getrusage's ru_maxrss that the peer prints.</summary>
    public static double PeakRssMiB() => StatusKiB("VmHWM:") / 1024.0;

    public static double RssMiB() => StatusKiB("VmRSS:") / 1024.0;

    static long StatusKiB(string key)
    {
        foreach (var line in File.ReadLines("/proc/self/status"))
            if (line.StartsWith(key))
                return long.Parse(line[key.Length..].Trim().Split(' ')[0]);
        return -1;
    }

    /// <summary>Minor page faults of this process so far (field 10 of /proc/self/stat): each is a freshly touched 4 KiB page.</summary>
    public static long MinorFaults()
    {
        var stat = File.ReadAllText("/proc/self/stat");
        var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        return long.Parse(fields[7]); // field 10 overall; fields[0] is field 3 (state)
    }

    public static string LoadAverage() =>
        File.Exists("/proc/loadavg") ? string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3)) : "?";

    [DllImport("libc", EntryPoint = "setenv")]
    static extern int SetEnv(string name, string value, int overwrite);

    [DllImport("libc", EntryPoint = "mallopt")]
    static extern int MallOpt(int param, int value);

    /// <summary>
    /// Allocator settings (--malloc): "default" leaves glibc as it is; "reuse" is the engine's
    /// NativeHeap.ReuseFreedMemory on whichever allocator is loaded (glibc: one arena, no mmap, no trim, as `dotnet run`
    /// ships; "heap1" is its old name; jemalloc when preloaded: no decay; a profile run under the Docker image's preloads
    /// without it paid page faults on every step, 445 ms a ResNet18 step at 512² against 90 ms);
    /// "jemalloc" is the same call but insists on preloaded jemalloc, as the Docker image ships: the parent starts the
    /// worker with LD_PRELOAD (<see cref="Preload"/>). Experiments: "heap" is reuse with
    /// glibc's arenas per thread; "threshold" raises the mmap threshold to glibc's maximum (32 MiB) and stops trimming,
    /// "threshold1" also keeps one arena; "mmap:N" only sets the mmap threshold to N MiB. "thp-&lt;mode&gt;" adds
    /// libtorch's transparent-huge-page allocation (THP_MEM_ALLOC_ENABLE, read at its first allocation) to any of these,
    /// e.g. "thp-mmap:2" or "thp-default". Returns whether any setting was made and glibc accepted every one.
    /// </summary>
    public static bool TuneMalloc(string mode)
    {
        const int M_TRIM_THRESHOLD = -1, M_MMAP_THRESHOLD = -3, M_MMAP_MAX = -4, M_ARENA_MAX = -8;
        if (mode.StartsWith("thp-"))
        {
            bool thp = SetEnv("THP_MEM_ALLOC_ENABLE", "1", 1) == 0;
            string rest = mode[4..];
            return thp & (rest == "default" || TuneMalloc(rest));
        }
        if (mode.StartsWith("mmap:") && int.TryParse(mode[5..], out int thresholdMiB))
            return MallOpt(M_MMAP_THRESHOLD, thresholdMiB << 20) == 1;
        bool NoTrim() => MallOpt(M_TRIM_THRESHOLD, int.MaxValue) == 1;
        return mode switch
        {
            "default" => false,
            "reuse" or "heap1" => NativeHeap.ReuseFreedMemory(),
            "jemalloc" => NativeHeap.Active == NativeAllocator.Jemalloc
                ? NativeHeap.ReuseFreedMemory()
                : throw new InvalidOperationException($"--malloc jemalloc needs {Jemalloc} preloaded (LD_PRELOAD); compare does that."),
            "heap" => MallOpt(M_MMAP_MAX, 0) == 1 & NoTrim(),
            "threshold" => MallOpt(M_MMAP_THRESHOLD, 32 << 20) == 1 & NoTrim(),
            "threshold1" => MallOpt(M_ARENA_MAX, 1) == 1 & MallOpt(M_MMAP_THRESHOLD, 32 << 20) == 1 & NoTrim(),
            _ => throw new ArgumentException(
                $"--malloc takes default, reuse, jemalloc, heap, threshold, threshold1 or mmap:N, each optionally after thp- (got '{mode}')."),
        };
    }

    /// <summary>Debian's libjemalloc2 (bench/setup.sh installs it; the Docker image preloads the same file).</summary>
    public const string Jemalloc = "/usr/lib/x86_64-linux-gnu/libjemalloc.so.2";

    /// <summary>The MKL vendor-check answer (build/native/mkl_intel_code_paths.c), built here by bench/setup.sh.</summary>
    public static string MklIntelCodePaths =>
        Path.Combine(Path.GetDirectoryName(Compare.FindPeerScript()) ?? "bench", "out", MatrixLibrary.PreloadFileName);

    /// <summary>
    /// Starts a child on jemalloc: it must be preloaded to serve every allocation from the first. The app's worker
    /// sets jemalloc's decay itself through NativeHeap, as the app does; the peer is given the same setting here.
    /// With <paramref name="mklIntelCodePaths"/> also the library the Docker image preloads for MKL (the app's BLAS;
    /// the peer's is OpenBLAS, which that library does not touch).
    /// </summary>
    public static ProcessStartInfo Preload(ProcessStartInfo start, bool keepFreedPages, bool mklIntelCodePaths = false)
    {
        if (!File.Exists(Jemalloc)) throw new FileNotFoundException($"{Jemalloc} is missing: run bench/setup.sh (Debian's libjemalloc2).");
        if (mklIntelCodePaths && !File.Exists(MklIntelCodePaths))
            throw new FileNotFoundException($"{MklIntelCodePaths} is missing: run bench/setup.sh (builds it with gcc).");
        start.Environment["LD_PRELOAD"] = mklIntelCodePaths ? $"{Jemalloc} {Path.GetFullPath(MklIntelCodePaths)}" : Jemalloc;
        if (keepFreedPages) start.Environment["MALLOC_CONF"] = "dirty_decay_ms:-1,muzzy_decay_ms:-1";
        return start;
    }
}

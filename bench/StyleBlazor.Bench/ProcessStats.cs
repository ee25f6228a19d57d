using System.Runtime.InteropServices;

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
    /// glibc malloc experiments (--malloc): "heap" serves every block from the heap (M_MMAP_MAX 0) and never trims it,
    /// so one iteration's large activation buffers are reused by the next instead of being mapped, zero-filled by the
    /// kernel page by page and unmapped again; "heap1" is the same with one arena (M_ARENA_MAX 1), so blocks freed by
    /// one thread can be reused by another; "threshold" only raises the mmap threshold to glibc's maximum (32 MiB) and
    /// stops trimming. Returns whether glibc accepted every setting.
    /// </summary>
    public static bool TuneMalloc(string mode)
    {
        const int M_TRIM_THRESHOLD = -1, M_MMAP_THRESHOLD = -3, M_MMAP_MAX = -4;
        if (mode.StartsWith("thp:") && int.TryParse(mode[4..], out int thresholdMiB))
            return SetEnv("THP_MEM_ALLOC_ENABLE", "1", 1) == 0 & MallOpt(M_MMAP_THRESHOLD, thresholdMiB << 20) == 1;
        return mode switch
        {
            "default" => false,
            "heap" => MallOpt(M_MMAP_MAX, 0) == 1 & MallOpt(M_TRIM_THRESHOLD, int.MaxValue) == 1,
            "heap1" or "reuse" => StyleBlazor.Engine.TorchRuntime.ReuseFreedMemory(), // the engine's switch

            "threshold" => MallOpt(M_MMAP_THRESHOLD, 32 << 20) == 1 & MallOpt(M_TRIM_THRESHOLD, int.MaxValue) == 1,
            "threshold1" => MallOpt(-8, 1) == 1 & MallOpt(M_MMAP_THRESHOLD, 32 << 20) == 1 & MallOpt(M_TRIM_THRESHOLD, int.MaxValue) == 1,
            "thp" => SetEnv("THP_MEM_ALLOC_ENABLE", "1", 1) == 0 & MallOpt(M_MMAP_THRESHOLD, 2 << 20) == 1,
            "thp-notrim" => SetEnv("THP_MEM_ALLOC_ENABLE", "1", 1) == 0 & MallOpt(M_MMAP_THRESHOLD, 2 << 20) == 1 & MallOpt(M_TRIM_THRESHOLD, int.MaxValue) == 1,
            "thp-only" => SetEnv("THP_MEM_ALLOC_ENABLE", "1", 1) == 0,
            "thp-threshold" => SetEnv("THP_MEM_ALLOC_ENABLE", "1", 1) == 0 & MallOpt(M_MMAP_THRESHOLD, 32 << 20) == 1 & MallOpt(M_TRIM_THRESHOLD, int.MaxValue) == 1,
            _ => throw new ArgumentException($"--malloc takes default, reuse (= heap1, the engine's TorchRuntime.ReuseFreedMemory), heap or threshold (got '{mode}')."),
        };
    }
}

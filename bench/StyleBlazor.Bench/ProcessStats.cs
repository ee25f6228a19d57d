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

    [DllImport("libc", EntryPoint = "mallopt")]
    static extern int MallOpt(int param, int value);

    /// <summary>
    /// glibc malloc: serve every block from the heap (M_MMAP_MAX = 0) and never trim it (M_TRIM_THRESHOLD), so the
    /// large activation buffers of one iteration are reused by the next instead of being mapped, zero-filled by the
    /// kernel page by page, and unmapped again. An experiment switch (--malloc heap); returns whether glibc accepted it.
    /// </summary>
    public static bool KeepFreedMemoryInHeap()
    {
        const int M_TRIM_THRESHOLD = -1, M_MMAP_MAX = -4;
        return MallOpt(M_MMAP_MAX, 0) == 1 & MallOpt(M_TRIM_THRESHOLD, int.MaxValue) == 1;
    }
}

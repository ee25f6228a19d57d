using System.Runtime.InteropServices;

namespace StyleBlazor.Bench;

/// <summary>
/// CPU seconds (user + system): of an ended child (the kernel's account), of a live process's descendants by kind and
/// of one process's threads by name (from /proc). libgomp's
/// worker threads take the name of the thread that made them, so the app's torch thread and its OpenMP team all read
/// "torch-0"; .NET names its thread-pool threads ".NET TP Worker".
/// </summary>
static class ProcessCpu
{
    const double TicksPerSecond = 100; // sysconf(_SC_CLK_TCK) on Linux x86-64

    /// <summary>utime + stime of a /proc/…/stat line, and its parent pid.</summary>
    static (double Seconds, int Parent, string Name)? Stat(string path)
    {
        try
        {
            var stat = File.ReadAllText(path);
            int open = stat.IndexOf('('), close = stat.LastIndexOf(')');
            var fields = stat[(close + 2)..].Split(' ');
            // fields[0] is field 3 (state): ppid is field 4, utime 14, stime 15.
            return ((long.Parse(fields[11]) + long.Parse(fields[12])) / TicksPerSecond, int.Parse(fields[1]), stat[(open + 1)..close]);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException or IndexOutOfRangeException)
        {
            return null; // the process ended meanwhile
        }
    }

    /// <summary>
    /// CPU seconds of this process's children that have ended and been waited for (getrusage's RUSAGE_CHILDREN): the
    /// difference across one child's run is that child's whole tree, read from the kernel's own account once instead of
    /// by polling /proc, which took ~9 % of a core from the two the run shares.
    /// </summary>
    public static double EndedChildrenSeconds()
    {
        if (GetResourceUsage(RusageChildren, out var usage) != 0) throw new InvalidOperationException($"getrusage failed ({Marshal.GetLastPInvokeError()})");
        return usage.UserSeconds + usage.UserMicroseconds / 1e6 + usage.SystemSeconds + usage.SystemMicroseconds / 1e6;
    }

    const int RusageChildren = -1;

    /// <summary><c>struct rusage</c> on Linux x86-64: ru_utime and ru_stime (each a timeval), then 14 longs not read here.</summary>
    [StructLayout(LayoutKind.Sequential, Size = 144)]
    struct ResourceUsage
    {
        public long UserSeconds, UserMicroseconds, SystemSeconds, SystemMicroseconds;
    }

    [DllImport("libc", EntryPoint = "getrusage", SetLastError = true)]
    static extern int GetResourceUsage(int who, out ResourceUsage usage);

    /// <summary>
    /// CPU seconds of the processes descended from <paramref name="root"/> (not itself), except the trees of
    /// <paramref name="excluded"/>, summed by the kind of process: Chromium's <c>--type=</c> (renderer, gpu-process,
    /// utility…; "browser" for its main process), else the executable's name (Playwright's driver is "node").
    /// </summary>
    public static Dictionary<string, double> ChildrenSecondsByKind(int root, params int[] excluded)
    {
        var all = new Dictionary<int, (double Seconds, int Parent)>();
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
            if (int.TryParse(Path.GetFileName(dir), out int pid) && Stat(Path.Combine(dir, "stat")) is { } s)
                all[pid] = (s.Seconds, s.Parent);
        bool Descends(int pid)
        {
            for (int hops = 0; pid > 1 && hops < 64; hops++)
            {
                if (excluded.Contains(pid)) return false;
                if (pid == root) return true;
                if (!all.TryGetValue(pid, out var p)) return false;
                pid = p.Parent;
            }
            return false;
        }
        return all.Where(p => p.Key != root && Descends(p.Key)).GroupBy(p => Kind(p.Key)).ToDictionary(g => g.Key, g => g.Sum(p => p.Value.Seconds));
    }

    static string Kind(int pid)
    {
        try
        {
            // Chromium rewrites its command line as one space-separated title.
            var args = File.ReadAllText($"/proc/{pid}/cmdline").Split(['\0', ' ']);
            var type = args.FirstOrDefault(a => a.StartsWith("--type="));
            string exe = Path.GetFileName(args[0]);
            return type is not null ? type["--type=".Length..] : exe.Contains("chrom") ? "browser" : exe;
        }
        catch (IOException) { return "ended"; }
    }

    /// <summary>CPU seconds of the whole process <paramref name="pid"/>, its ended threads included (NaN once it has ended).</summary>
    public static double ProcessSeconds(int pid) => Stat($"/proc/{pid}/stat")?.Seconds ?? double.NaN;

    /// <summary>CPU seconds of each live thread of <paramref name="pid"/>, summed by thread name (a thread that has ended
    /// takes its seconds with it: <see cref="ProcessSeconds"/> for the whole).</summary>
    public static Dictionary<string, double> ThreadSeconds(int pid)
    {
        var byName = new Dictionary<string, double>();
        try
        {
            foreach (var dir in Directory.EnumerateDirectories($"/proc/{pid}/task"))
                if (Stat(Path.Combine(dir, "stat")) is { } s)
                    byName[s.Name] = byName.GetValueOrDefault(s.Name) + s.Seconds;
        }
        catch (DirectoryNotFoundException) { }
        return byName;
    }

    /// <summary><paramref name="after"/> − <paramref name="before"/>, name by name.</summary>
    public static Dictionary<string, double> Difference(Dictionary<string, double> before, Dictionary<string, double> after) =>
        after.ToDictionary(p => p.Key, p => p.Value - before.GetValueOrDefault(p.Key));
}

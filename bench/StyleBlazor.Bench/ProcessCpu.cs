namespace StyleBlazor.Bench;

/// <summary>
/// CPU seconds (user + system) from /proc: of a whole process tree, and of one process's threads by name. libgomp's
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

    /// <summary>CPU seconds of <paramref name="root"/> and every process descended from it, except the trees of <paramref name="excluded"/>.</summary>
    public static double TreeSeconds(int root, params int[] excluded) => SecondsByKind(root, includeRoot: true, excluded).Values.Sum();

    /// <summary>
    /// CPU seconds of the processes descended from <paramref name="root"/> (not itself), except the trees of
    /// <paramref name="excluded"/>, summed by the kind of process: Chromium's <c>--type=</c> (renderer, gpu-process,
    /// utility…; "browser" for its main process), else the executable's name (Playwright's driver is "node").
    /// </summary>
    public static Dictionary<string, double> ChildrenSecondsByKind(int root, params int[] excluded) =>
        SecondsByKind(root, includeRoot: false, excluded);

    static Dictionary<string, double> SecondsByKind(int root, bool includeRoot, int[] excluded)
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
        return all.Where(p => (includeRoot || p.Key != root) && Descends(p.Key)).GroupBy(p => Kind(p.Key)).ToDictionary(g => g.Key, g => g.Sum(p => p.Value.Seconds));
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

    /// <summary>CPU seconds of each thread of <paramref name="pid"/>, summed by thread name.</summary>
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

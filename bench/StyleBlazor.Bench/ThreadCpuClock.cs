using System.Runtime.InteropServices;

namespace StyleBlazor.Bench;

/// <summary>
/// CPU time of the calling thread (clock_gettime(CLOCK_THREAD_CPUTIME_ID)). With one intra-op thread libtorch runs every
/// op on the calling thread, so this is the work an op did, whatever else the machine runs: on a shared, loaded machine
/// it stays steady where wall-clock times swing by several times (docs/performance.md, "Time to a good picture").
/// </summary>
static class ThreadCpuClock
{
    [StructLayout(LayoutKind.Sequential)]
    struct TimeSpec
    {
        public long Seconds;
        public long Nanoseconds;
    }

    const int ClockThreadCpuTime = 3; // CLOCK_THREAD_CPUTIME_ID

    [DllImport("libc", EntryPoint = "clock_gettime")]
    static extern int ClockGetTime(int clock, out TimeSpec time);

    /// <summary>This thread's CPU time so far, in milliseconds.</summary>
    public static double Milliseconds()
    {
        ClockGetTime(ClockThreadCpuTime, out var t);
        return t.Seconds * 1e3 + t.Nanoseconds / 1e6;
    }
}

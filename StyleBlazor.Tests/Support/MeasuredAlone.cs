namespace StyleBlazor.Tests.Support;

/// <summary>
/// Tests that measure the whole process (resident memory, native heap): they run one at a time, after the parallel
/// ones, so other tests' allocations do not move what they read.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class MeasuredAlone
{
    public const string Name = "Measured alone";

    /// <summary>The process's resident memory (VmRSS) in MiB, what these tests measure.</summary>
    public static double ResidentMiB() =>
        double.Parse(File.ReadLines("/proc/self/status").First(l => l.StartsWith("VmRSS:")).Split(' ', StringSplitOptions.RemoveEmptyEntries)[1]) / 1024;
}

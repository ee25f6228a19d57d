using System.Globalization;
using System.Runtime.InteropServices;

namespace StyleBlazor.Engine;

/// <summary>How libtorch's OpenMP threads wait between parallel regions.</summary>
public enum OpenMpWait
{
    /// <summary>GNU libgomp's default: spin for a while (300 000 spins), then sleep. Fastest when the engine has the cores to itself.</summary>
    Spin,

    /// <summary>
    /// Sleep at once (<c>OMP_WAIT_POLICY=PASSIVE</c>). A step opens ~240 parallel regions (one per operator), and each
    /// then wakes a sleeping thread: 20–40 µs on a 2-core VM, so the engine alone runs 10–25 % slower than spinning. For a
    /// machine whose cores are busy with other work for long spells, where even a brief spin takes a core that work needs.
    /// </summary>
    Sleep,

    /// <summary>
    /// Spin <see cref="OpenMpWaits.BriefSpins"/> times (tens of microseconds), then sleep: the gaps between one step's
    /// parallel regions are caught spinning, anything longer is slept through, so a browser or the app's own threads
    /// get the core. The default: with Chromium watching the Studio on the same 2 cores the default recipe took 0.80–0.98
    /// of <see cref="Sleep"/>'s time in 22 of 26 interleaved pairs, where libgomp's full spin had taken 51 s against
    /// sleeping's 22 s (docs/performance.md, "OpenMP's waits").
    /// </summary>
    SpinBriefly,
}

/// <summary>
/// Sets <see cref="OpenMpWait"/> for this process. libgomp reads its environment once, when it is loaded with
/// libtorch, and .NET's <see cref="Environment.SetEnvironmentVariable(string, string)"/> does not reach the native
/// environment on Linux, so this calls libc's <c>setenv</c> and must run before the first torch call.
/// </summary>
public static class OpenMpWaits
{
    public const string Variable = "OMP_WAIT_POLICY";

    /// <summary>libgomp's spin count before a waiting thread sleeps; it wins over the policy's own (0 for PASSIVE).</summary>
    public const string SpinCountVariable = "GOMP_SPINCOUNT";

    /// <summary>
    /// <see cref="OpenMpWait.SpinBriefly"/>'s spins. The engine alone on 2 cores: 300 spins were as slow as sleeping,
    /// 1 000 caught part of the gaps, 3 000 nearly all (10 000 and libgomp's 300 000 no more), for the least CPU spent spinning.
    /// </summary>
    public const int BriefSpins = 3_000;

    /// <summary>
    /// What <see cref="Apply"/> did, for the start-up log. <paramref name="SleepsAtOnce"/>: the threads wait by sleeping,
    /// without a spin first (each parallel region then pays to wake them, which the ETA's prior allows for).
    /// </summary>
    public sealed record Outcome(bool TookEffect, string Description, bool SleepsAtOnce = false);

    /// <summary>
    /// Asks for <paramref name="wait"/>. An <c>OMP_WAIT_POLICY</c> set by the operator wins; once libgomp is loaded
    /// nothing can change it, which the outcome says.
    /// </summary>
    public static Outcome Apply(OpenMpWait wait)
    {
        if (!OperatingSystem.IsLinux()) return new(false, "OpenMP waits: left as the platform's libtorch sets them");
        // A spin count in the environment wins over the policy's, so it is the operator's to set.
        string? spins = GetEnvironment(SpinCountVariable) is { Length: > 0 } count ? count : null;
        if (GetEnvironment(Variable) is { Length: > 0 } given)
            return new(false, $"OpenMP threads wait as {Variable}={given} in the environment says",
                SleepsAtOnce: spins is null && given.Equals("PASSIVE", StringComparison.OrdinalIgnoreCase));
        if (wait == OpenMpWait.Spin) return new(true, "OpenMP threads spin before they sleep (libgomp's default)");
        if (LibgompLoaded())
            return new(false, $"OpenMP threads spin before they sleep: libgomp was loaded before {Variable} could be set");
        if (wait == OpenMpWait.SpinBriefly && spins is null)
        {
            spins = BriefSpins.ToString(CultureInfo.InvariantCulture);
            if (SetEnvironment(SpinCountVariable, spins, 1) != 0)
                return new(false, $"OpenMP threads spin before they sleep: setenv({SpinCountVariable}) failed");
        }
        if (SetEnvironment(Variable, "PASSIVE", 1) != 0)
            return new(false, $"OpenMP threads spin before they sleep: setenv({Variable}) failed");
        return spins is null
            ? new(true, $"OpenMP threads sleep while they wait ({Variable}=PASSIVE, set before libtorch loaded)", SleepsAtOnce: true)
            : new(true, $"OpenMP threads spin {spins} times, then sleep ({Variable}=PASSIVE and {SpinCountVariable}={spins}, set before libtorch loaded)");
    }

    /// <summary>Whether libgomp is mapped into this process (it reads its environment when it is).</summary>
    public static bool LibgompLoaded() =>
        File.Exists("/proc/self/maps") && File.ReadLines("/proc/self/maps").Any(l => l.Contains("/libgomp", StringComparison.Ordinal));

    /// <summary>The native environment's value (what libgomp will read), not .NET's copy.</summary>
    public static string? GetEnvironment(string name) => Marshal.PtrToStringUTF8(GetEnv(name));

    [DllImport("libc", EntryPoint = "setenv")]
    static extern int SetEnvironment([MarshalAs(UnmanagedType.LPUTF8Str)] string name, [MarshalAs(UnmanagedType.LPUTF8Str)] string value, int overwrite);

    [DllImport("libc", EntryPoint = "getenv")]
    static extern IntPtr GetEnv([MarshalAs(UnmanagedType.LPUTF8Str)] string name);
}

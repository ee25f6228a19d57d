using System.Globalization;
using System.Runtime.InteropServices;

namespace StyleBlazor.Engine;

/// <summary>How libtorch's OpenMP threads wait between parallel regions.</summary>
public enum OpenMpWait
{
    /// <summary>GNU libgomp's default: spin for a while (300 000 spins), then sleep. Fastest when the engine has the cores to itself.</summary>
    Spin,

    /// <summary>
    /// Sleep at once (<c>OMP_WAIT_POLICY=PASSIVE</c>). On a machine whose cores are shared, a spinning thread holds a core
    /// that the thread it waits for, or a browser, needs: with Chromium watching the Studio on the same 2 cores, the
    /// default run took 51 s and this one 22 s (docs/performance.md, "Time to a good picture").
    /// </summary>
    Sleep,

    /// <summary>
    /// Spin <see cref="OpenMpWaits.BriefSpins"/> times (tens of microseconds), then sleep: the gaps between one operator's
    /// parallel regions are caught spinning, a longer one is slept through. When the engine shares the cores only with
    /// the app's own threads (its watchers' browsers elsewhere), the default run through the web app took 15 % less
    /// than sleeping (cat 25.3/23.2/26.1 → 20.6/19.0/21.3 s on 2 cores); with Chromium on the same cores ~5 % more, so
    /// <see cref="Sleep"/> stays the default (docs/performance.md, "Time to a good picture").
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

    /// <summary><see cref="OpenMpWait.SpinBriefly"/>'s spins: libgomp reckons ~100 000 a millisecond. 3 000 paid no more than sleeping.</summary>
    public const int BriefSpins = 10_000;

    /// <summary>What <see cref="Apply"/> did, for the start-up log.</summary>
    public sealed record Outcome(bool TookEffect, string Description);

    /// <summary>
    /// Asks for <paramref name="wait"/>. An <c>OMP_WAIT_POLICY</c> set by the operator wins; once libgomp is loaded
    /// nothing can change it, which the outcome says.
    /// </summary>
    public static Outcome Apply(OpenMpWait wait)
    {
        if (!OperatingSystem.IsLinux()) return new(false, "OpenMP waits: left as the platform's libtorch sets them");
        if (GetEnvironment(Variable) is { Length: > 0 } given)
            return new(false, $"OpenMP threads wait as {Variable}={given} in the environment says");
        if (wait == OpenMpWait.Spin) return new(true, "OpenMP threads spin before they sleep (libgomp's default)");
        if (LibgompLoaded())
            return new(false, $"OpenMP threads spin before they sleep: libgomp was loaded before {Variable} could be set");
        // A spin count in the environment wins over the policy's, so it is the operator's to set.
        string? spins = GetEnvironment(SpinCountVariable) is { Length: > 0 } count ? count : null;
        if (wait == OpenMpWait.SpinBriefly && spins is null)
        {
            spins = BriefSpins.ToString(CultureInfo.InvariantCulture);
            if (SetEnvironment(SpinCountVariable, spins, 1) != 0)
                return new(false, $"OpenMP threads spin before they sleep: setenv({SpinCountVariable}) failed");
        }
        if (SetEnvironment(Variable, "PASSIVE", 1) != 0)
            return new(false, $"OpenMP threads spin before they sleep: setenv({Variable}) failed");
        return new(true, spins is null
            ? $"OpenMP threads sleep while they wait ({Variable}=PASSIVE, set before libtorch loaded)"
            : $"OpenMP threads spin {spins} times, then sleep ({Variable}=PASSIVE and {SpinCountVariable}={spins}, set before libtorch loaded)");
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

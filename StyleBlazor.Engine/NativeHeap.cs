using System.Runtime.InteropServices;

namespace StyleBlazor.Engine;

/// <summary>The C allocator that serves libtorch's CPU tensors.</summary>
public enum NativeAllocator
{
    /// <summary>glibc's malloc, as every process on Linux starts.</summary>
    Glibc,
    /// <summary>jemalloc, preloaded (<c>LD_PRELOAD=libjemalloc.so.2</c>, as the Docker image does).</summary>
    Jemalloc,
    /// <summary>Anything else (another OS, musl): left as it is.</summary>
    Other,
}

/// <summary>
/// How freed tensor memory is kept for the next iteration and handed back when the engine is idle.
/// On the project's VMs a page fault costs ~7 µs, and glibc's default (a fresh mmap for every block over 32 MiB,
/// trimmed again when freed) re-faults each iteration's activations: 450k faults per VGG19 iteration at 512², more
/// time than the convolutions (docs/performance.md). Process-wide; set once, early, before libtorch allocates.
/// </summary>
public static unsafe class NativeHeap
{
    static readonly Lazy<NativeAllocator> s_active = new(Detect);

    /// <summary>The allocator this process runs on.</summary>
    public static NativeAllocator Active => s_active.Value;

    /// <summary>
    /// Keep freed memory for reuse instead of returning it to the kernel, so after the first iteration no page is
    /// faulted again. jemalloc: never decay dirty pages (set for every arena and for arenas made later, among them its
    /// arena for blocks over 8 MiB, which otherwise purges at once); peak RSS steady from run to run (VGG19 512²:
    /// 790–792 MiB). glibc: one heap arena, no mmap, no trim; its fragmentation makes the peak vary (974–1336 MiB).
    /// Returns whether the allocator took the settings.
    /// </summary>
    public static bool ReuseFreedMemory() => Active switch
    {
        NativeAllocator.Jemalloc => SetJemallocDecay(-1),
        NativeAllocator.Glibc => MallOpt(M_ARENA_MAX, 1) == 1 & MallOpt(M_MMAP_MAX, 0) == 1 & MallOpt(M_TRIM_THRESHOLD, int.MaxValue) == 1,
        _ => false,
    };

    /// <summary>
    /// Hand freed memory back to the kernel (jemalloc: purge every arena; glibc: trim the heap, holes included).
    /// For when the engine is idle: the next run faults its pages in again once. Returns whether it could ask.
    /// </summary>
    public static bool ReleaseFreedMemory()
    {
        switch (Active)
        {
            case NativeAllocator.Jemalloc:
                return JemallocControl($"arena.{MallctlArenasAll}.purge", null, null, null, 0) == 0;
            case NativeAllocator.Glibc:
                MallocTrim(0);
                return true;
            default:
                return false;
        }
    }

    /// <summary>A line for the start-up log.</summary>
    public static string Describe() => Active switch
    {
        NativeAllocator.Jemalloc => "jemalloc (preloaded)",
        NativeAllocator.Glibc => "glibc malloc (preload libjemalloc.so.2 for a lower, steadier peak: docs/performance.md)",
        _ => "the platform's allocator",
    };

    /// <summary>The current dirty-page decay of jemalloc's arena 0 in ms (-1: never), or null without jemalloc.</summary>
    public static long? JemallocDirtyDecayMs()
    {
        if (Active != NativeAllocator.Jemalloc) return null;
        long value = 0;
        nuint length = sizeof(long);
        return JemallocControl("arena.0.dirty_decay_ms", &value, &length, null, 0) == 0 ? value : null;
    }

    // ---- jemalloc: mallctl(name, oldp, oldlenp, newp, newlen), found in the process's global scope when preloaded.

    const int MallctlArenasAll = 4096; // MALLCTL_ARENAS_ALL

    static delegate* unmanaged<byte*, void*, nuint*, void*, nuint, int> s_mallctl;

    static NativeAllocator Detect()
    {
        if (!OperatingSystem.IsLinux()) return NativeAllocator.Other;
        if (NativeLibrary.TryGetExport(NativeLibrary.GetMainProgramHandle(), "mallctl", out var mallctl))
        {
            s_mallctl = (delegate* unmanaged<byte*, void*, nuint*, void*, nuint, int>)mallctl;
            return NativeAllocator.Jemalloc;
        }
        return NativeLibrary.TryGetExport(NativeLibrary.GetMainProgramHandle(), "mallopt", out _) ? NativeAllocator.Glibc : NativeAllocator.Other;
    }

    static int JemallocControl(string name, void* oldValue, nuint* oldLength, void* newValue, nuint newLength)
    {
        var utf8 = System.Text.Encoding.UTF8.GetBytes(name + '\0');
        fixed (byte* n = utf8) return s_mallctl(n, oldValue, oldLength, newValue, newLength);
    }

    static bool SetJemallocDecay(long milliseconds)
    {
        // Defaults for arenas created later first, then every arena that exists (an index never initialised refuses).
        bool ok = JemallocControl("arenas.dirty_decay_ms", null, null, &milliseconds, sizeof(long)) == 0
                & JemallocControl("arenas.muzzy_decay_ms", null, null, &milliseconds, sizeof(long)) == 0;
        uint arenas = 0;
        nuint length = sizeof(uint);
        if (JemallocControl("arenas.narenas", &arenas, &length, null, 0) != 0) return false;
        for (uint i = 0; i < arenas; i++)
        {
            JemallocControl($"arena.{i}.dirty_decay_ms", null, null, &milliseconds, sizeof(long));
            JemallocControl($"arena.{i}.muzzy_decay_ms", null, null, &milliseconds, sizeof(long));
        }
        return ok && JemallocDirtyDecayMs() == milliseconds;
    }

    // ---- glibc

    const int M_TRIM_THRESHOLD = -1, M_MMAP_MAX = -4, M_ARENA_MAX = -8;

    [DllImport("libc", EntryPoint = "mallopt")]
    static extern int MallOpt(int param, int value);

    [DllImport("libc", EntryPoint = "malloc_trim")]
    static extern int MallocTrim(nuint pad);
}

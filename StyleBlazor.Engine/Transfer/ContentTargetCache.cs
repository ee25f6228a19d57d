using System.Security.Cryptography;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;
using StyleBlazor.Engine.Backbones;
using static TorchSharp.torch;

namespace StyleBlazor.Engine.Transfer;

/// <summary>
/// What a content target depends on: the network, the content picture (its pixels' SHA-256), the working size it is
/// seen at, whether the network sees only its luminance, the tap, the pooling and the memory layout. Nothing of the
/// style: a second style on the same photo meets the same targets.
/// </summary>
public readonly record struct ContentTargetKey(
    IBackbone Backbone, string Content, int Width, int Height, bool LuminanceOnly, string Layer, PoolingMode Pooling, bool ChannelsLast)
{
    /// <summary>The SHA-256 of a picture's size and pixels, as the key's <see cref="Content"/>.</summary>
    public static string Fingerprint(Image<Rgb24> picture)
    {
        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        sha.AppendData(BitConverter.GetBytes(picture.Width));
        sha.AppendData(BitConverter.GetBytes(picture.Height));
        picture.ProcessPixelRows(rows =>
        {
            for (int y = 0; y < rows.Height; y++)
                sha.AppendData(System.Runtime.InteropServices.MemoryMarshal.AsBytes(rows.GetRowSpan(y)));
        });
        return Convert.ToHexString(sha.GetHashAndReset());
    }
}

/// <summary>
/// The content targets of one content picture at one working size: for each jitter shift, the features of the shifted
/// content at the content tap (2). They depend on neither the style nor the step, so a run makes each the first time its
/// shift comes up, and keeps it. Shared by the runs that hold it; a target, once added, is never replaced.
/// </summary>
public sealed class ContentTargets : IDisposable
{
    readonly Lock _gate = new();
    readonly Dictionary<(int Dy, int Dx), Tensor> _targets = [];
    readonly Action? _made;
    long _bytes;
    bool _disposed;

    /// <summary>A set of one run's own, gone with it.</summary>
    public ContentTargets() { }

    internal ContentTargets(Action made) => _made = made;

    /// <summary>The shifts whose targets are here.</summary>
    public IReadOnlySet<(int Dy, int Dx)> Shifts { get { lock (_gate) return _targets.Keys.ToHashSet(); } }

    public long Bytes { get { lock (_gate) return _bytes; } }

    public bool TryGet((int Dy, int Dx) shift, out Tensor target)
    {
        lock (_gate) return _targets.TryGetValue(shift, out target!);
    }

    /// <summary>
    /// Keeps <paramref name="target"/> (detached, outside any dispose scope) for <paramref name="shift"/>, or, when another
    /// run sharing this set added one first, disposes it and returns that one: both are the same values.
    /// </summary>
    public Tensor Add((int Dy, int Dx) shift, Tensor target)
    {
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (_targets.TryGetValue(shift, out var first))
            {
                target.Dispose();
                return first;
            }
            _targets[shift] = target;
            _bytes += target.NumberOfElements * target.ElementSize;
        }
        _made?.Invoke();
        return target;
    }

    public void Dispose()
    {
        lock (_gate)
        {
            if (_disposed) return;
            _disposed = true;
            foreach (var t in _targets.Values) t.Dispose();
            _targets.Clear();
        }
    }
}

/// <summary>
/// Content targets kept from run to run, at most <see cref="CapacityBytes"/> of them once no run holds them, the least
/// recently used dropped first. A jittered run makes ~55 a stage, each a forward pass of the shifted content: on two CPU
/// cores 1.4–2.3 s of the default recipe's ~12 s of engine (docs/performance.md, levers, "the content targets kept from
/// job to job"). A second style on the same photo, or a class on the same sample photo, makes none of them again. A run holds its sets through a
/// <see cref="Lease"/>, so nothing it uses is dropped under it, whatever the capacity.
/// </summary>
public sealed class ContentTargetCache(long capacityBytes) : IDisposable
{
    readonly Lock _gate = new();
    readonly Dictionary<ContentTargetKey, Entry> _entries = [];
    long _reused, _made, _clock;
    bool _disposed;

    internal sealed class Entry(ContentTargetKey key, ContentTargets targets)
    {
        public readonly ContentTargetKey Key = key;
        public readonly ContentTargets Targets = targets;
        public int Holders;
        public long LastUsed;
    }

    public long CapacityBytes { get; } = capacityBytes >= 0 ? capacityBytes
        : throw new ArgumentOutOfRangeException(nameof(capacityBytes), capacityBytes, "The capacity cannot be negative.");

    /// <summary>Bytes of targets kept, those of running jobs included.</summary>
    public long Bytes { get { lock (_gate) return KeptBytes(); } }

    long KeptBytes() => _entries.Values.Sum(e => e.Targets.Bytes);

    /// <summary>Sets kept (one per content picture and working size).</summary>
    public int Sets { get { lock (_gate) return _entries.Count; } }

    /// <summary>Targets runs took from here instead of making them, and targets made, since the start.</summary>
    public (long Reused, long Made) Counts { get { lock (_gate) return (_reused, _made); } }

    /// <summary>
    /// The sets for <paramref name="keys"/> (a run's stages), each made empty if none is kept; hold them until the run ends.
    /// </summary>
    public Lease Hold(params IReadOnlyList<ContentTargetKey> keys)
    {
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            var held = keys.Select(key =>
            {
                if (!_entries.TryGetValue(key, out var entry))
                    _entries[key] = entry = new Entry(key, new ContentTargets(Made));
                entry.Holders++;
                entry.LastUsed = ++_clock;
                return entry;
            }).ToArray();
            return new Lease(this, held);
        }
    }

    void Made()
    {
        lock (_gate) _made++;
    }

    void Reused(int targets)
    {
        lock (_gate) _reused += targets;
    }

    void Release(Entry[] held)
    {
        lock (_gate)
        {
            foreach (var entry in held)
            {
                entry.Holders--;
                entry.LastUsed = ++_clock;
                if (_disposed && entry.Holders == 0) entry.Targets.Dispose();
            }
            if (_disposed) return;
            // Over capacity: drop sets nobody holds, the least recently used first (the one just released included).
            long bytes = KeptBytes();
            foreach (var idle in _entries.Values.Where(e => e.Holders == 0).OrderBy(e => e.LastUsed).ToArray())
            {
                if (bytes <= CapacityBytes) break;
                _entries.Remove(idle.Key);
                bytes -= idle.Targets.Bytes;
                idle.Targets.Dispose();
            }
        }
    }

    public void Dispose()
    {
        lock (_gate)
        {
            if (_disposed) return;
            _disposed = true;
            // Sets still held are disposed by their last holder.
            foreach (var entry in _entries.Values.Where(e => e.Holders == 0)) entry.Targets.Dispose();
            _entries.Clear();
        }
    }

    /// <summary>A run's hold on its sets, one per key it asked for, in that order.</summary>
    public sealed class Lease : IDisposable
    {
        readonly ContentTargetCache _cache;
        readonly Entry[] _held;
        int _released;

        internal Lease(ContentTargetCache cache, Entry[] held) => (_cache, _held, Targets) = (cache, held, [.. held.Select(e => e.Targets)]);

        public IReadOnlyList<ContentTargets> Targets { get; }

        /// <summary>Counts the targets the run will take from the set instead of making them.</summary>
        public void CountReused(int targets) => _cache.Reused(targets);

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _released, 1) == 0) _cache.Release(_held);
        }
    }
}

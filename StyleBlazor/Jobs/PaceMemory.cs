using System.Text.Json;
using StyleBlazor.Engine;
using StyleBlazor.Engine.Backbones;
using StyleBlazor.Engine.Transfer;
using StyleBlazor.Results;
using static TorchSharp.torch;

namespace StyleBlazor.Jobs;

/// <summary>
/// Keeps what the ETA learned of a backbone's steps (<see cref="RemainingTimeEstimate.LearnedBy"/>: how their cost grows
/// with the size on this machine) in the data directory, so the first job after a restart starts from it instead of the
/// prior. On the 2-core CPU the app's first job, on the prior alone, was off by +85–111 % at the 10 % mark and 24–30 %
/// through its half-size stage, the jobs after it by 10–15 % at most (docs/performance.md, "The ETA").
/// The measure belongs to the machine, and nodes of a deployment share the data directory (docs/scale-out.md), so there
/// is one file per backbone, device and host: <c>{data}/engine/pace-{backbone}-{device}-{host}.json</c>.
/// </summary>
public sealed class PaceMemory(ResultFiles files, OpenMpWaits.Outcome waits, ILogger<PaceMemory> logger)
{
    readonly string _folder = Path.Combine(files.Root, "engine");
    // Jobs on two torch threads can end together: one write at a time (they share the staging file), and none that
    // would write again what this process last wrote or read there.
    readonly Lock _gate = new();
    readonly Dictionary<string, double[]> _written = [];

    /// <summary>
    /// The fixed part of a step (P₀, in pixels) that the app's first job ever starts from where libtorch's OpenMP threads
    /// spin before they sleep. The app's steps carry more fixed cost than the CLI's, whose
    /// <see cref="RemainingTimeEstimate.FixedPixels"/> is the engine's prior (their progress reports, the frame
    /// pipeline): with a brief spin the app learned 18 000–49 000 px on the 2-core VM (median 35 700, eight jobs), where
    /// the CLI measures 19 000–35 000. Four first jobs replayed from it: the mean error 6–9 %, against 12–15 % from
    /// <see cref="FixedPixelsWhenThreadsSleep"/> (2026-12-05, docs/performance.md, "The ETA").
    /// </summary>
    public const double FixedPixelsWhenThreadsSpin = 35_000;

    /// <summary>
    /// The same where they sleep at once: each of a step's ~240 parallel regions then wakes one, a cost that does not
    /// grow with the size. The app learned 41 000–68 000 px; on the five gallery pairs the first job's ETA was off by
    /// 15–32 % on average from 26 000, by 8–11 % from 60 000.
    /// </summary>
    public const double FixedPixelsWhenThreadsSleep = 60_000;

    /// <summary>The P₀ this app's first job on a machine starts from, by how its OpenMP threads wait.</summary>
    public double FirstJobFixedPixels { get; } = waits.SleepsAtOnce ? FixedPixelsWhenThreadsSleep : FixedPixelsWhenThreadsSpin;

    /// <summary>
    /// Starts <paramref name="loaded"/> from what its backbone learned in earlier processes on <paramref name="device"/>,
    /// or from <see cref="FirstJobFixedPixels"/> on a machine where it has not finished a job yet (which the log says).
    /// </summary>
    public void Recall(string backbone, Device device, IBackbone loaded)
    {
        RemainingTimeEstimate.Assume(loaded, FirstJobFixedPixels);
        if (PathOf(backbone, device) is not { } path || !File.Exists(path))
        {
            logger.LogInformation("ETA: {Backbone} on {Device} starts from the app's prior, a step's fixed part {FixedPixels} px (OpenMP threads {Wait})",
                backbone, device.type, FirstJobFixedPixels, waits.SleepsAtOnce ? "sleep at once" : "spin before they sleep");
            return;
        }
        try
        {
            var kept = JsonSerializer.Deserialize<double[]>(File.ReadAllText(path)) ?? [];
            RemainingTimeEstimate.Recall(loaded, kept);
            lock (_gate) _written[path] = kept;
            // Counted after Recall, which leaves out what could not be a P₀.
            logger.LogInformation("ETA: {Backbone} on {Device} starts from {Count} earlier run(s) of this machine", backbone, device.type,
                RemainingTimeEstimate.LearnedBy(loaded).Count);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or JsonException)
        {
            // Only the first job's ETA depends on it: start from the prior and say why.
            logger.LogWarning(e, "ETA: could not read {Path}; the first job's estimate starts from the prior", path);
        }
    }

    /// <summary>Keeps what <paramref name="loaded"/> has learned so far, for the next process.</summary>
    public void Keep(string backbone, Device device, IBackbone loaded)
    {
        var learned = RemainingTimeEstimate.LearnedBy(loaded);
        if (learned.Count == 0 || PathOf(backbone, device) is not { } path) return;
        lock (_gate)
        {
            if (_written.TryGetValue(path, out var written) && written.SequenceEqual(learned) && File.Exists(path)) return;
            try
            {
                Directory.CreateDirectory(_folder);
                // Written aside and moved, so a process stopped halfway leaves the last whole file.
                var staging = path + ".tmp";
                File.WriteAllText(staging, JsonSerializer.Serialize(learned));
                File.Move(staging, path, overwrite: true);
                _written[path] = [.. learned];
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                logger.LogWarning(e, "ETA: could not keep what {Backbone} learned in {Path}", backbone, path);
            }
        }
    }

    /// <summary>The file of a backbone from the catalog on this host; null where a name could not be part of a plain file name.</summary>
    string? PathOf(string backbone, Device device) =>
        Plain(backbone) && Plain(Environment.MachineName)
            ? Path.Combine(_folder, FileName(backbone, device.type.ToString(), Environment.MachineName))
            : null;

    public static string FileName(string backbone, string device, string host) =>
        $"pace-{backbone}-{device}-{host}.json".ToLowerInvariant();

    static bool Plain(string name) => name.Length is > 0 and <= 64 && name.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_');
}

using System.Globalization;
using System.Text.Json.Nodes;
using StyleBlazor.Engine.Backbones;
using StyleBlazor.Engine.Transfer;
using Size = SixLabors.ImageSharp.Size;

namespace StyleBlazor.Bench;

/// <summary>
/// <c>eta-replay</c> (issue 19): runs the engine's <see cref="RemainingTimeEstimate"/> again over the step times that real
/// runs recorded (<c>time-to-result</c> keeps each run's progress lines: <c>cli-*.jsonl</c>, <c>load-*.jsonl</c>), and
/// prints how far it was from the time really left. The same histories give the same answer on any machine, so two
/// versions of the estimate are compared on exactly the same runs, not on two draws of this VM's pace.
/// <code>eta-replay --histories a.jsonl,b.jsonl [--size 512x352] [--fixed-pixels 26000] [--one-app] [--seed 0] [--trace]</code>
/// <list type="bullet">
/// <item>the stages are those the CLI's lines name (each line's <c>stage</c> and <c>size</c>), else the default recipe's
/// at the load tool's <c>final_size</c> or <c>--size</c>;</item>
/// <item>each history starts from <c>--fixed-pixels</c> (the CLI's prior by default); with <c>--one-app</c> they are the
/// successive jobs of one app, each starting from what the ones before it learned, as the web app does;</item>
/// <item>the recorded estimate is printed beside the replayed one, so a replay of the build that made the history shows
/// that it is faithful; and the fixed part P₀ the run measured, which its next runs would start from.</item>
/// </list>
/// </summary>
static class EtaReplay
{
    public static int Run(Args a)
    {
        var files = a.Strs("histories", []);
        if (files.Length == 0) throw new ArgumentException("Give the runs' progress lines: --histories a.jsonl,b.jsonl.");
        double prior = double.Parse(a.Str("fixed-pixels", RemainingTimeEstimate.FixedPixels.ToString(CultureInfo.InvariantCulture)), CultureInfo.InvariantCulture);
        bool oneApp = a.Flag("one-app");
        var app = new object(); // the backbone whose learned P₀ successive jobs of one app share
        if (oneApp) RemainingTimeEstimate.Assume(app, prior);

        var maxErrors = new List<double>();
        var meanErrors = new List<double>();
        foreach (var file in files)
        {
            var lines = File.ReadLines(file).Where(l => l.StartsWith('{')).Select(l => JsonNode.Parse(l)!.AsObject()).ToArray();
            var options = BackboneRecipes.ResNet18 with { Seed = a.Int("seed", 0) };
            IReadOnlyList<TransferStage> stages;
            if (lines.All(l => l["stage"] is not null && !string.IsNullOrEmpty((string?)l["size"])))
            {
                // The CLI's lines say each iteration's stage and size: the schedule as it ran, whatever its options.
                var ran = lines.Take(lines.Length - 1).GroupBy(l => (int)l["stage"]!).OrderBy(g => g.Key).ToArray();
                int first = 0;
                stages = [.. ran.Select(g =>
                {
                    var (width, height) = ParseSize((string)g.First()["size"]!, file);
                    var stage = new TransferStage(g.Key, ran.Length, width, height, g.Count(), first);
                    first += g.Count();
                    return stage;
                })];
            }
            else
            {
                // The load tool's lines give the frames' size, the final one: the default recipe's stages at that size.
                var (width, height) = ParseSize((string?)lines.Select(l => (string?)l["final_size"]).LastOrDefault(s => !string.IsNullOrEmpty(s)) ?? a.Str("size", ""), file);
                stages = TransferSchedule.For(new Size(width, height), 32, options);
            }
            string sizeText = $"{stages[^1].Width}x{stages[^1].Height}";
            var jitter = JitterPlan.Draw(stages, options.JitterPixels, options.Seed);
            var estimate = oneApp ? RemainingTimeEstimate.For(app, stages, jitter) : new RemainingTimeEstimate(stages, prior, jitter);

            var reports = lines.Select(l => (Iteration: (int)l["iteration"]!, Elapsed: (double)l["elapsed"]!, Recorded: (double?)l["remaining"])).ToArray();
            var left = estimate.Replay([.. reports.Select(r => (r.Iteration, r.Elapsed))]);
            var replayed = reports.Zip(left, (r, l) => (r.Elapsed, Remaining: l?.TotalSeconds)).ToList();
            if (oneApp) estimate.Learn(app);

            double end = reports[^1].Elapsed;
            double max = TimeToResult.EtaError(replayed), mean = TimeToResult.EtaMeanError(replayed);
            double recordedMax = TimeToResult.EtaError([.. reports.Select(r => (r.Elapsed, r.Recorded))]);
            double drift = Worker.Median([.. reports.Zip(replayed).Where(p => p.First.Recorded is > 0 && p.Second.Remaining is > 0)
                .Select(p => Math.Abs(p.Second.Remaining!.Value / p.First.Recorded!.Value - 1)).DefaultIfEmpty(0)]);
            int worst = replayed.Select((r, k) => (r, k)).Where(x => x.r.Remaining is not null && x.r.Elapsed >= 0.1 * end && x.r.Elapsed <= 0.95 * end)
                .MaxBy(x => Math.Abs(x.r.Remaining!.Value - (end - x.r.Elapsed)) / (end - x.r.Elapsed)).k;
            maxErrors.Add(max);
            meanErrors.Add(mean);
            Console.WriteLine($"{Path.GetFileName(file)}: {stages.Count} stages to {sizeText}, {end:F2} s; replayed ETA error {max * 100:F0} % at most " +
                              $"(iteration {reports[worst].Iteration}, {reports[worst].Elapsed / end * 100:F0} % of the run), {mean * 100:F1} % on average; " +
                              $"as recorded {recordedMax * 100:F0} % at most; replayed/recorded estimate off by {drift * 100:F1} % (median); " +
                              $"P₀ measured {estimate.MeasuredFixedPixels():F0} px");
            if (a.Flag("trace"))
                for (int i = 0; i < reports.Length; i++)
                {
                    // The time since the last report: the last step, and this iteration's evaluation, which made a content target if its shift is new.
                    var stage = stages.Last(s => s.FirstIteration <= reports[i].Iteration);
                    int step = reports[i].Iteration - stage.FirstIteration;
                    bool target = step < stage.Steps && jitter.MakesContentTarget(stage.Index, step);
                    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                        $"  {reports[i].Iteration,4} {reports[i].Elapsed,7:F3} s  {(i == 0 ? 0 : reports[i].Elapsed - reports[i - 1].Elapsed) * 1000,5:F0} ms {(target ? "target" : "      ")}  " +
                        $"left {end - reports[i].Elapsed,6:F2}  replayed {replayed[i].Remaining,6:F2}  recorded {reports[i].Recorded,6:F2}"));
                }
        }
        Console.WriteLine($"{files.Length} runs: the largest error from the 10 % mark {Worker.Median(maxErrors) * 100:F0} % (median), {maxErrors.Max() * 100:F0} % (worst), " +
                          $"{maxErrors.Count(e => e > 0.2)} of {files.Length} past 20 %; the mean error {meanErrors.Average() * 100:F1} %");
        return 0;
    }

    static (int Width, int Height) ParseSize(string text, string file) =>
        text.Split('x') is [var w, var h] && int.TryParse(w, CultureInfo.InvariantCulture, out int width) && int.TryParse(h, CultureInfo.InvariantCulture, out int height)
            ? (width, height)
            : throw new ArgumentException($"{file}: no final size (give --size WxH).");
}

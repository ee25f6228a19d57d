using System.Diagnostics;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;
using StyleBlazor.Engine.Backbones;
using StyleBlazor.Engine.Optimisation;
using TorchSharp.Modules;
using static TorchSharp.torch;
using Size = SixLabors.ImageSharp.Size;

namespace StyleBlazor.Engine.Transfer;

/// <summary>
/// The article's optimisation: the pixels of the image are optimised by gradient descent on J = αJ_C + βJ_S (5).
/// All torch work of one run happens on the calling thread (dispose scopes and grad mode are thread-local), so call
/// <see cref="Run"/> from one dedicated thread.
/// </summary>
public static class StyleTransfer
{
    /// <summary>
    /// Runs the transfer synchronously on the calling thread. <paramref name="onProgress"/> is called once per iteration
    /// (0 = the initial image, <see cref="StyleTransferOptions.Iterations"/> = the last) on this thread and must return
    /// quickly. <paramref name="wantsFrame"/> says whether an improved iteration's image should be read back (null =
    /// always). Cancellation stops within one iteration and throws <see cref="OperationCanceledException"/>.
    /// <paramref name="contentTargets"/> keeps the content's targets for later runs on the same content, and gives this
    /// run those that earlier ones made.
    /// </summary>
    public static TransferResult Run(
        IBackbone backbone,
        Image<Rgb24> content,
        IReadOnlyList<Image<Rgb24>> styles,
        StyleTransferOptions options,
        Action<TransferProgress>? onProgress = null,
        Func<int, bool>? wantsFrame = null,
        CancellationToken cancellationToken = default,
        ContentTargetCache? contentTargets = null) =>
        Run(backbone, content, styles, options, onProgress, wantsFrame, DefaultProgressBatch(backbone.Device), cancellationToken, contentTargets);

    /// <summary>
    /// Makes, into <paramref name="cache"/>, the content targets that a run of <paramref name="options"/> on
    /// <paramref name="content"/> will meet, in the order it meets them, until <paramref name="stop"/> says so (it is asked
    /// before each, ~20 ms apart at 512 px on two CPU cores); returns how many it made. For the time before a run, while its
    /// user still picks a style: the run then starts with them made. On the calling thread, like <see cref="Run"/>.
    /// </summary>
    public static int PrepareContentTargets(IBackbone backbone, Image<Rgb24> content, StyleTransferOptions options, ContentTargetCache cache, Func<bool> stop)
    {
        var problem = options.Validate(backbone);
        if (problem is not null) throw new ArgumentException(problem, nameof(options));
        if (options.JitterPixels == 0) return 0; // one unshifted target a stage, which the run's objective makes anyway
        bool channelsLast = TorchRuntime.ChannelsLast;
        var (_, stages, jitter, lease) = Plan(backbone, content, options, channelsLast, cache);
        using var held = lease!;
        int made = 0;
        foreach (var stage in stages)
        {
            using var scope = NewDisposeScope();
            Tensor? input = null; // made only if a target is
            for (int step = 0; step < stage.Steps; step++)
            {
                if (!jitter.MakesContentTarget(stage.Index, step)) continue;
                if (stop()) return made;
                input ??= ContentInput(backbone, ImageTensors.ToTensor(content, new Size(stage.Width, stage.Height), backbone.Device),
                    options.PreserveColors, channelsLast);
                var (dy, dx) = jitter.Shift(stage.Index, step);
                held.Targets[stage.Index].Add((dy, dx), TransferObjective.MakeContentTarget(backbone, input, options, dy, dx));
                made++;
            }
        }
        return made;
    }

    /// <summary>
    /// How many iterations' loss values may wait on the device before one read brings them all back. On a GPU every
    /// read is a host synchronisation that drains its queue, so values are read when a frame is wanted (the frame
    /// pump's rate: a few times a second) or when this many wait; on the CPU there is nothing to overlap, so each
    /// iteration is reported at once.
    /// </summary>
    internal static int DefaultProgressBatch(Device device) => device.type == TorchSharp.DeviceType.CPU ? 1 : 32;

    internal static TransferResult Run(
        IBackbone backbone,
        Image<Rgb24> content,
        IReadOnlyList<Image<Rgb24>> styles,
        StyleTransferOptions options,
        Action<TransferProgress>? onProgress,
        Func<int, bool>? wantsFrame,
        int progressBatch,
        CancellationToken cancellationToken,
        ContentTargetCache? contentTargets = null)
    {
        if (styles.Count == 0) throw new ArgumentException("At least one style image is needed.", nameof(styles));
        var problem = options.Validate(backbone);
        if (problem is not null) throw new ArgumentException(problem, nameof(options));
        if (options.StyleBlend.Count > 0 && options.StyleBlend.Count != styles.Count)
            throw new ArgumentException($"{styles.Count} style images need {styles.Count} blend weights (got {options.StyleBlend.Count}).", nameof(options));

        var clock = Stopwatch.StartNew();
        bool channelsLast = TorchRuntime.ChannelsLast;
        var (finalSize, stages, jitter, lease) = Plan(backbone, content, options, channelsLast, contentTargets);
        // Held until the run ends: the targets each stage starts with, and where it keeps those it makes.
        using var heldTargets = lease;
        int targetsReused = heldTargets is null ? 0 : Enumerable.Range(0, stages.Count).Sum(jitter.ContentTargetsReused);
        heldTargets?.CountReused(targetsReused);
        var remaining = RemainingTimeEstimate.For(backbone, stages, jitter);
        var blend = BlendWeights(styles.Count, options.StyleBlend);
        var (clipMin, clipMax) = backbone.Preprocessing.ClipBounds(backbone.Device);
        // With jitter each J is measured at a random shift, and its spread (sd ≈ 0.013–0.02 of the relative J late in a
        // ResNet18 run) is as large as what 100 more steps gain, so "lowest J" picks a lucky shift, often tens of steps
        // before the end. A jittered run therefore keeps the last iterate (as the ResNet18 prototype does), or the average
        // of its last few (AveragedIterates), and reports its unshifted J; without jitter the article's "best image so
        // far" applies.
        bool keepLast = options.KeepsLastIterate();

        // A luminance-only run is shown with the content's chroma, from the content at the final size.
        var chromaSource = options.PreserveColors == ColorPreservation.Luminance ? ImageTensors.ToTensor(content, finalSize, backbone.Device) : null;

        Tensor? image = null;
        TransferResult? result = null;
        int iteration = 0;
        try
        {
            for (int s = 0; s < stages.Count; s++)
            {
                var stage = stages[s];
                var (size, steps) = (new Size(stage.Width, stage.Height), stage.Steps);
                bool lastStage = s == stages.Count - 1;
                remaining.StageStarted(s, clock.Elapsed);
                using var objective = CreateObjective(backbone, content, styles, blend, size, options, channelsLast, heldTargets?.Targets[s]);
                bool lbfgsStage = options.Optimizer == TransferOptimizer.Lbfgs;
                // libtorch's L-BFGS flattens the gradient with view(-1), which a channels-last image refuses.
                image = InitialImage(backbone, content, styles[0], image, size, options, clipMin, clipMax, channelsLast && !lbfgsStage, lbfgsStage);
                using var adam = lbfgsStage ? null : new Tf1Adam(image, options.LearningRate, options.Beta1, options.Beta2, options.Epsilon, options.EpsilonHat, options.Nesterov);
                using var lbfgs = lbfgsStage ? new ImageLbfgs((Parameter)image) : null;
                // Each stage tracks its own best: losses at different sizes are not comparable.
                using var best = new BestImageTracker(image);
                int bestIteration = iteration;
                float[] bestParts = [];

                // Loss records [J, parts…, improved] waiting on the device, each with its iteration and clock time, and
                // the picture of the newest (what a frame shows if it is wanted).
                using var pending = new PendingRecords();
                Tensor? newestPicture = null;

                void Report(Tensor total, Tensor parts, Tensor improvedFlag, Tensor picture)
                {
                    newestPicture = picture;
                    if (onProgress is null)
                    {
                        // Nobody looks at this iteration: keep the best iteration's values on the device as well and read
                        // them once at the end, so the loop never waits for the device.
                        using var record = cat([total.detach().reshape(1), parts.detach(), full(1, (float)iteration, dtype: ScalarType.Float32, device: total.device)]);
                        best.Remember(improvedFlag, record);
                        return;
                    }
                    var values = cat([total.detach().reshape(1), parts.detach(), improvedFlag.to(ScalarType.Float32).reshape(1)]);
                    var elapsed = clock.Elapsed;
                    var left = iteration == options.Iterations ? TimeSpan.Zero : remaining.Reported(s, iteration, elapsed);
                    pending.Add((iteration, values.DetachFromDisposeScope(), elapsed, left));
                    // A frame is read only for the iteration now on the device, so a wanted frame flushes the queue.
                    bool frameWanted = wantsFrame?.Invoke(iteration) ?? true;
                    if (frameWanted || pending.Count >= progressBatch) Flush(frameWanted);
                }

                // One read for every waiting record; callbacks in iteration order, a frame only for the newest.
                void Flush(bool frameWanted)
                {
                    if (pending.Count == 0) return;
                    float[] all;
                    using (var batch = stack(pending.Select(p => p.Record).ToArray())) all = batch.cpu().data<float>().ToArray();
                    int width = all.Length / pending.Count;
                    for (int i = 0; i < pending.Count; i++)
                    {
                        var (at, record, elapsed, left) = pending[i];
                        record.Dispose();
                        var values = all.AsSpan(i * width, width).ToArray();
                        bool improved = values[^1] > 0;
                        if (improved) (bestIteration, bestParts) = (at, values[..^1]);
                        RgbFrame? frame = improved && frameWanted && at == iteration ? ReadFrame(backbone, newestPicture!, finalSize, chromaSource) : null;
                        onProgress!(new TransferProgress(at, options.Iterations, ToLossValues(values, options), elapsed, improved, frame)
                        {
                            Stage = stage,
                            Remaining = left,
                        });
                    }
                    pending.Clear();
                }

                // A jittered run's result averages the last stage's final iterates (each clamped, so the average is in range).
                // An iterate four horizons back weighs under 2 %, so the average starts there.
                int averagedSteps = lastStage ? options.FinalAveragedSteps() : 0;
                using var average = averagedSteps > 0 ? new IterateAverage(averagedSteps) : null;
                int averageFrom = steps - 4 * averagedSteps;
                for (int step = 0; step < steps; step++, iteration++)
                {
                    if (cancellationToken.IsCancellationRequested) Flush(frameWanted: false); // the values so far are the job's
                    cancellationToken.ThrowIfCancellationRequested();
                    using var scope = NewDisposeScope();
                    var (dy, dx) = jitter.Shift(s, step);
                    if (adam is not null)
                    {
                        var (total, parts) = objective.Evaluate(image, dy, dx);
                        var gradient = autograd.grad([total], [image])[0];
                        Report(total, parts, best.Observe(total, image), image);
                        adam.Step(image, gradient);
                    }
                    else
                    {
                        // L-BFGS evaluates J once and then moves the image, so what it saw is reported after its step; an
                        // improved iteration's picture is then the best image.
                        (Tensor Total, Tensor Parts, Tensor Improved)? seen = null;
                        lbfgs!.Step(() =>
                        {
                            var (total, parts) = objective.Evaluate(image, dy, dx);
                            seen = (total, parts, best.Observe(total, image));
                            return total;
                        });
                        var (total, parts, improved) = seen!.Value; // Step evaluates exactly once
                        Report(total, parts, improved, best.BestImage);
                    }
                    using (no_grad()) image.clamp_(clipMin, clipMax); // fig. 27
                    if (step >= averageFrom) average?.Add(image);
                }

                Flush(frameWanted: false); // this stage's values, before its best is used
                if (lastStage)
                {
                    cancellationToken.ThrowIfCancellationRequested();
                    using var scope = NewDisposeScope();
                    using var noGrad = no_grad();
                    if (average?.Average is { } averaged) image.copy_(averaged);
                    var (total, parts) = objective.Evaluate(image);
                    var improved = best.Observe(total, image);
                    Report(total, parts, keepLast ? ones(1, ScalarType.Bool, device: total.device).squeeze() : improved, image);
                    Flush(frameWanted: false);
                    if (onProgress is null && best.RememberedRecord() is { } record && !float.IsNaN(record[0]))
                        (bestIteration, bestParts) = ((int)record[^1], record[..^1]);
                    result = new TransferResult(ReadFrame(backbone, keepLast ? image : best.BestImage, finalSize, chromaSource), bestIteration,
                        ToLossValues(bestParts, options), iteration, clock.Elapsed) { ContentTargetsReused = targetsReused };
                }
                else if (!keepLast)
                {
                    // Carry the best coarse image into the next stage (a jittered run carries its last iterate).
                    using var noGrad = no_grad();
                    image.copy_(best.BestImage);
                }
            }
        }
        finally
        {
            image?.Dispose();
            chromaSource?.Dispose();
            clipMin.Dispose();
            clipMax.Dispose();
        }
        remaining.Learn(backbone); // how the step cost grew with the size, for this backbone's next run's ETA
        return result!;
    }

    static double[] BlendWeights(int count, IReadOnlyList<double> blend)
    {
        if (blend.Count == 0) return Enumerable.Repeat(1.0 / count, count).ToArray();
        double sum = blend.Sum();
        if (sum <= 0) throw new ArgumentException("Style blend weights must not all be zero.");
        return blend.Select(w => w / sum).ToArray();
    }

    /// <summary>
    /// A run's working sizes and jitter shifts; with <paramref name="cache"/>, also its stages' content targets, held
    /// (the caller lets them go), and the plan knows which are made already.
    /// </summary>
    static (Size FinalSize, IReadOnlyList<TransferStage> Stages, JitterPlan Jitter, ContentTargetCache.Lease? Held) Plan(
        IBackbone backbone, Image<Rgb24> content, StyleTransferOptions options, bool channelsLast, ContentTargetCache? cache)
    {
        var finalSize = ImageTensors.WorkingSize(content.Width, content.Height, options.MaxSide, backbone.SizeMultiple);
        var stages = TransferSchedule.For(finalSize, backbone.SizeMultiple, options);
        var held = cache?.Hold(ContentTargetKeys(backbone, content, stages, options, channelsLast));
        return (finalSize, stages, JitterPlan.Draw(stages, options.JitterPixels, options.Seed, held?.Targets.Select(t => t.Shifts).ToArray()), held);
    }

    /// <summary>What each stage's content targets depend on (<see cref="CreateObjective"/> makes the content they are made of).</summary>
    static ContentTargetKey[] ContentTargetKeys(IBackbone backbone, Image<Rgb24> content, IReadOnlyList<TransferStage> stages,
        StyleTransferOptions options, bool channelsLast)
    {
        var fingerprint = ContentTargetKey.Fingerprint(content);
        return [.. stages.Select(stage => new ContentTargetKey(backbone, fingerprint, stage.Width, stage.Height,
            options.PreserveColors == ColorPreservation.Luminance, options.ContentLayer, options.Pooling, channelsLast))];
    }

    /// <summary>The content as the network is given it: what its content targets are made of.</summary>
    static Tensor ContentInput(IBackbone backbone, Tensor contentRgb, ColorPreservation mode, bool channelsLast) =>
        Preprocessed(backbone, ContentColors.ContentAsSeen(mode, contentRgb), channelsLast);

    static TransferObjective CreateObjective(IBackbone backbone, Image<Rgb24> content, IReadOnlyList<Image<Rgb24>> styles,
        double[] blend, Size size, StyleTransferOptions options, bool channelsLast, ContentTargets? contentTargets)
    {
        using var scope = NewDisposeScope();
        var mode = options.PreserveColors;
        var contentRgb = ImageTensors.ToTensor(content, size, backbone.Device);
        var contentInput = ContentInput(backbone, contentRgb, mode, channelsLast);
        var styleInputs = styles.Select((style, i) =>
        {
            var styleRgb = ImageTensors.ToTensor(style, StyleSize(style.Width, style.Height, size, options, backbone.SizeMultiple), backbone.Device);
            return (Preprocessed(backbone, ContentColors.StyleAsSeen(mode, styleRgb, contentRgb), channelsLast), blend[i]);
        }).ToArray();
        Func<Tensor, Tensor>? view = mode == ColorPreservation.Luminance ? x => ContentColors.LuminanceOnly(x, backbone.Preprocessing) : null;
        return new TransferObjective(backbone, contentInput, styleInputs, options, view, contentTargets);
    }

    /// <summary>
    /// The size a style image of <paramref name="width"/> × <paramref name="height"/> is measured at beside content at
    /// <paramref name="contentSize"/>: the content's working size, as the article's code loads it, or with
    /// <see cref="StyleTransferOptions.StyleKeepsAspect"/> its own aspect ratio at the same longest side;
    /// <see cref="StyleTransferOptions.StyleScale"/> then scales either (stroke size).
    /// </summary>
    public static Size StyleSize(int width, int height, Size contentSize, StyleTransferOptions options, int sizeMultiple)
    {
        var shape = options.StyleKeepsAspect ? new Size(width, height) : contentSize;
        int longest = (int)Math.Round(Math.Max(contentSize.Width, contentSize.Height) * options.StyleScale);
        return ImageTensors.WorkingSize(shape.Width, shape.Height, longest, sizeMultiple);
    }

    static Tensor Preprocessed(IBackbone backbone, Tensor rgb, bool channelsLast = false)
    {
        var input = backbone.Preprocessing.Preprocess(rgb);
        if (!channelsLast) return input;
        using (input) return ImageTensors.ToChannelsLast(input);
    }

    static Tensor Preprocessed(IBackbone backbone, Image<Rgb24> image, Size size)
    {
        using var rgb = ImageTensors.ToTensor(image, size, backbone.Device);
        return Preprocessed(backbone, rgb);
    }

    /// <summary>
    /// The stage's starting image, a leaf that requires its gradient: the first stage starts from content, noise or style
    /// (fig. 25), later stages from the upsampled previous image. A <see cref="Parameter"/> only where libtorch's L-BFGS
    /// must own it (<paramref name="asParameter"/>): TorchSharp 0.107 makes one by moving the handle out of another
    /// tensor and never counts that emptied tensor off <see cref="Tensor.TotalCount"/>, so each Parameter raises the
    /// app's "live tensors", the number a leak would raise, for good.
    /// </summary>
    static Tensor InitialImage(IBackbone backbone, Image<Rgb24> content, Image<Rgb24> style, Tensor? previous, Size size,
        StyleTransferOptions options, Tensor clipMin, Tensor clipMax, bool channelsLast, bool asParameter)
    {
        using var scope = NewDisposeScope();
        Tensor start;
        if (previous is not null)
        {
            using var noGrad = no_grad();
            start = nn.functional.interpolate(previous.detach(), [size.Height, size.Width], mode: InterpolationMode.Bicubic, align_corners: false)
                .clamp(clipMin, clipMax);
            previous.Dispose();
        }
        else
        {
            // Noise is drawn on the CPU and then moved: the same seed gives the same image on every device, and a CPU
            // generator cannot feed a rand on CUDA. The generator is native, so it is disposed rather than left to the GC.
            using var generator = new TorchSharp.torch.Generator((ulong)options.Seed);
            start = options.InitialImage switch
            {
                // The style as the network sees it (its colours matched to the content's, or its luminance).
                Transfer.InitialImage.Style => Preprocessed(backbone, ContentColors.StyleAsSeen(options.PreserveColors,
                    ImageTensors.ToTensor(style, size, backbone.Device), ImageTensors.ToTensor(content, size, backbone.Device))),
                Transfer.InitialImage.Noise => backbone.Preprocessing.Preprocess(
                    rand([1, 3, size.Height, size.Width], generator: generator).to(backbone.Device).mul_(255)),
                _ => Preprocessed(backbone, content, size),
            };
        }
        var laidOut = channelsLast ? ImageTensors.ToChannelsLast(start.detach()) : start.detach().contiguous();
        var leaf = asParameter ? new Parameter(laidOut) : laidOut.requires_grad_(true);
        leaf.MoveToOuterDisposeScope();
        return leaf;
    }

    /// <summary>The image as a picture at the final size; with <paramref name="chromaSource"/>, its luminance in those colours.</summary>
    static RgbFrame ReadFrame(IBackbone backbone, Tensor image, Size finalSize, Tensor? chromaSource)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var rgb = backbone.Preprocessing.Deprocess(image.detach());
        if (rgb.shape[2] != finalSize.Height || rgb.shape[3] != finalSize.Width)
            rgb = nn.functional.interpolate(rgb, [finalSize.Height, finalSize.Width], mode: InterpolationMode.Bicubic, align_corners: false);
        if (chromaSource is not null) rgb = ContentColors.WithContentChroma(rgb, chromaSource);
        return ImageTensors.ToFrame(rgb);
    }

    /// <summary>values = [J, J_C, J_S, TV, J_S^(1), …] as read back from the device.</summary>
    static LossValues ToLossValues(float[] values, StyleTransferOptions options)
    {
        if (values.Length < 4) return new LossValues(double.NaN, double.NaN, double.NaN, double.NaN, new Dictionary<string, double>());
        var layers = new Dictionary<string, double>();
        for (int i = 0; i < options.StyleLayers.Count; i++)
            layers[options.StyleLayers[i].Layer] = values[4 + i];
        return new LossValues(values[0], values[1], values[2], values[3], layers);
    }

    /// <summary>Loss records waiting on the device; disposed with the stage if it ends by an exception.</summary>
    sealed class PendingRecords : List<(int Iteration, Tensor Record, TimeSpan Elapsed, TimeSpan? Remaining)>, IDisposable
    {
        public void Dispose()
        {
            foreach (var (_, record, _, _) in this) record.Dispose();
            Clear();
        }
    }
}

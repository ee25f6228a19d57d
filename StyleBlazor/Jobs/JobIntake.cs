using Microsoft.Extensions.Options;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;
using StyleBlazor.Engine.Imaging;

namespace StyleBlazor.Jobs;

/// <summary>
/// Submissions that arrive as encoded files, from the hub and the HTTP API: everything cheap is checked before any
/// picture is decoded — the rate limits and the number of styles (<see cref="JobSubmission.Admit"/>), the settings, and
/// every picture's header against the per-request pixel budget — then the pictures go through the engine's
/// <see cref="ImageIntake"/> and the job is submitted.
/// </summary>
public sealed class JobIntake(JobSubmission submission, ImageIntake intake, IOptions<ImageIntakeOptions> options)
{
    /// <param name="requester">The caller; null (no session) is refused.</param>
    public async Task<SubmissionResult> SubmitAsync(Requester? requester, ReadOnlyMemory<byte> content, IReadOnlyList<byte[]> styles,
        TransferSettings? settings, CancellationToken cancellationToken)
    {
        if (requester is null) return SubmissionResult.Refuse(SubmissionRefusal.InvalidRequest, "The request has no browser session.");
        if (submission.Admit(requester, styles.Count) is { } refused) return refused;

        settings ??= new TransferSettings();
        if (submission.Backbones.Find(settings.Backbone) is not { } backbone)
            return SubmissionResult.Refuse(SubmissionRefusal.UnknownBackbone, submission.Backbones.WhyNotFound(settings.Backbone), "backbone");
        var (transfer, problem) = settings.ApplyTo(backbone, styles.Count);
        if (problem is not null) return SubmissionResult.Refuse(SubmissionRefusal.InvalidOptions, problem.Message, problem.Field);

        var pictures = styles.Select((s, i) => (Bytes: (ReadOnlyMemory<byte>)s, What: $"Style image {i + 1}", Field: "style"))
            .Prepend((content, "Content image", "content")).ToArray();
        double megapixels = 0;
        foreach (var (bytes, what, field) in pictures)
        {
            try
            {
                var (width, height) = intake.Measure(bytes);
                megapixels += width * (double)height / 1e6;
            }
            catch (ImageRejectedException rejected)
            {
                return SubmissionResult.Refuse(SubmissionRefusal.InvalidRequest, $"{what}: {rejected.Message}", field);
            }
        }
        var budget = options.Value.MaxMegapixelsPerRequest;
        if (megapixels > budget)
            return SubmissionResult.Refuse(SubmissionRefusal.InvalidRequest,
                $"The pictures of one job may have {budget:0.#} megapixels together; these have {megapixels:0.#}. Send smaller pictures.", "style");

        var images = new List<Image<Rgb24>>();
        try
        {
            foreach (var (bytes, what, field) in pictures)
            {
                try { images.Add(await intake.DecodeAsync(bytes, cancellationToken)); }
                catch (ImageRejectedException rejected)
                {
                    images.ForEach(i => i.Dispose());
                    return rejected.Code == ImageRejection.ServerBusy
                        ? SubmissionResult.Refuse(SubmissionRefusal.Busy, rejected.Message, retryAfter: TimeSpan.FromSeconds(rejected.Limit ?? 5))
                        : SubmissionResult.Refuse(SubmissionRefusal.InvalidRequest, $"{what}: {rejected.Message}", field);
                }
            }
            var result = await submission.SubmitAsync(new JobRequest(requester, images[0], images[1..], transfer, backbone.Name), cancellationToken);
            if (!result.Accepted) images.ForEach(i => i.Dispose());
            return result;
        }
        catch
        {
            images.ForEach(i => i.Dispose());
            throw;
        }
    }
}

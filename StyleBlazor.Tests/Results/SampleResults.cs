using StyleBlazor.Jobs;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.Formats.Jpeg;
using SixLabors.ImageSharp.Metadata.Profiles.Exif;
using SixLabors.ImageSharp.PixelFormats;
using StyleBlazor.Engine.Transfer;
using StyleBlazor.Results;

namespace StyleBlazor.Tests.Results;

/// <summary>Small, deterministic results of the shape the job service hands over.</summary>
public static class SampleResults
{
    public const string Owner = "owner-session-0123456789abcdef0123456789abc"; // a browser session id's shape

    public static RgbFrame Frame(int width, int height, int seed)
    {
        var pixels = new byte[width * height * 3];
        new Random(seed).NextBytes(pixels);
        return new RgbFrame(width, height, pixels);
    }

    public static NewResult Create(IJobResultSink sink, string owner = Owner, int frames = 5, int iterations = 10, int width = 48, int height = 32,
        Image<Rgb24>? upload = null)
    {
        // As the job service does: every improved frame goes to the sink's recorder while the job runs.
        var recorder = sink.CreateRecorder();
        for (var i = 0; i < frames; i++) recorder.Add(i * iterations / Math.Max(1, frames), Frame(width, height, seed: i));
        var final = Frame(width, height, seed: 99);
        var losses = Enumerable.Range(0, iterations + 1)
            .Select(i => new LossRecord(i, 1000.0 / (i + 1), 10.0 / (i + 1), 5.0 / (i + 1), 0,
                new Dictionary<string, double> { ["block1_conv1"] = 1.0 / (i + 1) }, i * 0.1, 10, (iterations - i) * 0.1))
            .ToList();
        return new NewResult(null, owner, ResultOutcome.Completed, "vgg19", new StyleTransferOptions { Iterations = iterations, Seed = 7 },
            final, BestIteration: iterations, IterationsRun: iterations, Elapsed: TimeSpan.FromSeconds(3),
            Content: upload?.Clone() ?? final.ToImage(), Styles: [upload?.Clone() ?? Frame(20, 30, seed: 5).ToImage()],
            LossHistory: losses, Frames: recorder.Frames);
    }

    /// <summary>The bytes one result of <see cref="Create"/>'s defaults takes, measured in a store of its own (quota tests size their limits by it).</summary>
    public static async Task<long> StoredBytesOfOneAsync()
    {
        using var sizing = new TempDataDirectory();
        await using var unlimited = new ResultsApplication(sizing.DataDirectory, settings: new Dictionary<string, string?> { ["Results:MaxStoredBytes"] = "0" });
        await unlimited.Sink.SaveAsync(Create(unlimited.Sink));
        return await unlimited.Store.StoredBytesAsync();
    }

    /// <summary>A JPEG as a phone would upload it, with GPS coordinates in its EXIF, decoded as the intake decodes it.</summary>
    public static Image<Rgb24> UploadWithGpsExif()
    {
        using var photo = Frame(64, 48, seed: 3).ToImage();
        var exif = new ExifProfile();
        exif.SetValue(ExifTag.GPSLatitudeRef, "N");
        exif.SetValue(ExifTag.GPSLatitude, [new Rational(52, 1), new Rational(31, 1), new Rational(1234, 100)]);
        exif.SetValue(ExifTag.GPSLongitudeRef, "E");
        exif.SetValue(ExifTag.GPSLongitude, [new Rational(13, 1), new Rational(24, 1), new Rational(5678, 100)]);
        exif.SetValue(ExifTag.Make, "SecretPhoneMaker");
        photo.Metadata.ExifProfile = exif;
        using var jpeg = new MemoryStream();
        photo.Save(jpeg, new JpegEncoder { Quality = 90 });
        jpeg.Position = 0;
        return Image.Load<Rgb24>(jpeg);
    }
}

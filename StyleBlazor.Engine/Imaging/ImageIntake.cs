using System.Runtime.InteropServices;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.Formats;
using SixLabors.ImageSharp.Formats.Webp;
using SixLabors.ImageSharp.Memory;
using SixLabors.ImageSharp.Metadata;
using SixLabors.ImageSharp.Metadata.Profiles.Exif;
using SixLabors.ImageSharp.PixelFormats;
using SixLabors.ImageSharp.Processing;

namespace StyleBlazor.Engine.Imaging;

/// <summary>
/// The one place untrusted uploaded bytes become an image: refuses by size, format and header
/// before decoding, waits for room in the process's <see cref="DecodeBudget"/>, then decodes off the
/// caller's thread under a time limit into a fresh, upright, opaque RGB image with no metadata, no
/// larger than <see cref="KeepSide"/>. Nothing is written to disk. Thread-safe; register once.
/// </summary>
public sealed class ImageIntake
{
    private const int StreamChunkBytes = 81920;
    private const int Upright = 1;

    private readonly ImageIntakeOptions _options;
    private readonly Configuration _configuration;

    /// <param name="keepSide">
    /// The longest side a decoded picture is kept at; larger ones are scaled down as they are decoded, so whoever
    /// holds the picture (a queued job, a Studio tab) holds no more than this. The app passes twice the engine's
    /// largest working size.
    /// </param>
    /// <param name="time">The clock of the decode budget's wait.</param>
    public ImageIntake(ImageIntakeOptions options, int keepSide = int.MaxValue, TimeProvider? time = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        ArgumentOutOfRangeException.ThrowIfLessThan(keepSide, options.MinSide);
        _options = options;
        KeepSide = keepSide;
        Budget = new DecodeBudget(options.MaxDecodingMegapixels, options.DecodeQueueTimeout, time);
        _configuration = KnownImageFormats.Create(options.AllocationLimitMegabytes);
    }

    /// <summary>The longest side of a picture this returns.</summary>
    public int KeepSide { get; }

    /// <summary>The megapixels this process decodes at once.</summary>
    public DecodeBudget Budget { get; }

    /// <summary>Reads at most <see cref="ImageIntakeOptions.MaxBytes"/> + 1 bytes, then decodes them.</summary>
    /// <exception cref="ImageRejectedException">The upload was refused; nothing was kept.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    public async Task<Image<Rgb24>> DecodeAsync(Stream upload, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(upload);
        var bytes = await ReadBoundedAsync(upload, cancellationToken).ConfigureAwait(false);
        return await DecodeAsync(bytes, cancellationToken).ConfigureAwait(false);
    }

    /// <exception cref="ImageRejectedException">The upload was refused; nothing was kept.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    public async Task<Image<Rgb24>> DecodeAsync(ReadOnlyMemory<byte> upload, CancellationToken cancellationToken = default)
    {
        CheckByteCount(upload.Length);
        cancellationToken.ThrowIfCancellationRequested();
        // The header says what decoding will cost; the budget's room is held until the decode itself ends, even one
        // abandoned for its time limit.
        var (width, height) = Measure(upload);
        var room = await Budget.AcquireAsync(width * (double)height / 1e6, cancellationToken).ConfigureAwait(false);

        var limit = _options.DecodeTimeout;
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(limit);
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var decoding = Task.Run(() => Decode(upload, timeout.Token), timeout.Token);
        _ = decoding.ContinueWith(static (_, held) => ((IDisposable)held!).Dispose(), room,
            CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
        try
        {
            // WaitAsync also covers a decoder that never looks at its token.
            var image = await decoding.WaitAsync(limit, cancellationToken).ConfigureAwait(false);
            // Timers run on the thread pool and can fire seconds late on a starved machine; the clock cannot.
            if (clock.Elapsed <= limit) return image;
            image.Dispose();
            throw ImageRejectedException.DecodeTimeout(limit);
        }
        catch (TimeoutException)
        {
            await timeout.CancelAsync().ConfigureAwait(false);
            DisposeWhenFinished(decoding);
            throw ImageRejectedException.DecodeTimeout(limit);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw ImageRejectedException.DecodeTimeout(limit);
        }
        catch (OperationCanceledException)
        {
            DisposeWhenFinished(decoding);
            throw;
        }
    }

    /// <summary>
    /// The picture's size as the user sees it (upright), read from its header without decoding the pixels, with the
    /// same refusals as <see cref="DecodeAsync(ReadOnlyMemory{byte}, CancellationToken)"/> gives a bad header. Lets a
    /// caller bound what a request of several pictures will cost before it decodes any.
    /// </summary>
    /// <exception cref="ImageRejectedException">The upload would be refused.</exception>
    public (int Width, int Height) Measure(ReadOnlyMemory<byte> upload)
    {
        CheckByteCount(upload.Length);
        var format = Image.DetectFormat(_configuration, upload.Span)
            ?? throw ImageRejectedException.UnsupportedFormat(FileSignature.Recognise(upload.Span));
        var container = ContainerFacts.Read(format, upload.Span);
        if (!container.IsComplete)
        {
            throw ImageRejectedException.Corrupt(format.Name);
        }

        int width, height;
        if (container.Animation is { } animation)
        {
            (width, height) = (animation.CanvasWidth, animation.CanvasHeight);
        }
        else
        {
            var decoder = _configuration.ImageFormatsManager.FindDecoder(format);
            using var header = AsStream(upload);
            IImageInfo? info;
            try { info = ((IImageInfoDetector)decoder).Identify(_configuration, header, CancellationToken.None); }
            catch (Exception exception) when (exception is not OutOfMemoryException) { throw ImageRejectedException.Corrupt(format.Name, exception); }
            (width, height) = info is null ? throw ImageRejectedException.Corrupt(format.Name) : (info.Width, info.Height);
        }

        CheckDimensions(width, height, container.Orientation);
        return container.Orientation >= 5 ? (height, width) : (width, height);
    }

    private Image<Rgb24> Decode(ReadOnlyMemory<byte> upload, CancellationToken cancellationToken)
    {
        var data = upload.Span;
        var format = Image.DetectFormat(_configuration, data)
            ?? throw ImageRejectedException.UnsupportedFormat(FileSignature.Recognise(data));

        var container = ContainerFacts.Read(format, data);
        if (!container.IsComplete)
        {
            throw ImageRejectedException.Corrupt(format.Name);
        }

        var decoder = _configuration.ImageFormatsManager.FindDecoder(format);
        try
        {
            using var decoded = container.Animation is { } animation
                ? DecodeFirstFrame(decoder, animation, container.Orientation, cancellationToken)
                : DecodeStill(decoder, upload, format.Name, (width, height) => CheckDimensions(width, height, container.Orientation), cancellationToken);
            if (Math.Max(decoded.Width, decoded.Height) > KeepSide)
            {
                // Before the RGB copy, so the full size is held once. The resize weighs colours by alpha, so blending
                // over white afterwards gives what blending first would. A square box: orientation cannot matter.
                cancellationToken.ThrowIfCancellationRequested();
                decoded.Mutate(image => image.Resize(new ResizeOptions { Size = new Size(KeepSide, KeepSide), Mode = ResizeMode.Max }));
            }
            return ToUprightOpaqueRgb(decoded, container.Orientation);
        }
        catch (Exception exception) when (FindAllocationLimit(exception) is { } overLimit)
        {
            throw ImageRejectedException.TooMuchMemory(format.Name, _options.AllocationLimitMegabytes, overLimit);
        }
        catch (Exception exception) when (exception is not (ImageRejectedException or OperationCanceledException or OutOfMemoryException))
        {
            // Untrusted bytes: whatever a decoder throws on them is a damaged file, not a server fault.
            throw ImageRejectedException.Corrupt(format.Name, exception);
        }
    }

    /// <summary>Reads the header, lets <paramref name="checkHeader"/> refuse it, and only then decodes.</summary>
    private Image<Rgba32> DecodeStill(
        IImageDecoder decoder, ReadOnlyMemory<byte> data, string formatName, Action<int, int> checkHeader, CancellationToken cancellationToken)
    {
        using (var header = AsStream(data))
        {
            var info = ((IImageInfoDetector)decoder).Identify(_configuration, header, cancellationToken)
                ?? throw ImageRejectedException.Corrupt(formatName);
            checkHeader(info.Width, info.Height);
        }

        using var pixels = AsStream(data);
        return decoder.Decode<Rgba32>(_configuration, pixels, cancellationToken);
    }

    private Image<Rgba32> DecodeFirstFrame(
        IImageDecoder decoder, WebpAnimation animation, ushort orientation, CancellationToken cancellationToken)
    {
        CheckDimensions(animation.CanvasWidth, animation.CanvasHeight, orientation);
        var formatName = WebpFormat.Instance.Name;
        using var frame = DecodeStill(decoder, animation.FirstFrameStill, formatName, (width, height) =>
        {
            // The frame may be small, but must be what its ANMF header says, which fits the canvas.
            if (width != animation.Width || height != animation.Height)
            {
                throw ImageRejectedException.Corrupt(formatName);
            }
        }, cancellationToken);

        var canvas = new Image<Rgba32>(_configuration, animation.CanvasWidth, animation.CanvasHeight);
        canvas.Mutate(image => image.DrawImage(frame, new Point(animation.X, animation.Y), 1f));
        return canvas;
    }

    private static InvalidMemoryOperationException? FindAllocationLimit(Exception? exception)
    {
        // Decoders wrap the allocator's refusal in InvalidImageContentException.
        for (; exception is not null; exception = exception.InnerException)
        {
            if (exception is InvalidMemoryOperationException overLimit)
            {
                return overLimit;
            }
        }

        return null;
    }

    private void CheckByteCount(long byteCount)
    {
        if (byteCount == 0)
        {
            throw ImageRejectedException.Empty();
        }

        if (byteCount > _options.MaxBytes)
        {
            throw ImageRejectedException.TooManyBytes(byteCount, _options.MaxBytes);
        }
    }

    private void CheckDimensions(int storedWidth, int storedHeight, ushort orientation)
    {
        // Report the size as the user sees it: orientations 5–8 swap the sides.
        var (width, height) = orientation >= 5 ? (storedHeight, storedWidth) : (storedWidth, storedHeight);
        var pixels = (double)width * height;
        var maxPixels = _options.MaxMegapixels * 1e6;
        if (Math.Max(width, height) > _options.MaxSide)
        {
            throw ImageRejectedException.TooLarge(width, height, _options.MaxSide);
        }

        if (pixels > maxPixels)
        {
            throw ImageRejectedException.TooManyPixels(width, height, _options.MaxMegapixels);
        }

        if (Math.Min(width, height) < _options.MinSide)
        {
            throw ImageRejectedException.TooSmall(width, height, _options.MinSide);
        }

        if ((double)Math.Max(width, height) / Math.Min(width, height) > _options.MaxAspectRatio)
        {
            throw ImageRejectedException.AspectRatio(width, height, _options.MaxAspectRatio);
        }
    }

    private Image<Rgb24> ToUprightOpaqueRgb(Image<Rgba32> decoded, ushort orientation)
    {
        // A new image, so no metadata, trailing bytes or extra frames of the upload come along.
        var result = new Image<Rgb24>(_configuration, decoded.Width, decoded.Height);
        try
        {
            decoded.ProcessPixelRows(result, static (source, target) =>
            {
                for (var y = 0; y < source.Height; y++)
                {
                    var from = source.GetRowSpan(y);
                    var to = target.GetRowSpan(y);
                    for (var x = 0; x < from.Length; x++)
                    {
                        to[x] = OverWhite(from[x]);
                    }
                }
            });

            if (orientation != Upright)
            {
                // AutoOrient reads the orientation from a profile; this one exists only for that.
                result.Metadata.ExifProfile = new ExifProfile();
                result.Metadata.ExifProfile.SetValue(ExifTag.Orientation, orientation);
                result.Mutate(image => image.AutoOrient());
                result.Metadata.ExifProfile = null;
            }

            return result;
        }
        catch
        {
            result.Dispose();
            throw;
        }
    }

    private static Rgb24 OverWhite(Rgba32 pixel)
    {
        // Source over opaque white, rounded: c·a + 255·(1 − a).
        var alpha = pixel.A;
        var white = 255 * (255 - alpha);
        return new Rgb24(
            (byte)((pixel.R * alpha + white + 127) / 255),
            (byte)((pixel.G * alpha + white + 127) / 255),
            (byte)((pixel.B * alpha + white + 127) / 255));
    }

    private async Task<ReadOnlyMemory<byte>> ReadBoundedAsync(Stream upload, CancellationToken cancellationToken)
    {
        var limit = _options.MaxBytes;
        if (upload.CanSeek)
        {
            CheckByteCount(upload.Length - upload.Position);
        }

        using var buffer = new MemoryStream();
        var chunk = new byte[StreamChunkBytes];
        while (true)
        {
            // Never read more than one byte past the limit, whatever the stream claims.
            var wanted = (int)Math.Min(chunk.Length, limit + 1 - buffer.Length);
            var read = await upload.ReadAsync(chunk.AsMemory(0, wanted), cancellationToken).ConfigureAwait(false);
            if (read == 0)
            {
                break;
            }

            buffer.Write(chunk, 0, read);
            if (buffer.Length > limit)
            {
                throw ImageRejectedException.TooManyBytes(null, limit);
            }
        }

        CheckByteCount(buffer.Length);
        return buffer.GetBuffer().AsMemory(0, (int)buffer.Length);
    }

    private static MemoryStream AsStream(ReadOnlyMemory<byte> data) =>
        MemoryMarshal.TryGetArray(data, out var segment) && segment.Array is { } array
            ? new MemoryStream(array, segment.Offset, segment.Count, writable: false)
            : new MemoryStream(data.ToArray(), writable: false);

    private static void DisposeWhenFinished(Task<Image<Rgb24>> decoding) =>
        _ = decoding.ContinueWith(
            static finished =>
            {
                if (finished.IsCompletedSuccessfully)
                {
                    finished.Result.Dispose();
                }

                _ = finished.Exception; // observed, so it is not reported as unobserved
            },
            CancellationToken.None,
            TaskContinuationOptions.ExecuteSynchronously,
            TaskScheduler.Default);
}

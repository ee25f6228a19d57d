using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;
using SixLabors.ImageSharp.Processing;
using static TorchSharp.torch;
using Size = SixLabors.ImageSharp.Size;

namespace StyleBlazor.Engine.Transfer;

/// <summary>Conversions between ImageSharp images and [1,3,H,W] float tensors with values 0–255.</summary>
public static class ImageTensors
{
    /// <summary>
    /// The working size for an image: longest side <paramref name="maxSide"/>, aspect ratio kept, each side rounded
    /// to a multiple of <paramref name="multiple"/> (at least one multiple).
    /// </summary>
    public static Size WorkingSize(int width, int height, int maxSide, int multiple = 1)
    {
        double scale = (double)maxSide / Math.Max(width, height);
        int Round(double v) => Math.Max(multiple, (int)Math.Round(v / multiple) * multiple);
        return new Size(Round(width * scale), Round(height * scale));
    }

    /// <summary>Resizes (bicubic) to exactly <paramref name="size"/> and returns a [1,3,H,W] float32 tensor.</summary>
    public static Tensor ToTensor(Image<Rgb24> image, Size size, Device device)
    {
        using var resized = image.Size() == size ? image.Clone() : image.Clone(c => c.Resize(size, KnownResamplers.Bicubic, compand: false));
        var bytes = new byte[size.Width * size.Height * 3];
        resized.CopyPixelDataTo(bytes);
        using var scope = NewDisposeScope();
        var hwc = tensor(bytes, dtype: ScalarType.Byte).view(size.Height, size.Width, 3);
        return hwc.permute(2, 0, 1).unsqueeze(0).to(ScalarType.Float32).contiguous().to(device).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// The same values in channels-last (NHWC) storage, as a differentiable copy; TorchSharp 0.107 has no
    /// <c>contiguous(memory_format)</c>, so it goes through a permuted copy. Convolutions given such an input keep
    /// their outputs channels-last, which spares oneDNN a layout reorder of every activation and gradient.
    /// </summary>
    public static Tensor ToChannelsLast(Tensor nchw)
    {
        if (IsChannelsLast(nchw)) return nchw.alias();
        using var nhwc = nchw.permute(0, 2, 3, 1).contiguous();
        return nhwc.permute(0, 3, 1, 2);
    }

    /// <summary>Whether a [N,C,H,W] tensor is stored channels-last (NHWC) without gaps (and is not also plain NCHW).</summary>
    public static bool IsChannelsLast(Tensor t)
    {
        if (t.dim() != 4 || t.shape[1] == 1) return false;
        long c = t.shape[1], w = t.shape[3];
        return t.stride(1) == 1 && t.stride(3) == c && t.stride(2) == c * w && (t.shape[0] == 1 || t.stride(0) == c * w * t.shape[2]);
    }

    /// <summary>Reads a [1,3,H,W] (or [3,H,W]) tensor with values 0–255 back as packed RGB bytes.</summary>
    public static RgbFrame ToFrame(Tensor rgb255)
    {
        using var scope = NewDisposeScope();
        var chw = rgb255.dim() == 4 ? rgb255[0] : rgb255;
        int h = (int)chw.shape[1], w = (int)chw.shape[2];
        var hwc = chw.detach().clamp(0, 255).round().to(ScalarType.Byte).permute(1, 2, 0).contiguous().cpu();
        return new RgbFrame(w, h, hwc.data<byte>().ToArray());
    }
}

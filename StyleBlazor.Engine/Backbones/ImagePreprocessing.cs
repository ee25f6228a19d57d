using static TorchSharp.torch;

namespace StyleBlazor.Engine.Backbones;

/// <summary>
/// Maps an RGB image tensor [1,3,H,W] with values 0–255 to the space the network was trained in and back.
/// The optimised image lives in the network's space, so clipping bounds are given in that space too.
/// </summary>
public abstract class ImagePreprocessing
{
    public abstract Tensor Preprocess(Tensor rgb255);

    /// <summary>Inverse of <see cref="Preprocess"/>, clamped to 0–255 (the article's fig. 8).</summary>
    public abstract Tensor Deprocess(Tensor input);

    /// <summary>Per-channel [min, max] of valid pixels in network space, shape [1,3,1,1] each (fig. 27).</summary>
    public abstract (Tensor Min, Tensor Max) ClipBounds(Device device);

    /// <summary>Keras "caffe" mode (<c>vgg19.preprocess_input</c>): RGB→BGR, subtract per-channel BGR means, no scaling.</summary>
    public static ImagePreprocessing Caffe(double b, double g, double r) => new CaffePreprocessing([b, g, r]);

    /// <summary>The article's Keras VGG19 means (B 103.939, G 116.779, R 123.68).</summary>
    public static ImagePreprocessing KerasVgg19 { get; } = Caffe(103.939, 116.779, 123.68);

    /// <summary>torchvision: RGB in [0,1], normalised by the ImageNet mean and standard deviation.</summary>
    public static ImagePreprocessing TorchVision { get; } =
        new NormalisedRgbPreprocessing([0.485, 0.456, 0.406], [0.229, 0.224, 0.225]);
}

sealed class CaffePreprocessing(double[] bgrMeans) : ImagePreprocessing
{
    Tensor Means(Tensor like) => tensor(bgrMeans, dtype: like.dtype, device: like.device).view(1, 3, 1, 1);

    public override Tensor Preprocess(Tensor rgb255)
    {
        using var scope = NewDisposeScope();
        return rgb255.flip(1).sub(Means(rgb255)).MoveToOuterDisposeScope();
    }

    public override Tensor Deprocess(Tensor input)
    {
        using var scope = NewDisposeScope();
        return input.add(Means(input)).flip(1).clamp(0, 255).MoveToOuterDisposeScope();
    }

    public override (Tensor Min, Tensor Max) ClipBounds(Device device)
    {
        using var scope = NewDisposeScope();
        var means = tensor(bgrMeans, dtype: ScalarType.Float32, device: device).view(1, 3, 1, 1);
        return (means.neg().MoveToOuterDisposeScope(), means.neg().add_(255).MoveToOuterDisposeScope());
    }
}

sealed class NormalisedRgbPreprocessing(double[] mean, double[] std) : ImagePreprocessing
{
    Tensor Mean(Tensor like) => tensor(mean, dtype: like.dtype, device: like.device).view(1, 3, 1, 1);
    Tensor Std(Tensor like) => tensor(std, dtype: like.dtype, device: like.device).view(1, 3, 1, 1);

    public override Tensor Preprocess(Tensor rgb255)
    {
        using var scope = NewDisposeScope();
        return rgb255.div(255).sub(Mean(rgb255)).div(Std(rgb255)).MoveToOuterDisposeScope();
    }

    public override Tensor Deprocess(Tensor input)
    {
        using var scope = NewDisposeScope();
        return input.mul(Std(input)).add(Mean(input)).mul(255).clamp(0, 255).MoveToOuterDisposeScope();
    }

    public override (Tensor Min, Tensor Max) ClipBounds(Device device)
    {
        using var scope = NewDisposeScope();
        var m = tensor(mean, dtype: ScalarType.Float32, device: device).view(1, 3, 1, 1);
        var s = tensor(std, dtype: ScalarType.Float32, device: device).view(1, 3, 1, 1);
        var min = m.neg().div(s);
        var max = m.neg().add(1).div(s);
        return (min.MoveToOuterDisposeScope(), max.MoveToOuterDisposeScope());
    }
}

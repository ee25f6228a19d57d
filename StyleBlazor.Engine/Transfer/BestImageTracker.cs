using static TorchSharp.torch;

namespace StyleBlazor.Engine.Transfer;

/// <summary>
/// Keeps the image with the lowest J so far, on the image's device: compare and select without reading back, so a GPU
/// never waits for the host. The "improved" flag is a tensor the caller reads only when it needs it.
/// </summary>
sealed class BestImageTracker : IDisposable
{
    readonly Tensor _bestLoss;
    readonly Tensor _bestImage;
    Tensor? _bestRecord;

    public BestImageTracker(Tensor like)
    {
        // The scope disposes the intermediates (full's result before squeeze, detach's before clone), which
        // otherwise outlived the run: the memory test caught two leaked tensors per stage.
        using var scope = NewDisposeScope();
        _bestLoss = full(1, double.PositiveInfinity, dtype: ScalarType.Float32, device: like.device).squeeze().DetachFromDisposeScope();
        _bestImage = like.detach().clone().DetachFromDisposeScope();
    }

    public Tensor BestImage => _bestImage;
    public Tensor BestLoss => _bestLoss;

    /// <summary>Records <paramref name="image"/> if <paramref name="loss"/> is lower than the best; returns the 0-d bool "improved".</summary>
    public Tensor Observe(Tensor loss, Tensor image)
    {
        using var noGrad = no_grad();
        var improved = loss.detach().lt(_bestLoss);
        _bestLoss.copy_(where(improved, loss.detach(), _bestLoss));
        using var selected = where(improved, image.detach(), _bestImage);
        _bestImage.copy_(selected);
        return improved;
    }

    /// <summary>
    /// Keeps <paramref name="record"/> (any 1-D values describing this iteration) when <paramref name="improved"/>, on the
    /// device, so a caller that reports nothing per iteration can read the best iteration's values once at the end.
    /// </summary>
    public void Remember(Tensor improved, Tensor record)
    {
        using var noGrad = no_grad();
        _bestRecord ??= full_like(record, float.NaN).DetachFromDisposeScope();
        using var selected = where(improved, record.detach(), _bestRecord);
        _bestRecord.copy_(selected);
    }

    /// <summary>The remembered record of the best iteration (NaNs if none improved), read back; null if nothing was remembered.</summary>
    public float[]? RememberedRecord()
    {
        if (_bestRecord is null) return null;
        using var host = _bestRecord.cpu();
        return host.data<float>().ToArray();
    }

    public void Dispose()
    {
        _bestLoss.Dispose();
        _bestImage.Dispose();
        _bestRecord?.Dispose();
    }
}

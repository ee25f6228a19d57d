using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;
using StyleBlazor.Engine.Backbones;

namespace StyleBlazor.Engine.Transfer;

/// <summary>
/// The article's optimisation: the pixels of the image are optimised by gradient descent on J = αJ_C + βJ_S (5).
/// All torch work of one run happens on the calling thread (dispose scopes and grad mode are thread-local), so call
/// <see cref="Run"/> from one dedicated thread; <see cref="RunAsync"/> does that for you.
/// </summary>
public static class StyleTransfer
{
    /// <summary>
    /// Runs the transfer synchronously on the calling thread. <paramref name="onProgress"/> is called once per iteration
    /// (0 = the initial image) on this thread and must return quickly. <paramref name="wantsFrame"/> says whether an
    /// improved iteration's image should be read back (null = always). Cancellation stops within one iteration and
    /// throws <see cref="OperationCanceledException"/>.
    /// </summary>
    public static TransferResult Run(
        IBackbone backbone,
        Image<Rgb24> content,
        IReadOnlyList<Image<Rgb24>> styles,
        StyleTransferOptions options,
        Action<TransferProgress>? onProgress = null,
        Func<int, bool>? wantsFrame = null,
        CancellationToken cancellationToken = default)
        => throw new NotImplementedException("The loop lands in the engine issue.");
}

using System.Security.Cryptography;

namespace StyleBlazor.Studio;

/// <summary>
/// One browser session's studio (a scoped service, so one per circuit): the chosen content and style pictures, the
/// parameters being edited and the job being followed. Nothing here is visible to other sessions, and the pictures are
/// released when the circuit ends.
/// </summary>
public sealed class StudioState : IDisposable
{
    StudioImage? _content;
    readonly List<StyleChoice> _styles = [new()];

    /// <summary>Who submits this session's jobs (only the owner may cancel one).</summary>
    public string OwnerId { get; } = Convert.ToHexString(RandomNumberGenerator.GetBytes(16));

    public StudioImage? Content => _content;

    /// <summary>The style pictures to blend, each with its weight (<c>--style-weights</c>); always at least one, maybe still empty.</summary>
    public IReadOnlyList<StyleChoice> Styles => _styles;

    /// <summary>The first style picture.</summary>
    public StudioImage? Style => _styles[0].Image;

    /// <summary>The parameters as last edited (kept while the user visits other pages).</summary>
    public ParameterForm? Parameters { get; set; }

    /// <summary>The job this session started last, as far as it has been seen.</summary>
    public JobTimeline? CurrentJob { get; set; }

    /// <summary>Dark theme on; follows the system until the user toggles it (<see cref="DarkModeChosen"/>).</summary>
    public bool DarkMode { get; set; }
    public bool DarkModeChosen { get; set; }

    public void SetContent(StudioImage? image) => Replace(ref _content, image);

    /// <summary>Puts <paramref name="image"/> in style slot <paramref name="index"/> (the first by default).</summary>
    public void SetStyle(StudioImage? image, int index = 0) => _styles[index].Image = image;

    /// <summary>Adds an empty style slot; false when <paramref name="maxStyles"/> are there already.</summary>
    public bool AddStyle(int maxStyles)
    {
        if (_styles.Count >= maxStyles) return false;
        _styles.Add(new StyleChoice());
        return true;
    }

    /// <summary>Removes style slot <paramref name="index"/> and its picture; the last slot left is only emptied.</summary>
    public void RemoveStyle(int index)
    {
        _styles[index].Image = null;
        if (_styles.Count > 1) _styles.RemoveAt(index);
        else _styles[0].Weight = StyleChoice.DefaultWeight;
    }

    /// <summary>The slots that hold a picture: what a job blends, in this order.</summary>
    public IReadOnlyList<StyleChoice> PickedStyles => _styles.Where(s => s.Image is not null).ToList();

    static void Replace(ref StudioImage? slot, StudioImage? image)
    {
        var old = slot;
        slot = image;
        if (!ReferenceEquals(old, image)) old?.Dispose();
    }

    public void Dispose()
    {
        SetContent(null);
        foreach (var style in _styles) style.Image = null;
    }
}

/// <summary>One style picture of the blend and its weight; the weights are normalised to shares of the mix.</summary>
public sealed class StyleChoice
{
    public const double DefaultWeight = 1;

    StudioImage? _image;

    /// <summary>The picture; replacing it releases the old one.</summary>
    public StudioImage? Image
    {
        get => _image;
        set
        {
            if (!ReferenceEquals(_image, value)) _image?.Dispose();
            _image = value;
        }
    }

    /// <summary>Its weight in <c>--style-weights</c>, ≥ 0.</summary>
    public double Weight { get; set; } = DefaultWeight;

    /// <summary>Each style's share of the mix (weights over their sum); all zero when every weight is zero.</summary>
    public static IReadOnlyList<double> Shares(IReadOnlyList<StyleChoice> styles)
    {
        double sum = styles.Sum(s => s.Weight);
        return styles.Select(s => sum > 0 ? s.Weight / sum : 0).ToArray();
    }
}

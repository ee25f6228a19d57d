using StyleBlazor.Engine.Backbones;

namespace StyleBlazor.Studio;

public enum ParameterPreset { ArticleDefaults, QuickPreview, HighQuality }

/// <summary>
/// The presets of the parameter panel. Each starts from the backbone's recipe (for VGG19: the article's code) and
/// changes only the size and the number of steps, so the loss balance that makes the recipe work stays intact.
/// </summary>
public static class ParameterPresets
{
    public const int QuickPreviewIterations = 40;
    public const int QuickPreviewMaxSide = 256;
    public const int HighQualityIterations = 500;
    public const int HighQualityMaxSide = 1024;

    public static ParameterForm Create(ParameterPreset preset, BackboneInfo backbone)
    {
        var form = ParameterForm.From(backbone, backbone.Defaults);
        switch (preset)
        {
            case ParameterPreset.QuickPreview:
                form.Iterations = QuickPreviewIterations;
                form.MaxSide = QuickPreviewMaxSide;
                break;
            case ParameterPreset.HighQuality:
                form.Iterations = Math.Max(HighQualityIterations, backbone.Defaults.Iterations);
                form.MaxSide = HighQualityMaxSide;
                break;
        }
        return form;
    }
}

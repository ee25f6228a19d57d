using StyleBlazor.Engine.Backbones;

namespace StyleBlazor.Engine.Inspection;

/// <summary>One channel's feature map: its values row by row (<see cref="Width"/> × <see cref="Height"/>) and its mean.</summary>
/// <param name="Channel">The channel's index in the layer (0-based, as the network numbers it).</param>
public sealed record FeatureMap(int Channel, double Mean, int Width, int Height, float[] Values);

/// <summary>
/// What one layer made of one picture: the strongest feature maps (by mean activation) and the layer's Gram matrix (3).
/// </summary>
/// <param name="Layer">The layer, as the backbone lists it.</param>
/// <param name="Width">nW, the feature map's width.</param>
/// <param name="Height">nH, the feature map's height.</param>
/// <param name="Channels">nC, the feature map's channel count.</param>
/// <param name="Strongest">The <see cref="LayerInspector.StrongestCount"/> maps with the highest mean, highest first, ties by channel index.</param>
/// <param name="Gram">
/// G (3), nC × nC row by row, channels in index order: the same order for every picture, so two Gram matrices of one
/// layer line up cell for cell. Normalised as the recipe asks (code: divided by nH·nW; paper: plain FᵀF).
/// </param>
public sealed record LayerActivations(LayerInfo Layer, int Width, int Height, int Channels, IReadOnlyList<FeatureMap> Strongest, float[] Gram);

/// <summary>One layer of a picture measured against the style image's Gram matrix.</summary>
/// <param name="Loss">J_S^(l) of (3) between the picture's Gram matrix and the style's, in the recipe's normalisation.</param>
/// <param name="Gram">G(picture), nC × nC row by row, channels in index order.</param>
/// <param name="GramDifference">G(picture) − G(style), likewise.</param>
public sealed record LayerStyleLoss(string Layer, int Channels, double Loss, float[] Gram, float[] GramDifference);

using StyleBlazor.Engine.Transfer;

namespace StyleBlazor.Engine.Inspection;

/// <summary>One style layer's part of (4): λ_l, J_S^(l), the term λ_l·J_S^(l) and its share of J_S.</summary>
public sealed record StyleTerm(string Layer, double Weight, double Loss, double Term, double Share);

/// <summary>J_S = Σ_l λ_l·J_S^(l) (4), split into its terms, in the order of the recipe's style layers.</summary>
public static class StyleTerms
{
    /// <param name="weights">The style layers and their λ_l.</param>
    /// <param name="losses">
    /// J_S^(l) per layer as they enter (4); a layer without a value counts as 0 (and shows as NaN in <see cref="StyleTerm.Loss"/>).
    /// </param>
    /// <param name="references">
    /// With relative losses (<see cref="StyleTransferOptions.RelativeLosses"/>) each J_S^(l) is divided by its
    /// reference distance, as <c>TransferObjective</c> does; null for the article's plain sum.
    /// </param>
    public static IReadOnlyList<StyleTerm> Split(IReadOnlyList<StyleLayerWeight> weights, IReadOnlyDictionary<string, double> losses,
        IReadOnlyDictionary<string, double>? references = null)
    {
        var entering = weights.Select(w =>
        {
            double loss = losses.TryGetValue(w.Layer, out var v) ? v : double.NaN;
            if (references is not null) loss /= Math.Max(references.GetValueOrDefault(w.Layer, 1), 1e-12);
            return (w.Layer, w.Weight, Loss: loss, Term: double.IsNaN(loss) ? 0 : w.Weight * loss);
        }).ToArray();
        double sum = entering.Sum(t => t.Term); // (4)
        return entering.Select(t => new StyleTerm(t.Layer, t.Weight, t.Loss, t.Term, sum > 0 ? t.Term / sum : 0)).ToArray();
    }
}

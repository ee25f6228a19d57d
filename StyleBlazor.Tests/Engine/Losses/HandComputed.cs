namespace StyleBlazor.Tests.Engine.Losses;

/// <summary>
/// The article's formulas in plain double arithmetic, written from ALGORITHM.md rather than from the engine, so a test
/// compares two independent derivations. A feature map is an nC × nH × nW array flattened channel-major (NCHW, N = 1).
/// "Code" is what the article's Keras code computes; "paper" is the printed formula.
/// </summary>
static class HandComputed
{
    /// <summary>(2) as printed: Σ(t − p)² / (4·nH·nW·nC).</summary>
    public static double ContentLossPaper(double[] t, double[] p, int nC, int nH, int nW)
    {
        double sum = 0;
        for (int i = 0; i < t.Length; i++) sum += (t[i] - p[i]) * (t[i] - p[i]);
        return sum / (4.0 * nH * nW * nC);
    }

    /// <summary>The code's content loss: mean((t − p)²).</summary>
    public static double ContentLossCode(double[] t, double[] p)
    {
        double sum = 0;
        for (int i = 0; i < t.Length; i++) sum += (t[i] - p[i]) * (t[i] - p[i]);
        return sum / t.Length;
    }

    /// <summary>G = FᵀF with F the (nH·nW) × nC matrix: G_ab = Σ over positions of f_a·f_b (the printed Gram).</summary>
    public static double[,] GramPaper(double[] f, int nC, int nH, int nW)
    {
        int positions = nH * nW;
        var g = new double[nC, nC];
        for (int a = 0; a < nC; a++)
            for (int b = 0; b < nC; b++)
            {
                double sum = 0;
                for (int k = 0; k < positions; k++) sum += f[a * positions + k] * f[b * positions + k];
                g[a, b] = sum;
            }
        return g;
    }

    /// <summary>The code's Gram: FᵀF / (nH·nW).</summary>
    public static double[,] GramCode(double[] f, int nC, int nH, int nW)
    {
        var g = GramPaper(f, nC, nH, nW);
        for (int a = 0; a < nC; a++)
            for (int b = 0; b < nC; b++)
                g[a, b] /= nH * nW;
        return g;
    }

    /// <summary>(3) as printed: Σ(G^p − G^s)² / (4·nC²·(nH·nW)²) with plain Grams.</summary>
    public static double StyleLossPaper(double[,] styleGram, double[] p, int nC, int nH, int nW)
    {
        var gp = GramPaper(p, nC, nH, nW);
        double sum = 0;
        for (int a = 0; a < nC; a++)
            for (int b = 0; b < nC; b++)
                sum += (gp[a, b] - styleGram[a, b]) * (gp[a, b] - styleGram[a, b]);
        double positions = nH * nW;
        return sum / (4.0 * nC * nC * positions * positions);
    }

    /// <summary>The code's style loss: mean((G^p − G^s)²) with Grams divided by nH·nW.</summary>
    public static double StyleLossCode(double[,] styleGram, double[] p, int nC, int nH, int nW)
    {
        var gp = GramCode(p, nC, nH, nW);
        double sum = 0;
        for (int a = 0; a < nC; a++)
            for (int b = 0; b < nC; b++)
                sum += (gp[a, b] - styleGram[a, b]) * (gp[a, b] - styleGram[a, b]);
        return sum / (nC * nC);
    }

    /// <summary>Squared TV as the engine defines it: mean of squared vertical plus mean of squared horizontal differences.</summary>
    public static double TotalVariation(double[] x, int nC, int nH, int nW)
    {
        double vertical = 0, horizontal = 0;
        for (int c = 0; c < nC; c++)
            for (int i = 0; i < nH; i++)
                for (int j = 0; j < nW; j++)
                {
                    double v = x[(c * nH + i) * nW + j];
                    if (i + 1 < nH) vertical += Math.Pow(x[(c * nH + i + 1) * nW + j] - v, 2);
                    if (j + 1 < nW) horizontal += Math.Pow(x[(c * nH + i) * nW + j + 1] - v, 2);
                }
        return vertical / (nC * (nH - 1) * nW) + horizontal / (nC * nH * (nW - 1));
    }

    public static double[] Random(int count, int seed, double scale = 1)
    {
        var rng = new Random(seed);
        return Enumerable.Range(0, count).Select(_ => (rng.NextDouble() * 2 - 1) * scale).ToArray();
    }

    public static double[] Map(double[] x, Func<double, double> f) => x.Select(f).ToArray();
}

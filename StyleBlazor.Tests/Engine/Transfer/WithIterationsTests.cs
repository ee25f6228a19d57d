using StyleBlazor.Engine.Backbones;

namespace StyleBlazor.Tests.Engine.Transfer;

public class WithIterationsTests
{
    [Theory]
    [InlineData(20, 11)]
    [InlineData(400, 224)] // the recipe's 140 of 250 coarse: 14/25
    [InlineData(1000, 560)]
    [InlineData(3, 1)]
    [InlineData(1, 0)]
    public void ARecipesCoarseShareStaysInProportionAndValid(int iterations, int expectedCoarse)
    {
        var options = BackboneRecipes.ResNet18.WithIterations(iterations);
        Assert.Equal(iterations, options.Iterations);
        Assert.Equal(expectedCoarse, options.CoarseIterations);
        Assert.Null(options.Validate());
    }

    [Fact]
    public void WithoutCoarseToFineOnlyTheCountChanges()
    {
        var options = BackboneRecipes.ArticleVgg19.WithIterations(30);
        Assert.Equal(30, options.Iterations);
        Assert.Equal(0, options.CoarseIterations);
        Assert.Equal(BackboneRecipes.ArticleVgg19 with { Iterations = 30 }, options);
    }
}

using StyleBlazor.Engine.Backbones;

namespace StyleBlazor.Tests.Engine.Transfer;

public class WithIterationsTests
{
    [Theory]
    [InlineData(20, 10)]
    [InlineData(400, 218)] // the recipe's 150 of 275 coarse: 6/11
    [InlineData(1000, 545)]
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

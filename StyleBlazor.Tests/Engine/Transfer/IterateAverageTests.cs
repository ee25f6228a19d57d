using StyleBlazor.Engine.Transfer;
using static TorchSharp.torch;

namespace StyleBlazor.Tests.Engine.Transfer;

public class IterateAverageTests
{
    static Tensor Filled(float value) => full([1, 3, 2, 2], value, ScalarType.Float32);

    static float Value(Tensor average) => average.mean().item<float>();

    [Fact]
    public void IsThePlainMeanUntilItHasItsStepsThenWeighsEachNewIterateOneNth()
    {
        using var scope = NewDisposeScope();
        using var average = new IterateAverage(4);
        Assert.Null(average.Average);

        foreach (var v in new[] { 3f, 5f, 10f }) average.Add(Filled(v));
        Assert.Equal(6f, Value(average.Average!), 5); // (3 + 5 + 10) / 3: the first iterate is not favoured

        average.Add(Filled(-18f));
        Assert.Equal(0f, Value(average.Average!), 5); // four iterates: still their mean
        average.Add(Filled(10f));
        Assert.Equal(2.5f, Value(average.Average!), 5); // 0 + (10 − 0) / 4
        average.Add(Filled(10f));
        Assert.Equal(4.375f, Value(average.Average!), 5); // 2.5 + (10 − 2.5) / 4
        Assert.Equal(6, average.Count);
    }

    [Fact]
    public void KeepsItsOwnCopyOutsideTheGraphAndTheCallersScope()
    {
        using var average = new IterateAverage(2);
        using var image = Filled(1f).requires_grad_();
        using (NewDisposeScope())
        {
            average.Add(image);
            using (no_grad()) image.add_(2f); // the optimiser moves the image in place
            average.Add(image);
        }

        Assert.False(average.Average!.requires_grad);
        Assert.Equal(2f, Value(average.Average), 5); // (1 + 3) / 2, though the scope that added them is gone
    }

    [Fact]
    public void NeedsAtLeastOneStep()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new IterateAverage(0));
    }
}

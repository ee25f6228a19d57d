namespace StyleBlazor.Tests.Support;

/// <summary>
/// Tests that measure the whole process (resident memory, native heap): they run one at a time, after the parallel
/// ones, so other tests' allocations do not move what they read.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class MeasuredAlone
{
    public const string Name = "Measured alone";
}

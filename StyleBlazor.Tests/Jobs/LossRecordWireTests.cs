using MessagePack;
using MessagePack.Resolvers;
using StyleBlazor.Jobs;
using StyleBlazor.ScaleOut;

namespace StyleBlazor.Tests.Jobs;

/// <summary>The engine's time-left estimate travels with each Progress update: between nodes as JSON, to hub clients as MessagePack.</summary>
public class LossRecordWireTests
{
    static JobUpdate Progress(double? eta) =>
        new JobUpdate.Progress(new LossRecord(3, 2.5, 1, 1.5, 0, new Dictionary<string, double> { ["stem"] = 1.5 }, 0.4, 7.5, eta));

    [Theory]
    [InlineData(12.25)]
    [InlineData(null)] // not estimated yet: the engine has not timed a step
    public void TheEstimateCrossesRedisAsJson(double? eta)
    {
        string json = System.Text.Json.JsonSerializer.Serialize(Progress(eta), RedisJobStore.Json);

        var back = Assert.IsType<JobUpdate.Progress>(System.Text.Json.JsonSerializer.Deserialize<JobUpdate>(json, RedisJobStore.Json));

        Assert.Equal(eta, back.Loss.EtaSeconds);
    }

    [Theory]
    [InlineData(12.25)]
    [InlineData(null)]
    public void TheEstimateReachesHubClientsAsMessagePack(double? eta)
    {
        var options = MessagePackSerializerOptions.Standard.WithResolver(ContractlessStandardResolver.Instance);
        var bytes = MessagePackSerializer.Serialize((JobUpdate.Progress)Progress(eta), options);

        var back = MessagePackSerializer.Deserialize<JobUpdate.Progress>(bytes, options);

        Assert.Equal(eta, back.Loss.EtaSeconds);
    }
}

using StyleBlazor.Explore;

namespace StyleBlazor.Extensions;

public static class ExploreServiceExtensions
{
    /// <summary>
    /// The layer explorer behind <c>/explore</c>. <see cref="ExplorerJobs"/> is its one connection to the job pipeline
    /// (torch threads and job pictures); the explorer itself depends only on <see cref="ITorchWork"/> and <see cref="IJobPictures"/>.
    /// </summary>
    public static IHostApplicationBuilder AddLayerExplorer(this IHostApplicationBuilder builder)
    {
        var services = builder.Services;
        // On a web node of several there is no BackboneHost (Node:Role web): the explorer then says so rather than failing.
        services.AddSingleton<ExplorerJobs>();
        services.AddSingleton<ITorchWork>(sp => sp.GetRequiredService<ExplorerJobs>());
        services.AddSingleton<IJobPictures>(sp => sp.GetRequiredService<ExplorerJobs>());
        services.AddSingleton<LayerExplorer>();
        return builder;
    }
}

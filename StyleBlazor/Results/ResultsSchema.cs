using Microsoft.EntityFrameworkCore;

namespace StyleBlazor.Results;

/// <summary>Creates the data directory and the SQLite schema before the app serves its first request.</summary>
public sealed class ResultsSchema(IDbContextFactory<ResultsDb> dbFactory, ResultFiles files) : IHostedService
{
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        Directory.CreateDirectory(files.ResultsRoot);
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        // One table and no released schema yet; switch to migrations with the first change to a deployed schema.
        await db.Database.EnsureCreatedAsync(cancellationToken);
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}

using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;
using Microsoft.Extensions.DependencyInjection;
using StyleBlazor.Results;

namespace StyleBlazor.Tests.Results;

/// <summary>The result store's schema comes from its provider's migrations, also on a database made before there were any.</summary>
public sealed class ResultsSchemaTests : IDisposable
{
    private readonly TempDataDirectory _temp = new();

    public void Dispose() => _temp.Dispose();

    [Fact]
    public async Task ADatabaseMadeBeforeMigrationsIsAdoptedKeepsItsResultsAndGainsTheLaterColumns()
    {
        // As the app made it until now: the first migration's table, no history (EnsureCreated), one result in it.
        ShareLink old;
        await using (var before = new ResultsApplication(_temp.DataDirectory))
            old = await before.Sink.SaveAsync(SampleResults.Create(before.Sink));
        var path = Path.Combine(_temp.DataDirectory, "results.db");
        await using (var legacy = new SqliteConnection($"Data Source={path}"))
        {
            await legacy.OpenAsync();
            await using var downgrade = legacy.CreateCommand();
            downgrade.CommandText = """
                DROP INDEX IX_Results_JobId; ALTER TABLE Results DROP COLUMN JobId; ALTER TABLE Results DROP COLUMN StyleCount;
                DROP TABLE __EFMigrationsHistory;
                """;
            await downgrade.ExecuteNonQueryAsync();
        }
        SqliteConnection.ClearAllPools();

        await using var after = new ResultsApplication(_temp.DataDirectory);
        var again = await after.Sink.SaveAsync(SampleResults.Create(after.Sink) with { JobId = "job-after-the-upgrade" });

        var adopted = await after.Store.FindByTokenAsync(old.Token);
        Assert.Equal(LinkState.Found, adopted.State);
        Assert.Equal(1, adopted.Result!.StyleCount); // results from before several styles had one style picture
        Assert.Equal(LinkState.Found, (await after.Store.FindByTokenAsync(again.Token)).State);
        await using var db = await after.Services.GetRequiredService<IDbContextFactory<ResultsDb>>().CreateDbContextAsync();
        Assert.Equal(db.Database.GetMigrations(), await db.Database.GetAppliedMigrationsAsync());
        Assert.IsType<SqliteResultsDb>(db);
    }

    [Fact]
    public async Task AJobStoresOneResultEvenWhenItsResultIsStoredTwiceAndTheSecondLinkReplacesTheFirst()
    {
        await using var app = new ResultsApplication(_temp.DataDirectory);
        var first = await app.Sink.SaveAsync(SampleResults.Create(app.Sink) with { JobId = "the-same-job" });

        var second = await app.Sink.SaveAsync(SampleResults.Create(app.Sink) with { JobId = "the-same-job" });

        Assert.Equal(first.ResultId, second.ResultId);
        Assert.Single(await app.Store.ListForOwnerAsync(SampleResults.Owner));
        Assert.Equal(LinkState.NotFound, (await app.Store.FindByTokenAsync(first.Token)).State);
        Assert.Equal(LinkState.Found, (await app.Store.FindByTokenAsync(second.Token)).State);
        Assert.Single(Directory.GetDirectories(app.Files.ResultsRoot));
    }
}

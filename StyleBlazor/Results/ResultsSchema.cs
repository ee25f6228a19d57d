using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;

namespace StyleBlazor.Results;

/// <summary>
/// Creates the data directory and brings the database's schema up to date (its provider's migrations) before the app
/// serves its first request. Several nodes may start at once: EF Core takes a lock while it migrates.
/// </summary>
public sealed class ResultsSchema(IDbContextFactory<ResultsDb> dbFactory, ResultFiles files, ILogger<ResultsSchema> logger) : IHostedService
{
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        Directory.CreateDirectory(files.ResultsRoot);
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        await AdoptSchemaMadeBeforeMigrationsAsync(db, cancellationToken);
        await db.Database.MigrateAsync(cancellationToken);
    }

    /// <summary>
    /// Databases made before there were migrations (EnsureCreated, up to 2026-12) hold the first migration's table but no
    /// history: record that migration as applied, so the later ones run on the data instead of failing to recreate it.
    /// </summary>
    async Task AdoptSchemaMadeBeforeMigrationsAsync(ResultsDb db, CancellationToken cancellationToken)
    {
        if (db is not SqliteResultsDb) return; // PostgreSQL came with migrations
        var connection = db.Database.GetDbConnection();
        await db.Database.OpenConnectionAsync(cancellationToken);
        try
        {
            await using var query = connection.CreateCommand();
            query.CommandText = "SELECT name FROM sqlite_master WHERE type = 'table' AND name IN ('Results', '__EFMigrationsHistory')";
            var tables = new List<string>();
            await using (var reader = await query.ExecuteReaderAsync(cancellationToken))
                while (await reader.ReadAsync(cancellationToken)) tables.Add(reader.GetString(0));
            if (tables is not ["Results"]) return;
            var history = db.GetService<IHistoryRepository>();
            var first = db.Database.GetMigrations().First();
            await db.Database.ExecuteSqlRawAsync(history.GetCreateIfNotExistsScript(), cancellationToken);
            await db.Database.ExecuteSqlRawAsync(history.GetInsertScript(new HistoryRow(first, ProductInfo.GetVersion())), cancellationToken);
            logger.LogInformation("Adopted a results database made before migrations as {Migration}", first);
        }
        finally
        {
            await db.Database.CloseConnectionAsync();
        }
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}

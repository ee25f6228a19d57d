using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Design;

namespace StyleBlazor.Results;

/// <summary>
/// The stored results' table, for either database: SQLite in the data directory (the default, one box) or PostgreSQL
/// (several nodes, <c>ConnectionStrings:Results</c>). Each provider has its own context type so that its migrations
/// stay apart (<c>Results/Migrations/Sqlite</c>, <c>Results/Migrations/Postgres</c>); the store sees only this base.
/// </summary>
public abstract class ResultsDb(DbContextOptions options) : DbContext(options)
{
    public DbSet<StoredResult> Results => Set<StoredResult>();

    protected override void OnModelCreating(ModelBuilder modelBuilder)
    {
        var result = modelBuilder.Entity<StoredResult>();
        result.HasIndex(r => r.TokenHash).IsUnique();
        result.HasIndex(r => r.JobId).IsUnique();
        result.HasIndex(r => r.OwnerHash);
        result.HasIndex(r => r.ExpiresAt);
        result.Property(r => r.Outcome).HasConversion<string>();
        result.Property(r => r.FrameFormat).HasConversion<string>();
    }
}

/// <summary>Hands out the configured provider's context as the base type the store uses.</summary>
public sealed class ResultsDbFactory<TContext>(IDbContextFactory<TContext> inner) : IDbContextFactory<ResultsDb> where TContext : ResultsDb
{
    public ResultsDb CreateDbContext() => inner.CreateDbContext();
}

public sealed class SqliteResultsDb(DbContextOptions<SqliteResultsDb> options) : ResultsDb(options);

public sealed class PostgresResultsDb(DbContextOptions<PostgresResultsDb> options) : ResultsDb(options);

/// <summary>For <c>dotnet ef migrations add … --context SqliteResultsDb</c>; the app configures its context from settings.</summary>
public sealed class SqliteResultsDbDesignTime : IDesignTimeDbContextFactory<SqliteResultsDb>
{
    public SqliteResultsDb CreateDbContext(string[] args) =>
        new(new DbContextOptionsBuilder<SqliteResultsDb>().UseSqlite("Data Source=design-time.db").Options);
}

/// <summary>For <c>dotnet ef migrations add … --context PostgresResultsDb</c>; no server is contacted to make a migration.</summary>
public sealed class PostgresResultsDbDesignTime : IDesignTimeDbContextFactory<PostgresResultsDb>
{
    public PostgresResultsDb CreateDbContext(string[] args) =>
        new(new DbContextOptionsBuilder<PostgresResultsDb>().UseNpgsql("Host=localhost;Database=styleblazor").Options);
}

using Microsoft.EntityFrameworkCore;

namespace StyleBlazor.Results;

public sealed class ResultsDb(DbContextOptions<ResultsDb> options) : DbContext(options)
{
    public DbSet<StoredResult> Results => Set<StoredResult>();

    protected override void OnModelCreating(ModelBuilder modelBuilder)
    {
        var result = modelBuilder.Entity<StoredResult>();
        result.HasIndex(r => r.TokenHash).IsUnique();
        result.HasIndex(r => r.OwnerHash);
        result.HasIndex(r => r.ExpiresAt);
        result.Property(r => r.Outcome).HasConversion<string>();
        result.Property(r => r.FrameFormat).HasConversion<string>();
    }
}

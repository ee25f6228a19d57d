using Microsoft.Extensions.Options;

namespace StyleBlazor.Results;

/// <summary>Deletes results past their retention (and orphaned folders) at start and then every cleanup interval.</summary>
public sealed class ResultCleanupService(
    ResultStore store,
    IOptions<ResultsOptions> options,
    TimeProvider time,
    ILogger<ResultCleanupService> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(options.Value.CleanupInterval, time);
        do
        {
            try
            {
                await store.DeleteExpiredAsync(stoppingToken);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                // One failed sweep (a locked file, a busy database) must not stop the service; the next tick retries.
                logger.LogError(e, "Cleaning up expired results failed");
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken));
    }
}

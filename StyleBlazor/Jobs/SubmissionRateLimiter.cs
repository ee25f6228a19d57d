using System.Threading.RateLimiting;
using Microsoft.Extensions.Options;

namespace StyleBlazor.Jobs;

/// <summary>
/// Submissions per minute per browser session and per client IP, as fixed one-minute windows. Every attempt that
/// reaches <see cref="JobSubmission"/> counts, so a client cannot probe the server with a stream of refused requests.
/// </summary>
public sealed class SubmissionRateLimiter : IDisposable
{
    static readonly TimeSpan Window = TimeSpan.FromMinutes(1);

    readonly PartitionedRateLimiter<string> _perSession;
    readonly PartitionedRateLimiter<string> _perAddress;
    readonly SubmissionLimitOptions _options;

    public SubmissionRateLimiter(IOptions<SubmissionLimitOptions> options)
    {
        _options = options.Value;
        _perSession = PartitionedRateLimiter.Create<string, string>(session =>
            RateLimitPartition.GetFixedWindowLimiter(session, _ => PerMinute(_options.SubmissionsPerMinutePerSession)));
        _perAddress = PartitionedRateLimiter.Create<string, string>(address =>
            RateLimitPartition.GetFixedWindowLimiter(address, _ => PerMinute(_options.SubmissionsPerMinutePerAddress)));
    }

    /// <summary>Takes one submission from both budgets; null when allowed, else a message a user can read.</summary>
    public string? TryAcquire(string sessionId, string? clientAddress)
    {
        using (var session = _perSession.AttemptAcquire(sessionId))
            if (!session.IsAcquired)
                return $"You have started {_options.SubmissionsPerMinutePerSession} jobs in the last minute; wait {RetryAfter(session)} before starting another.";
        // Without an address (a test host, a Unix socket) the session limit is all there is.
        if (string.IsNullOrEmpty(clientAddress)) return null;
        using var address = _perAddress.AttemptAcquire(clientAddress);
        return address.IsAcquired
            ? null
            : $"Your network address has started {_options.SubmissionsPerMinutePerAddress} jobs in the last minute; wait {RetryAfter(address)} before starting another.";
    }

    static FixedWindowRateLimiterOptions PerMinute(int permits) =>
        new() { PermitLimit = permits, Window = Window, QueueLimit = 0, AutoReplenishment = true };

    static string RetryAfter(RateLimitLease lease) =>
        lease.TryGetMetadata(MetadataName.RetryAfter, out var wait) && wait < Window
            ? $"{Math.Max(1, (int)Math.Ceiling(wait.TotalSeconds))} s"
            : "a minute";

    public void Dispose()
    {
        _perSession.Dispose();
        _perAddress.Dispose();
    }
}

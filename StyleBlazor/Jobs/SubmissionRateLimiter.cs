using System.Threading.RateLimiting;
using Microsoft.Extensions.Options;

namespace StyleBlazor.Jobs;

/// <summary>A submission over a rate limit: a message a user can read, and when to try again.</summary>
public sealed record RateLimitRefusal(string Message, TimeSpan RetryAfter);

/// <summary>
/// Submissions per minute per owner (browser session or API key) and per client IP, as fixed one-minute windows. Every attempt that
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

    /// <summary>Takes one submission from both budgets of <paramref name="requester"/>; null when allowed, else why not and for how long.</summary>
    public RateLimitRefusal? TryAcquire(Requester requester)
    {
        using (var owner = _perSession.AttemptAcquire(requester.OwnerId))
            if (!owner.IsAcquired)
                return Refusal(owner, wait => $"You have started {_options.SubmissionsPerMinutePerSession} jobs in the last minute; wait {wait} before starting another.");
        // Without an address (a test host, a Unix socket) the owner's limit is all there is.
        if (string.IsNullOrEmpty(requester.ClientAddress)) return null;
        using var address = _perAddress.AttemptAcquire(requester.ClientAddress);
        return address.IsAcquired
            ? null
            : Refusal(address, wait => $"Your network address has started {_options.SubmissionsPerMinutePerAddress} jobs in the last minute; wait {wait} before starting another.");
    }

    static FixedWindowRateLimiterOptions PerMinute(int permits) =>
        new() { PermitLimit = permits, Window = Window, QueueLimit = 0, AutoReplenishment = true };

    static RateLimitRefusal Refusal(RateLimitLease lease, Func<string, string> message)
    {
        var wait = lease.TryGetMetadata(MetadataName.RetryAfter, out var retryAfter) && retryAfter < Window ? retryAfter : Window;
        int seconds = Math.Max(1, (int)Math.Ceiling(wait.TotalSeconds));
        return new RateLimitRefusal(message(wait < Window ? $"{seconds} s" : "a minute"), TimeSpan.FromSeconds(seconds));
    }

    public void Dispose()
    {
        _perSession.Dispose();
        _perAddress.Dispose();
    }
}

using StyleBlazor.Engine.Imaging;
using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.Extensions.Options;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.Formats.Png;
using SixLabors.ImageSharp.PixelFormats;
using StackExchange.Redis;
using StyleBlazor.Engine.Transfer;
using StyleBlazor.Jobs;

namespace StyleBlazor.ScaleOut;

/// <summary>
/// The shared state of jobs in Redis, and every script that changes it, so each change is one atomic step that also
/// numbers and publishes the update it makes. Per deployment (prefix <c>p</c>):
/// <list type="bullet">
/// <item><c>p:jobs</c>, a stream with the consumer group <c>workers</c>: one entry per run to do (at-least-once delivery;
/// a worker renews its claim while it runs the job, and another takes over an entry idle longer than the lease).</item>
/// <item><c>p:queued</c>, a sorted set of the waiting jobs in <see cref="FairTurns"/>' order (positions), with per-owner and
/// per-address counts; <c>p:turn</c> and <c>p:turns</c> hold the round in progress and each client's last turn. An entry of
/// <c>p:jobs</c> runs the first of this line, whichever job queued it (<c>p:taken:{entry}</c> says which).</item>
/// <item><c>p:job:{id}</c>, a hash of the job (owner, options, state, position, attempt, message, share link); beside it
/// <c>:inputs</c> (its pictures as PNG), <c>:log</c> (each iteration's losses, capped), <c>:frames</c> (the newest few
/// frames), <c>:seq</c> (the number of its last update), <c>:png</c> (the picture when storing failed), and the channel
/// <c>:updates</c> on which each update is published as "<c>sequence|json</c>".</item>
/// <item><c>p:cancels</c>, a channel on which "<c>id|reason</c>" reaches the worker that runs a job.</item>
/// </list>
/// A watcher subscribes to a job's channel first, then reads the snapshot with its sequence number, then keeps what
/// comes after it: nothing is missed or seen twice, on any node.
/// </summary>
public sealed class RedisJobStore(IConnectionMultiplexer redis, IOptions<NodeOptions> node, IOptions<EngineOptions> engine)
{
    public const string Group = "workers";

    /// <summary>Frames kept per job for <c>/api/jobs/{id}/frames/{iteration}</c>.</summary>
    const int KeptFrames = StyleTransferJob.RecentFrames;

    /// <summary>Loss records kept per job: more than any run allowed on this server has iterations.</summary>
    int KeptLosses => engine.Value.MaxIterations + 8;

    internal static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        Converters = { new JsonStringEnumConverter() },
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals, // a diverged run has NaN losses
    };

    string Prefix => node.Value.RedisPrefix;
    public IDatabase Db => redis.GetDatabase();
    public ISubscriber Subscriber => redis.GetSubscriber();

    public RedisKey Stream => $"{Prefix}:jobs";
    public RedisKey Queued => $"{Prefix}:queued";
    RedisKey OwnerCounts => $"{Prefix}:queued-owners";
    RedisKey AddressCounts => $"{Prefix}:queued-addresses";
    public RedisKey Job(string id) => $"{Prefix}:job:{id}";
    RedisKey Inputs(string id) => $"{Prefix}:job:{id}:inputs";
    RedisKey Log(string id) => $"{Prefix}:job:{id}:log";
    RedisKey Frames(string id) => $"{Prefix}:job:{id}:frames";
    RedisKey Sequence(string id) => $"{Prefix}:job:{id}:seq";
    RedisKey Png(string id) => $"{Prefix}:job:{id}:png";
    public RedisChannel Updates(string id) => RedisChannel.Literal($"{Prefix}:job:{id}:updates");
    public RedisChannel Cancels => RedisChannel.Literal($"{Prefix}:cancels");
    public RedisChannel Nudge => RedisChannel.Literal($"{Prefix}:nudge");

    int RetentionSeconds => (int)engine.Value.FinishedJobRetention.TotalSeconds;

    // Shared by the scripts that change the line: after a change, every waiting job whose position moved is told, on its
    // job's channel. Keys are built from the prefix (one Redis server, not a cluster).
    const string Renumber = """
        local function renumber(prefix)
          local ids = redis.call('ZRANGE', prefix .. ':queued', 0, -1)
          for i, other in ipairs(ids) do
            local job = prefix .. ':job:' .. other
            if tonumber(redis.call('HGET', job, 'position') or '0') ~= i then
              redis.call('HSET', job, 'position', i)
              local seq = redis.call('INCR', job .. ':seq')
              redis.call('PUBLISH', job .. ':updates', seq .. '|{"type":"queued","position":' .. i .. '}')
            end
          end
        end
        local function leave_queue(prefix, id, owner, address)
          redis.call('ZREM', prefix .. ':queued', id)
          redis.call('HINCRBY', prefix .. ':queued-owners', owner, -1)
          if address ~= '' then redis.call('HINCRBY', prefix .. ':queued-addresses', address, -1) end
          renumber(prefix)
        end

        """;

    // ARGV: id, owner, address, capacity, per owner, per address, backbone, options, created, then the pictures' PNGs.
    // The line's order is FairTurns' (round-robin across clients), kept as the score: the job's turn, then its arrival.
    const string EnqueueScript = Renumber + """
        local prefix, id, owner, address = ARGV[1], ARGV[2], ARGV[3], ARGV[4]
        local queued = prefix .. ':queued'
        if redis.call('ZCARD', queued) >= tonumber(ARGV[5]) then return -1 end
        if tonumber(redis.call('HGET', prefix .. ':queued-owners', owner) or '0') >= tonumber(ARGV[6]) then return -2 end
        if address ~= '' and tonumber(redis.call('HGET', prefix .. ':queued-addresses', address) or '0') >= tonumber(ARGV[7]) then return -3 end
        local client = address
        if client == '' then client = 'owner:' .. owner end
        local current = tonumber(redis.call('GET', prefix .. ':turn') or '0')
        local turn = math.max(current, tonumber(redis.call('HGET', prefix .. ':turns', client) or '0') + 1)
        redis.call('HSET', prefix .. ':turns', client, turn)
        local job = prefix .. ':job:' .. id
        redis.call('HSET', job, 'owner', owner, 'address', address, 'backbone', ARGV[8], 'options', ARGV[9], 'created', ARGV[10],
          'state', 'Queued', 'attempt', 0, 'turn', turn)
        for i = 11, #ARGV do redis.call('HSET', job .. ':inputs', i - 11, ARGV[i]) end
        local arrival = redis.call('INCR', prefix .. ':enqueued') % 1000000
        redis.call('ZADD', queued, turn * 1000000 + arrival, id)
        redis.call('HINCRBY', prefix .. ':queued-owners', owner, 1)
        if address ~= '' then redis.call('HINCRBY', prefix .. ':queued-addresses', address, 1) end
        local position = redis.call('ZRANK', queued, id) + 1
        redis.call('HSET', job, 'position', position)
        renumber(prefix) -- the ones it went ahead of
        redis.call('XADD', prefix .. ':jobs', '*', 'job', id)
        return position
        """;

    // ARGV: prefix, stream entry id, consumer, max attempts. An entry is a turn to run, not a given job: it runs the first of the line, and
    // remembers which (p:taken:{entry}) so a worker that takes the entry over after a crash runs that job again.
    // Returns {'run', attempt, cancel reason or '', job id}, or {'ended'} / {'gone'}.
    const string StartScript = Renumber + """
        local prefix, entry = ARGV[1], ARGV[2]
        local taken = prefix .. ':taken:' .. entry
        local id = redis.call('GET', taken)
        if not id then
          local first = redis.call('ZRANGE', prefix .. ':queued', 0, 0)
          if #first == 0 then return {'gone'} end
          id = first[1]
          redis.call('SET', taken, id, 'EX', 604800)
        end
        local job = prefix .. ':job:' .. id
        local state = redis.call('HGET', job, 'state')
        if not state then return {'gone'} end
        if state ~= 'Queued' and state ~= 'Running' then return {'ended'} end
        if state == 'Queued' then
          leave_queue(prefix, id, redis.call('HGET', job, 'owner'), redis.call('HGET', job, 'address'))
          -- Its round is now in progress (FairTurns.Started); clients whose last turn is before it get no credit.
          local turn = tonumber(redis.call('HGET', job, 'turn') or '0')
          if turn > tonumber(redis.call('GET', prefix .. ':turn') or '0') then
            redis.call('SET', prefix .. ':turn', turn)
            local turns = redis.call('HGETALL', prefix .. ':turns')
            for i = 1, #turns, 2 do
              if tonumber(turns[i + 1]) < turn then redis.call('HDEL', prefix .. ':turns', turns[i]) end
            end
          end
        end
        local attempt = redis.call('HINCRBY', job, 'attempt', 1)
        redis.call('HSET', job, 'state', 'Running', 'position', 0, 'worker', ARGV[3])
        if attempt <= tonumber(ARGV[4]) then
          -- Started is published in the same step that makes the job Running: a watcher's snapshot that says Running
          -- already counts it, so nobody sees the start twice. A new attempt begins with no losses and no frames.
          redis.call('DEL', job .. ':log', job .. ':frames')
          redis.call('HDEL', job, 'frame')
          local seq = redis.call('INCR', job .. ':seq')
          redis.call('PUBLISH', job .. ':updates', seq .. '|{"type":"started","attempt":' .. attempt .. '}')
        end
        return {'run', attempt, redis.call('HGET', job, 'cancel') or '', id}
        """;

    // ARGV: prefix, id, owner ('' = whoever asks), reason, the Ended update's JSON, retention seconds.
    const string CancelScript = Renumber + """
        local prefix, id, owner = ARGV[1], ARGV[2], ARGV[3]
        local job = prefix .. ':job:' .. id
        local state = redis.call('HGET', job, 'state')
        if not state then return 'not-found' end
        local jobOwner = redis.call('HGET', job, 'owner')
        if owner ~= '' and jobOwner ~= owner then return 'not-owner' end
        if state == 'Queued' then
          leave_queue(prefix, id, jobOwner, redis.call('HGET', job, 'address'))
          redis.call('HSET', job, 'state', 'Cancelled', 'position', 0, 'message', ARGV[4])
          local seq = redis.call('INCR', job .. ':seq')
          redis.call('PUBLISH', job .. ':updates', seq .. '|' .. ARGV[5])
          redis.call('DEL', job .. ':inputs')
          for _, key in ipairs({job, job .. ':seq', job .. ':log', job .. ':frames'}) do redis.call('EXPIRE', key, ARGV[6]) end
          return 'cancelled'
        end
        if state == 'Running' then
          redis.call('HSET', job, 'cancel', ARGV[4])
          redis.call('PUBLISH', prefix .. ':cancels', id .. '|' .. ARGV[4])
          return 'cancelled'
        end
        return 'ended'
        """;

    // A stopping worker hands its running job back: first in line, as a new entry. ARGV: prefix, id.
    const string RequeueScript = Renumber + """
        local prefix, id = ARGV[1], ARGV[2]
        local job = prefix .. ':job:' .. id
        if redis.call('HGET', job, 'state') ~= 'Running' then return 0 end
        local owner, address = redis.call('HGET', job, 'owner'), redis.call('HGET', job, 'address')
        redis.call('ZADD', prefix .. ':queued', 0, id)
        redis.call('HINCRBY', prefix .. ':queued-owners', owner, 1)
        if address ~= '' then redis.call('HINCRBY', prefix .. ':queued-addresses', address, 1) end
        redis.call('HSET', job, 'state', 'Queued', 'position', 0)
        renumber(prefix)
        redis.call('XADD', prefix .. ':jobs', '*', 'job', id)
        return 1
        """;

    // One update of a running job (Started is the start script's). KEYS: job, log, frames, seq. ARGV: kind, json, channel,
    // then by kind: progress: log cap; frame: iteration, bytes, frames kept; ended: state, message, share link, result id, retention.
    const string PublishScript = """
        local kind, json = ARGV[1], ARGV[2]
        local state = redis.call('HGET', KEYS[1], 'state')
        if not state then return 0 end
        if kind == 'progress' then
          if state ~= 'Running' then return 0 end
        elseif kind == 'frame' then
          if state ~= 'Running' then return 0 end
          local it = tonumber(ARGV[4])
          if it <= tonumber(redis.call('HGET', KEYS[1], 'frame') or '-1') then return 0 end
          redis.call('HSET', KEYS[3], it, ARGV[5])
          redis.call('HSET', KEYS[1], 'frame', it)
          local kept = redis.call('HKEYS', KEYS[3])
          if #kept > tonumber(ARGV[6]) then
            table.sort(kept, function(a, b) return tonumber(a) < tonumber(b) end)
            for i = 1, #kept - tonumber(ARGV[6]) do redis.call('HDEL', KEYS[3], kept[i]) end
          end
        elseif kind == 'ended' then
          if state ~= 'Queued' and state ~= 'Running' then return 0 end
          redis.call('HSET', KEYS[1], 'state', ARGV[4], 'position', 0, 'message', ARGV[5], 'shareLink', ARGV[6], 'resultId', ARGV[7])
          redis.call('DEL', KEYS[1] .. ':inputs')
          for _, key in ipairs({KEYS[1], KEYS[2], KEYS[3], KEYS[4]}) do redis.call('EXPIRE', key, ARGV[8]) end
        end
        local seq = redis.call('INCR', KEYS[4])
        if kind == 'progress' then
          redis.call('RPUSH', KEYS[2], seq .. '|' .. json)
          redis.call('LTRIM', KEYS[2], -tonumber(ARGV[4]), -1)
        end
        redis.call('PUBLISH', ARGV[3], seq .. '|' .. json)
        return seq
        """;

    // KEYS: job, log, frames, seq. Returns {seq, the job's fields, the loss log, the newest frame or false}.
    const string SnapshotScript = """
        if redis.call('EXISTS', KEYS[1]) == 0 then return false end
        local latest = redis.call('HGET', KEYS[1], 'frame')
        local frame = false
        if latest then frame = redis.call('HGET', KEYS[3], latest) end
        return {redis.call('GET', KEYS[4]) or '0', redis.call('HGETALL', KEYS[1]), redis.call('LRANGE', KEYS[2], 0, -1), frame}
        """;

    /// <summary>Queues a ticket's job (its pictures as PNG); the position, or a negative refusal code.</summary>
    public async Task<EnqueueResult> EnqueueAsync(JobTicket ticket, int capacity, int perOwner, int perAddress)
    {
        var pictures = ticket.Styles.Prepend(ticket.Content).Select(image => (RedisValue)EncodePng(image));
        RedisValue[] args =
        [
            Prefix, ticket.Id, ticket.Owner.OwnerId, ticket.Owner.ClientAddress ?? "", capacity, perOwner, perAddress, ticket.Backbone,
            JsonSerializer.Serialize(ticket.Options, Json), ticket.CreatedAt.ToUnixTimeMilliseconds(), .. pictures,
        ];
        var position = (long)await Db.ScriptEvaluateAsync(EnqueueScript, values: args);
        if (position > 0) await Subscriber.PublishAsync(Nudge, ticket.Id);
        return position switch
        {
            -1 => new EnqueueResult(EnqueueOutcome.QueueFull),
            -2 => new EnqueueResult(EnqueueOutcome.OwnerLimit),
            -3 => new EnqueueResult(EnqueueOutcome.AddressLimit),
            _ => new EnqueueResult(EnqueueOutcome.Accepted, (int)position),
        };
    }

    /// <summary>
    /// A worker took a stream entry: the job it runs (the first in line, or the one a crashed worker ran for that entry),
    /// its attempt and any cancel asked for before, or null when there is nothing to run.
    /// </summary>
    public async Task<(string JobId, int Attempt, string? CancelReason)?> StartAsync(RedisValue entryId, string consumer)
    {
        var answer = (RedisResult[])(await Db.ScriptEvaluateAsync(StartScript, values: [Prefix, entryId, consumer, engine.Value.MaxAttempts]))!;
        return (string?)answer[0] == "run" ? ((string)answer[3]!, (int)answer[1], (string?)answer[2] is { Length: > 0 } reason ? reason : null) : null;
    }

    /// <summary>An entry is done with: acknowledged, and which job it ran forgotten.</summary>
    public async Task AcknowledgeAsync(RedisValue entryId)
    {
        await Db.StreamAcknowledgeAsync(Stream, Group, entryId);
        await Db.KeyDeleteAsync($"{Prefix}:taken:{entryId}");
    }

    public async Task<CancelOutcome> CancelAsync(string jobId, string? ownerId, string reason)
    {
        var ended = JsonSerializer.Serialize<JobUpdate>(new JobUpdate.Ended(JobState.Cancelled, reason, null), Json);
        var answer = (string?)await Db.ScriptEvaluateAsync(CancelScript, values: [Prefix, jobId, ownerId ?? "", reason, ended, RetentionSeconds]);
        return answer switch
        {
            "cancelled" => CancelOutcome.Cancelled,
            "not-owner" => CancelOutcome.NotOwner,
            "ended" => CancelOutcome.AlreadyEnded,
            _ => CancelOutcome.NotFound,
        };
    }

    /// <summary>Puts a running job back in line (first) for another worker: this node is stopping.</summary>
    public async Task RequeueAsync(string jobId)
    {
        await Db.ScriptEvaluateAsync(RequeueScript, values: [Prefix, jobId]);
        await Subscriber.PublishAsync(Nudge, jobId);
    }

    /// <summary>Applies one update of a running job to its shared state, numbers it and publishes it.</summary>
    public Task PublishAsync(string jobId, JobUpdate update, Guid? resultId)
    {
        var json = JsonSerializer.Serialize(update, Json);
        RedisKey[] keys = [Job(jobId), Log(jobId), Frames(jobId), Sequence(jobId)];
        RedisValue channel = Updates(jobId).ToString();
        RedisValue[] args = update switch
        {
            JobUpdate.Progress => ["progress", json, channel, KeptLosses],
            JobUpdate.Frame f => ["frame", json, channel, f.Iteration, f.Bytes, KeptFrames],
            JobUpdate.Ended e => ["ended", json, channel, e.State.ToString(), e.Message ?? "", e.ShareLink ?? "", resultId?.ToString() ?? "", RetentionSeconds],
            _ => ["other", json, channel],
        };
        return Db.ScriptEvaluateAsync(PublishScript, keys, args);
    }

    /// <summary>Keeps the picture of a job whose result could not be stored, for any node to serve while the job is remembered.</summary>
    public Task KeepUnstoredPngAsync(string jobId, byte[] png) =>
        Db.StringSetAsync(Png(jobId), png, engine.Value.FinishedJobRetention);

    public async Task<byte[]?> UnstoredPngAsync(string jobId) => (byte[]?)await Db.StringGetAsync(Png(jobId));

    public async Task<JobUpdate.Frame?> FrameAsync(string jobId, int iteration)
    {
        var bytes = (byte[]?)await Db.HashGetAsync(Frames(jobId), iteration);
        return bytes is null ? null : FrameOf(iteration, bytes);
    }

    /// <summary>A kept frame; its size read from its header (a few bytes), as the frame update carried it.</summary>
    static JobUpdate.Frame FrameOf(int iteration, byte[] bytes)
    {
        var info = Image.Identify(KnownImageFormats.Frames, bytes, out _);
        return new JobUpdate.Frame(iteration, info?.Width ?? 0, info?.Height ?? 0, ContentTypeOf(bytes), bytes);
    }

    /// <summary>Everything known about a job, and the number of the last update it includes; null when the job is unknown.</summary>
    public async Task<(JobUpdate.Snapshot Snapshot, long Sequence, Requester Owner)?> SnapshotAsync(string jobId)
    {
        var answer = await Db.ScriptEvaluateAsync(SnapshotScript, [Job(jobId), Log(jobId), Frames(jobId), Sequence(jobId)]);
        if (answer.IsNull) return null;
        var parts = (RedisResult[])answer!;
        var fields = ((RedisResult[])parts[1]!).Select(r => (string?)r).ToArray();
        var job = Enumerable.Range(0, fields.Length / 2).ToDictionary(i => fields[2 * i]!, i => fields[2 * i + 1] ?? "");
        var history = ((RedisResult[])parts[2]!)
            .Select(entry => JsonSerializer.Deserialize<JobUpdate>(((string)entry!).Split('|', 2)[1], Json))
            .OfType<JobUpdate.Progress>().Select(p => p.Loss).ToArray();
        JobUpdate.Frame? latest = null;
        if (!parts[3].IsNull && (byte[]?)parts[3] is { } frameBytes && int.TryParse(job.GetValueOrDefault("frame"), out var iteration))
        {
            latest = FrameOf(iteration, frameBytes);
        }
        var options = JsonSerializer.Deserialize<StyleTransferOptions>(job["options"], Json)!;
        var snapshot = new JobUpdate.Snapshot(jobId, job["backbone"], options, Enum.Parse<JobState>(job["state"]),
            int.Parse(job.GetValueOrDefault("position", "0")), int.Parse(job.GetValueOrDefault("attempt", "0")), history, latest,
            job.GetValueOrDefault("message") is { Length: > 0 } message ? message : null,
            job.GetValueOrDefault("shareLink") is { Length: > 0 } link ? link : null,
            Guid.TryParse(job.GetValueOrDefault("resultId"), out var resultId) ? resultId : null);
        var owner = new Requester(job["owner"], job.GetValueOrDefault("address") is { Length: > 0 } address ? address : null);
        return (snapshot, long.Parse((string)parts[0]!), owner);
    }

    /// <summary>The job as its ticket, with its pictures decoded; null when it (or its pictures) is gone.</summary>
    public async Task<JobTicket?> TicketAsync(string jobId)
    {
        var job = (await Db.HashGetAllAsync(Job(jobId))).ToDictionary(e => (string)e.Name!, e => e.Value);
        var inputs = await Db.HashGetAllAsync(Inputs(jobId));
        if (job.Count == 0 || inputs.Length == 0) return null;
        var pictures = inputs.OrderBy(e => (int)e.Name).Select(e => Image.Load<Rgb24>(KnownImageFormats.Frames, (byte[])e.Value!)).ToList();
        return new JobTicket(jobId, new Requester((string)job["owner"]!, job["address"] is { IsNullOrEmpty: false } a ? (string)a! : null),
            (string)job["backbone"]!, JsonSerializer.Deserialize<StyleTransferOptions>((string)job["options"]!, Json)!,
            DateTimeOffset.FromUnixTimeMilliseconds((long)job["created"]), pictures[0], pictures[1..]);
    }

    /// <summary>Creates the workers' consumer group (and the stream) if they are not there yet, e.g. after Redis lost its data.</summary>
    public async Task EnsureGroupAsync()
    {
        try { await Db.StreamCreateConsumerGroupAsync(Stream, Group, StreamPosition.Beginning, createStream: true); }
        catch (RedisServerException e) when (e.Message.StartsWith("BUSYGROUP", StringComparison.Ordinal)) { }
    }

    public Task<long> WaitingAsync() => Db.SortedSetLengthAsync(Queued);

    /// <summary>"sequence|json" as published: the update and its number.</summary>
    public static (long Sequence, JobUpdate Update) Parse(string message)
    {
        var bar = message.IndexOf('|');
        return (long.Parse(message.AsSpan(0, bar)), JsonSerializer.Deserialize<JobUpdate>(message.AsSpan(bar + 1), Json)!);
    }

    static byte[] EncodePng(Image<Rgb24> image)
    {
        using var stream = new MemoryStream();
        // Fast over small: the pictures live only while the job waits and runs.
        image.Save(stream, new PngEncoder { CompressionLevel = PngCompressionLevel.BestSpeed });
        return stream.ToArray();
    }

    static string ContentTypeOf(byte[] bytes) => bytes is [0x52, 0x49, 0x46, 0x46, ..] ? "image/webp" : "image/jpeg";
}

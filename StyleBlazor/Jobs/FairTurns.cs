namespace StyleBlazor.Jobs;

/// <summary>
/// The fairness rule of the waiting line: round-robin across clients (a client is its network address, or its owner
/// when the address is unknown), so two addresses with many jobs cannot make everyone else wait behind all of them.
/// Each waiting job gets a turn: the one after its client's previous job, but not earlier than the round in progress
/// (the turn of the job that started last), so a client that was away gets no credit for it. The line runs in order of
/// (turn, arrival): a newcomer's first job joins the round in progress and waits behind at most one job of each other
/// client. Any queue can keep this order: the in-process <see cref="JobQueue"/> keeps its list sorted by it; a shared
/// one can score each job by its turn.
/// </summary>
public sealed class FairTurns
{
    readonly Dictionary<string, long> _lastTurn = new(StringComparer.Ordinal);
    long _current;

    /// <summary>Whose turn a job takes: its client's address, else its owner.</summary>
    public static string ClientOf(Requester requester) => requester.ClientAddress ?? "owner:" + requester.OwnerId;

    /// <summary>The turn of a new job from <paramref name="client"/>.</summary>
    public long Next(string client)
    {
        long turn = Math.Max(_current, _lastTurn.GetValueOrDefault(client) + 1);
        _lastTurn[client] = turn;
        return turn;
    }

    /// <summary>A job of turn <paramref name="turn"/> started: that round is now in progress.</summary>
    public void Started(long turn)
    {
        if (turn <= _current) return;
        _current = turn;
        // A client whose last turn is before the round in progress would start there anyway: forget it.
        foreach (var client in _lastTurn.Where(c => c.Value < _current).Select(c => c.Key).ToList()) _lastTurn.Remove(client);
    }
}

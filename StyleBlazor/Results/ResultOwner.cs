namespace StyleBlazor.Results;

/// <summary>
/// The browser session that owns results: the <c>sb-session</c> cookie the job service sets. Scoped, so a circuit
/// reads it once; during prerendering and when the circuit connects, the request carries the browser's cookies.
/// Stands in until the service's own session accessor is on main.
/// </summary>
public sealed class ResultOwner(IHttpContextAccessor accessor)
{
    public const string CookieName = "sb-session";
    private bool _read;
    private string? _id;

    public string? Id
    {
        get
        {
            if (_read) return _id;
            var value = accessor.HttpContext?.Request.Cookies[CookieName];
            // A session id is a short random string; anything else is not ours.
            _id = value is { Length: >= 16 and <= 256 } ? value : null;
            _read = accessor.HttpContext is not null;
            return _id;
        }
    }
}

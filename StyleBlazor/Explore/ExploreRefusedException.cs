namespace StyleBlazor.Explore;

/// <summary>Why the explorer cannot answer a request; the page says it in the user's language (<c>ExploreRefused_{reason}</c>).</summary>
public enum ExploreRefusal
{
    /// <summary>No job with that id (or it was forgotten, or its result was revoked).</summary>
    UnknownJob,
    /// <summary>No result at that share link.</summary>
    UnknownLink,
    /// <summary>The share link was revoked, or its result has expired.</summary>
    LinkWithdrawn,
    /// <summary>The run's backbone has no such layer. Arguments: the layer, the backbone, its layers.</summary>
    UnknownLayer,
    /// <summary>The run's backbone is not offered by this server (any more). Argument: the backbone.</summary>
    BackboneUnavailable,
    /// <summary>The run has no such picture (yet): no frame so far, or its pictures were not kept.</summary>
    PictureNotAvailable,
    /// <summary>This node runs no engine (a web node of several), so it cannot look into a network.</summary>
    EngineUnavailable,
}

/// <summary>A request the explorer refuses, with the reason and what the message names (<see cref="Arguments"/>).</summary>
public sealed class ExploreRefusedException(ExploreRefusal reason, string message, params object[] arguments) : Exception(message)
{
    public ExploreRefusal Reason { get; } = reason;
    public IReadOnlyList<object> Arguments { get; } = arguments;
}

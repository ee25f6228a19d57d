namespace StyleBlazor.Results;

/// <summary>Marks the Blazor page at /r/{Token}, so <see cref="ShareLinkMiddleware"/> can give it the right status code.</summary>
[AttributeUsage(AttributeTargets.Class)]
public sealed class ShareLinkPageAttribute : Attribute;

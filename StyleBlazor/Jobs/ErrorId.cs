using System.Security.Cryptography;

namespace StyleBlazor.Jobs;

/// <summary>
/// A short id that ties what a user is told ("error 3f9c0a1e") to the log entry with the details, so exception messages
/// (paths, library internals) stay in the log.
/// </summary>
public static class ErrorId
{
    /// <summary>8 random hex digits.</summary>
    public static string New() => Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(4));
}

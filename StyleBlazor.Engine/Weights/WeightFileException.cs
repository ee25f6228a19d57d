namespace StyleBlazor.Engine.Weights;

/// <summary>
/// A weights file that exists but cannot give a VGG19: unreadable, a layer missing, or a tensor of the wrong shape.
/// The message starts with the file name and says what was found and what was expected, so it can be shown to the
/// user as is.
/// </summary>
public sealed class WeightFileException : Exception
{
    public WeightFileException(string filePath, string problem, Exception? innerException = null)
        : base($"{Path.GetFileName(filePath)}: {problem}", innerException)
    {
        FilePath = filePath;
    }

    /// <summary>The file as it was given to the loader.</summary>
    public string FilePath { get; }
}

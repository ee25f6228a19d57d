using SixLabors.ImageSharp.PixelFormats;
using StyleBlazor.Engine.Imaging;
using Image = SixLabors.ImageSharp.Image;

namespace StyleBlazor.Cli;

/// <summary>Reads an image file for the CLI through the same intake the web app uses.</summary>
static class CliImages
{
    static readonly ImageIntake Intake = new(new ImageIntakeOptions());

    public static async Task<SixLabors.ImageSharp.Image<Rgb24>> LoadAsync(string path, CancellationToken cancellationToken)
    {
        if (!File.Exists(path)) throw new CliException($"file not found: {path}");
        await using var file = File.OpenRead(path);
        try
        {
            return await Intake.DecodeAsync(file, cancellationToken);
        }
        catch (ImageRejectedException e)
        {
            throw new CliException($"{path}: {e.Message}");
        }
    }
}

using System.Text.Json;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;
using StyleBlazor.Cli;
using StyleBlazor.Engine.Backbones;
using StyleBlazor.Tests.Support;

namespace StyleBlazor.Tests.Cli;

public class StylizeCommandTests : IDisposable
{
    static readonly string Samples = Path.Combine(AppContext.BaseDirectory, "wwwroot-assets", "samples");
    static readonly string Cat = Path.Combine(Samples, "photo-chelsea-cat.png");
    static readonly string StarryNight = Path.Combine(Samples, "art-van-gogh-starry-night.jpg");
    static readonly string GreatWave = Path.Combine(Samples, "art-hokusai-great-wave.png");
    readonly TemporaryWeightsDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    static async Task<(int Code, string Out, string Err)> Stylize(params string[] args)
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        int code = await StylizeCommand.RunAsync(args, stdout, stderr);
        return (code, stdout.ToString(), stderr.ToString());
    }

    [Fact]
    public async Task RandomWeightsVgg19WritesThePngAndOneJsonObjectPerIteration()
    {
        var output = _dir.File("out.png");
        var (code, stdout, stderr) = await Stylize("--content", Cat, "--style", StarryNight, "--out", output,
            "--random-weights", "--size", "64", "--iterations", "5", "--seed", "3", "--progress-json");

        Assert.True(code == 0, stderr);
        var lines = stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonDocument.Parse(l).RootElement).ToList();
        Assert.Equal([0, 1, 2, 3, 4, 5], lines.Select(l => l.GetProperty("iteration").GetInt32()));
        var layers = lines[0].GetProperty("J_S_layers").EnumerateObject().Select(p => p.Name).ToArray();
        Assert.Equal(["block1_conv1", "block2_conv1", "block3_conv1", "block4_conv1", "block5_conv1"], layers);
        foreach (var line in lines)
        {
            // (5) with the article's α = 1e3, β = 1e-2 and no TV.
            double j = line.GetProperty("J").GetDouble(), jc = line.GetProperty("J_C").GetDouble(), js = line.GetProperty("J_S").GetDouble();
            Assert.Equal(1e3 * jc + 1e-2 * js, j, j * 1e-4);
        }
        Assert.Equal(0.0, lines[0].GetProperty("J_C").GetDouble()); // the initial image is the content image

        var info = Image.Identify(output);
        Assert.Equal((64, 43), (info.Width, info.Height)); // 451×300 with the longest side at 64
    }

    [Theory]
    [InlineData("vgg19.h5")]
    [InlineData("vgg19.pth")]
    public async Task Vgg19RunsFromAGeneratedWeightsFile(string fileName)
    {
        var weights = _dir.File(fileName);
        using (var source = Vgg19Backbone.CreateRandom(seed: 5, widthDivisor: 8))
        {
            var state = Vgg19WeightFiles.StateDictOf(source);
            if (fileName.EndsWith(".h5")) Vgg19WeightFiles.WriteKeras(weights, state);
            else Vgg19WeightFiles.WriteTorchVision(weights, state);
            Vgg19WeightFiles.DisposeAll(state);
        }
        var output = _dir.File("out.png");

        var (code, stdout, stderr) = await Stylize("--content", Cat, "--style", StarryNight, "--out", output,
            "--weights", weights, "--size", "48", "--iterations", "3");

        Assert.True(code == 0, stderr);
        Assert.Contains("vgg19", stdout);
        Assert.Equal(48, Image.Identify(output).Width);
    }

    [Fact]
    public async Task TheEmbeddedResNet18IsTheDefaultBackbone()
    {
        var output = _dir.File("out.png");
        var (code, stdout, stderr) = await Stylize("--content", Cat, "--style", StarryNight, "--out", output, "--size", "64", "--iterations", "4");

        Assert.True(code == 0, stderr);
        Assert.Contains("resnet18", stdout);
        var info = Image.Identify(output);
        Assert.Equal((64, 32), (info.Width, info.Height)); // ResNet18 sides are multiples of 32
    }

    [Fact]
    public async Task BFloat16PrecisionPaintsWhatFloat32Paints()
    {
        string full = _dir.File("float32.png"), reduced = _dir.File("bfloat16.png");
        string[] common = ["--content", Cat, "--style", StarryNight, "--size", "64", "--iterations", "6", "--progress-json"];
        var (code32, stdout32, stderr32) = await Stylize([.. common, "--out", full, "--precision", "float32"]);
        var (code16, stdout16, stderr16) = await Stylize([.. common, "--out", reduced, "--precision", "bfloat16"]);

        Assert.True(code32 == 0, stderr32);
        Assert.True(code16 == 0, stderr16);
        double LastJ(string stdout) => JsonDocument.Parse(stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Last(l => l.StartsWith('{'))).RootElement.GetProperty("J").GetDouble();
        Assert.Equal(LastJ(stdout32), LastJ(stdout16), LastJ(stdout32) * 0.05); // same descent, to bfloat16's rounding
        using var a = Image.Load<Rgb24>(full);
        using var b = Image.Load<Rgb24>(reduced);
        double meanDifference = 0;
        for (int y = 0; y < a.Height; y++)
            for (int x = 0; x < a.Width; x++)
                meanDifference += Math.Abs(a[x, y].R - b[x, y].R) + Math.Abs(a[x, y].G - b[x, y].G) + Math.Abs(a[x, y].B - b[x, y].B);
        meanDifference /= 3.0 * a.Width * a.Height;
        Assert.InRange(meanDifference, 0.01, 4); // not the same computation, but the same picture
    }

    [Theory]
    [InlineData(2, "--precision must be auto, float32 or bfloat16 (got 'half')", "--content", "a", "--style", "b", "--out", "o.png", "--precision", "half")]
    [InlineData(2, "--content is required", "--style", "x.jpg", "--out", "o.png")]
    [InlineData(2, "unknown option '--colour'", "--colour", "red")]
    [InlineData(2, "--size must be an integer (got 'big')", "--content", "a", "--style", "b", "--out", "o.png", "--size", "big")]
    [InlineData(2, "file not found: missing.jpg", "--content", "missing.jpg", "--style", "b", "--out", "o.png")]
    [InlineData(2, "--out must be a .png file", "--content", "a", "--style", "b", "--out", "o.jpg")]
    [InlineData(2, "--style-weights has 2 weights for 1 style pictures: give one per style, in the same order.", "--content", "a", "--style", "b", "--style-weights", "1,2", "--out", "o.png")]
    [InlineData(2, "TV weight must be a finite number ≥ 0 (got -1).", "--content", "a", "--style", "b", "--out", "o.png", "--tv-weight", "-1")]
    [InlineData(2, "--style-weights must be numbers separated by commas (got '1;2')", "--content", "a", "--style", "b", "--style-weights", "1;2", "--out", "o.png")]
    [InlineData(2, "at most 4 --style images (got 5)", "--content", "a", "--style", "b", "--style", "b", "--style", "b", "--style", "b", "--style", "b", "--out", "o.png")]
    [InlineData(2, "--preserve-colors must be one of none, luminance, histogram (got 'warm')", "--content", "a", "--style", "b", "--out", "o.png", "--preserve-colors", "warm")]
    [InlineData(2, "--pooling must be one of max, avg (got 'mean')", "--content", "a", "--style", "b", "--out", "o.png", "--pooling", "mean")]
    [InlineData(2, "--style-scale must be a number (got 'big')", "--content", "a", "--style", "b", "--out", "o.png", "--style-scale", "big")]
    [InlineData(2, "--optimizer must be one of adam, lbfgs (got 'sgd')", "--content", "a", "--style", "b", "--out", "o.png", "--optimizer", "sgd")]
    [InlineData(2, "--lr is Adam's step size; L-BFGS takes its own step (leave --lr out, or use --optimizer adam).", "--content", "a", "--style", "b", "--out", "o.png", "--optimizer", "lbfgs", "--lr", "2")]
    public async Task BadArgumentsExitNonZeroWithOneLine(int expectedCode, string message, params string[] args)
    {
        var (code, _, stderr) = await Stylize(args);
        Assert.Equal(expectedCode, code);
        Assert.Contains(message, stderr);
        Assert.Single(stderr.TrimEnd().Split('\n'));
    }

    [Fact]
    public async Task AveragePoolingOnResNet18IsRefusedNamingTheFlagAndTheBackbone()
    {
        var output = _dir.File("out.png");
        var (code, _, stderr) = await Stylize("--content", Cat, "--style", StarryNight, "--out", output, "--pooling", "avg", "--size", "64", "--iterations", "2");

        Assert.Equal(2, code);
        Assert.Equal("stylize: --pooling avg is not available on resnet18, which pools by max only (average pooling replaces VGG19's max pools).",
            stderr.TrimEnd());
        Assert.False(File.Exists(output));
    }

    [Fact]
    public async Task LbfgsLowersJFromTheCommandLineAndReportsEveryIteration()
    {
        var (code, stdout, stderr) = await Stylize("--content", Cat, "--style", StarryNight, "--out", _dir.File("out.png"),
            "--random-weights", "--size", "48", "--iterations", "10", "--optimizer", "lbfgs", "--progress-json");

        Assert.True(code == 0, stderr);
        var lines = stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonDocument.Parse(l).RootElement).ToList();
        Assert.Equal(Enumerable.Range(0, 11), lines.Select(l => l.GetProperty("iteration").GetInt32()));
        double first = lines[0].GetProperty("J").GetDouble(), last = lines[^1].GetProperty("J").GetDouble();
        Assert.True(last < first * 0.95, $"J {first} → {last}");
    }

    [Fact]
    public async Task TwoStylesWeightedOneAndZeroPaintTheFirstStylesPictureBitForBit()
    {
        string alone = _dir.File("alone.png"), blended = _dir.File("blended.png");
        string[] common = ["--content", Cat, "--style", StarryNight, "--size", "64", "--iterations", "4", "--seed", "3"];
        var (codeAlone, _, stderrAlone) = await Stylize([.. common, "--out", alone]);
        var (codeBlended, _, stderrBlended) = await Stylize([.. common, "--style", GreatWave, "--style-weights", "1,0", "--out", blended]);
        var (codeEven, _, stderrEven) = await Stylize([.. common, "--style", GreatWave, "--style-weights", "1,1", "--out", _dir.File("even.png")]);

        Assert.True(codeAlone == 0, stderrAlone);
        Assert.True(codeBlended == 0, stderrBlended);
        Assert.True(codeEven == 0, stderrEven);
        Assert.Equal(Pixels(alone), Pixels(blended));
        Assert.NotEqual(Pixels(alone), Pixels(_dir.File("even.png"))); // the second style's weight does reach the picture
    }

    static byte[] Pixels(string png)
    {
        using var image = Image.Load<Rgb24>(png);
        var pixels = new byte[image.Width * image.Height * 3];
        image.CopyPixelDataTo(pixels);
        return pixels;
    }

    [Fact]
    public async Task EveryStyleControlTogetherRunsToTheEnd()
    {
        var output = _dir.File("out.png");
        var (code, stdout, stderr) = await Stylize("--content", Cat, "--style", StarryNight, "--style", GreatWave, "--style-weights", "2,1",
            "--out", output, "--random-weights", "--size", "48", "--iterations", "3", "--optimizer", "lbfgs",
            "--preserve-colors", "luminance", "--style-scale", "0.5", "--pooling", "avg", "--progress-json");

        Assert.True(code == 0, stderr);
        Assert.Equal(4, stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Length);
        Assert.Equal(48, Image.Identify(output).Width);
    }

    [Theory]
    [InlineData("Style scale must be between 0.25 and 2 (got 3)", "--style-scale", "3")]
    [InlineData("Style scale must be between 0.25 and 2 (got 0.2)", "--style-scale", "0.2")]
    [InlineData("Style blend weights must not all be zero", "--style-weights", "0")]
    [InlineData("Style blend weights must be finite numbers ≥ 0", "--style-weights", "-1")]
    public async Task OutOfRangeStyleControlsAreRefusedWithTheFieldName(string message, params string[] option)
    {
        var (code, _, stderr) = await Stylize(["--content", Cat, "--style", StarryNight, "--out", _dir.File("o.png"), .. option]);

        Assert.Equal(2, code);
        Assert.Contains(message, stderr);
        Assert.Single(stderr.TrimEnd().Split('\n'));
    }

    [Fact]
    public async Task AFileThatIsNotAnImageIsRefusedByName()
    {
        var fake = _dir.File("notes.jpg");
        File.WriteAllText(fake, "<html><script>alert(1)</script></html>");
        var (code, _, stderr) = await Stylize("--content", fake, "--style", StarryNight, "--out", _dir.File("o.png"));
        Assert.Equal(2, code);
        Assert.Contains("HTML", stderr);
    }

    [Fact]
    public async Task Vgg19WithoutWeightsIsRefusedUnlessAskedForRandomWeights()
    {
        var (code, _, stderr) = await Stylize("--content", Cat, "--style", StarryNight, "--out", _dir.File("o.png"), "--backbone", "vgg19");
        Assert.Equal(2, code);
        Assert.Contains("--random-weights", stderr);
    }

    [Fact]
    public async Task OutOfRangeParametersAreRefusedWithTheFieldName()
    {
        var (code, _, stderr) = await Stylize("--content", Cat, "--style", StarryNight, "--out", _dir.File("o.png"), "--iterations", "0");
        Assert.Equal(2, code);
        Assert.Contains("Iterations must be between 1 and 100000", stderr);
    }
}

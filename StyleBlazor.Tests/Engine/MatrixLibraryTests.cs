using System.Runtime.Intrinsics.X86;
using System.Text;
using StyleBlazor.Engine;
using static TorchSharp.torch;

namespace StyleBlazor.Tests.Engine;

public class MatrixLibraryTests
{
    [Fact]
    public void WithoutAPreloadMklTakesTheAnswerTheBuildMadeOrElseFollowsTheCpuVendor()
    {
        Assert.DoesNotContain(MatrixLibrary.PreloadFileName, Environment.GetEnvironmentVariable("LD_PRELOAD") ?? "");
        using var _ = ones(1); // libtorch loaded, as it is before the service asks
        if (File.Exists(MatrixLibrary.BuiltAnswer))
        {
            // The build made it (gcc; .ci/run installs it) and the engine loaded it: Intel's kernels on any CPU.
            Assert.Equal(MklCodePath.IntelByPreload, MatrixLibrary.CodePath);
            Assert.Contains($"({MatrixLibrary.PreloadFileName}, built with the app, loaded before libtorch)", MatrixLibrary.Describe());
            return;
        }
        var (_, ebx, ecx, edx) = X86Base.CpuId(0, 0);
        string vendor = Encoding.ASCII.GetString([.. BitConverter.GetBytes(ebx), .. BitConverter.GetBytes(edx), .. BitConverter.GetBytes(ecx)]);

        var expected = vendor == "GenuineIntel" ? MklCodePath.Intel : MklCodePath.Generic;
        Assert.Equal(expected, MatrixLibrary.CodePath);
        if (expected == MklCodePath.Generic)
            Assert.Contains($"install gcc and build again, or preload {MatrixLibrary.PreloadFileName}", MatrixLibrary.Describe());
    }
}

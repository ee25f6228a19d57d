using System.Collections.Immutable;
using System.Reflection.Metadata;
using System.Reflection.PortableExecutable;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.Formats;
using StyleBlazor.Engine.Imaging;

namespace StyleBlazor.Tests.Hardening;

/// <summary>
/// ImageSharp 2.1.13 has advisories fixed only in 4.x: the TIFF CCITT T4/T6 encoders and ICC CLUT parsing
/// (suppressed in Directory.Build.props as unreachable). These keep them unreachable: the app's code names no TIFF or ICC
/// type, every decode uses a configuration of <see cref="KnownImageFormats"/>, and those hold four formats that ignore metadata.
/// </summary>
public class ImageSharpReachabilityTests
{
    static readonly string[] AppAssemblies = ["StyleBlazor.dll", "StyleBlazor.Engine.dll"];

    [Fact]
    public void OurConfigurationsDecodeOnlyJpegPngWebpAndGifAndIgnoreMetadata()
    {
        foreach (var configuration in new[] { KnownImageFormats.Frames, KnownImageFormats.Create(64) })
        {
            var formats = configuration.ImageFormats.Select(f => f.Name).Order().ToArray();
            Assert.Equal(["GIF", "JPEG", "PNG", "Webp"], formats);
            foreach (var format in configuration.ImageFormats)
            {
                var decoder = configuration.ImageFormatsManager.FindDecoder(format);
                // ICC profiles (and EXIF, XMP) are read only by a decoder that keeps metadata.
                Assert.True((bool)decoder.GetType().GetProperty("IgnoreMetadata")!.GetValue(decoder)!, $"{format.Name} decoder keeps metadata");
            }
        }
    }

    [Fact]
    public async Task ATiffUploadIsRefusedBeforeAnyTiffCodeRuns()
    {
        var intake = new ImageIntake(new ImageIntakeOptions());
        using var tiff = new MemoryStream();
        using (var image = new SixLabors.ImageSharp.Image<SixLabors.ImageSharp.PixelFormats.L8>(32, 32))
            image.Save(tiff, new SixLabors.ImageSharp.Formats.Tiff.TiffEncoder());

        var refused = await Assert.ThrowsAsync<ImageRejectedException>(() => intake.DecodeAsync(tiff.ToArray()));

        Assert.Equal(ImageRejection.UnsupportedFormat, refused.Code);
    }

    [Theory]
    [InlineData("SixLabors.ImageSharp.Formats.Tiff")]
    [InlineData("SixLabors.ImageSharp.Metadata.Profiles.Icc")]
    public void NoAppCodeNamesATypeOf(string imageSharpNamespace)
    {
        foreach (var (assembly, reader) in AppMetadata())
        {
            var named = reader.TypeReferences.Select(h => reader.GetTypeReference(h))
                .Select(t => reader.GetString(t.Namespace) + "." + reader.GetString(t.Name))
                .Where(n => n.StartsWith(imageSharpNamespace + ".", StringComparison.Ordinal));
            Assert.True(!named.Any(), $"{assembly} uses {string.Join(", ", named)}");
        }
    }

    /// <summary>
    /// <c>Image.Load(bytes)</c> without a configuration decodes with ImageSharp's default one, which has the TIFF
    /// decoder and keeps ICC profiles; every call in the app must pass one.
    /// </summary>
    [Fact]
    public void EveryDecodingCallPassesAConfiguration()
    {
        string[] decoding = ["Load", "LoadAsync", "Identify", "IdentifyAsync", "DetectFormat", "DetectFormatAsync", "Decode"];
        var calls = new List<string>();
        foreach (var (assembly, reader) in AppMetadata())
            foreach (var handle in reader.MemberReferences)
            {
                var member = reader.GetMemberReference(handle);
                if (member.GetKind() != MemberReferenceKind.Method || member.Parent.Kind != HandleKind.TypeReference) continue;
                var type = reader.GetTypeReference((TypeReferenceHandle)member.Parent);
                if (reader.GetString(type.Namespace) != "SixLabors.ImageSharp" || reader.GetString(type.Name) != "Image") continue;
                var name = reader.GetString(member.Name);
                if (!decoding.Contains(name)) continue;
                var signature = member.DecodeMethodSignature(new TypeNames(), null);
                calls.Add($"{assembly}: Image.{name}({string.Join(", ", signature.ParameterTypes)})");
            }

        Assert.NotEmpty(calls); // the scan sees the app's calls (ImageIntake detects formats, the GIF reads frames)
        Assert.All(calls, call => Assert.Matches(@"\((SixLabors\.ImageSharp\.Configuration|SixLabors\.ImageSharp\.Formats\.DecoderOptions)[,)]", call));
    }

    static IEnumerable<(string Assembly, MetadataReader Reader)> AppMetadata()
    {
        foreach (var name in AppAssemblies)
        {
            using var pe = new PEReader(File.OpenRead(Path.Combine(AppContext.BaseDirectory, name)));
            yield return (name, pe.GetMetadataReader());
        }
    }

    /// <summary>Type names from signatures, enough to tell which overload a call names.</summary>
    sealed class TypeNames : ISignatureTypeProvider<string, object?>
    {
        public string GetPrimitiveType(PrimitiveTypeCode typeCode) => typeCode.ToString();
        public string GetTypeFromDefinition(MetadataReader reader, TypeDefinitionHandle handle, byte rawTypeKind)
        {
            var type = reader.GetTypeDefinition(handle);
            return reader.GetString(type.Namespace) + "." + reader.GetString(type.Name);
        }
        public string GetTypeFromReference(MetadataReader reader, TypeReferenceHandle handle, byte rawTypeKind)
        {
            var type = reader.GetTypeReference(handle);
            return reader.GetString(type.Namespace) + "." + reader.GetString(type.Name);
        }
        public string GetTypeFromSpecification(MetadataReader reader, object? context, TypeSpecificationHandle handle, byte rawTypeKind) => "spec";
        public string GetSZArrayType(string elementType) => elementType + "[]";
        public string GetArrayType(string elementType, ArrayShape shape) => elementType + "[,]";
        public string GetByReferenceType(string elementType) => elementType + "&";
        public string GetPointerType(string elementType) => elementType + "*";
        public string GetGenericInstantiation(string genericType, ImmutableArray<string> typeArguments) => $"{genericType}<{string.Join(",", typeArguments)}>";
        public string GetGenericMethodParameter(object? context, int index) => $"!!{index}";
        public string GetGenericTypeParameter(object? context, int index) => $"!{index}";
        public string GetFunctionPointerType(MethodSignature<string> signature) => "fnptr";
        public string GetModifiedType(string modifier, string unmodifiedType, bool isRequired) => unmodifiedType;
        public string GetPinnedType(string elementType) => elementType;
    }
}

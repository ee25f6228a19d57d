using System.Net;
using StyleBlazor.Engine.Imaging;

namespace StyleBlazor.Tests.Engine.Imaging;

public class SafeFileNameTests
{
    [Theory]
    [InlineData("../../x.jpg", "x.jpg")]
    [InlineData("..\\..\\windows\\system32\\x.jpg", "x.jpg")]
    [InlineData("C:\\Users\\me\\Pictures\\cat.png", "cat.png")]
    [InlineData("/etc/passwd", "passwd")]
    [InlineData("..", "image")]
    [InlineData("../", "image")]
    [InlineData(".hidden.png", "hidden.png")]
    public void KeepsOnlyTheLastPathPart(string userName, string shown)
    {
        Assert.Equal(shown, SafeFileName.ForDisplay(userName));
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("   ")]
    [InlineData("\u202E\u200B")]
    public void ShowsAFallbackForNothingShowable(string? userName)
    {
        Assert.Equal("image", SafeFileName.ForDisplay(userName));
    }

    [Fact]
    public void RemovesTheRightToLeftOverrideThatDisguisesAnExtension()
    {
        // Shown raw, "photo\u202Egnp.exe" reads as "photoexe.png".
        Assert.Equal("photognp.exe", SafeFileName.ForDisplay("photo\u202Egnp.exe"));
    }

    [Fact]
    public void RemovesControlAndOtherInvisibleCharacters()
    {
        Assert.Equal("cat.png", SafeFileName.ForDisplay("c\0a\u0007t\r\n\u2066\u200D.\u0085png\u2029"));
    }

    [Fact]
    public void TruncatesA500CharacterNameTo80WithAnEllipsis()
    {
        var shown = SafeFileName.ForDisplay(new string('a', 496) + ".jpg");

        Assert.Equal(80, shown.Length);
        Assert.Equal(new string('a', 79) + "…", shown);
    }

    [Fact]
    public void TruncatesBetweenWholeCharacters()
    {
        var shown = SafeFileName.ForDisplay(string.Concat(Enumerable.Repeat("😀", 100)));

        Assert.Equal(string.Concat(Enumerable.Repeat("😀", 79)) + "…", shown);
    }

    [Theory]
    [InlineData("<img src=x onerror=alert(1)>.png", "<img src=x onerror=alert(1)>.png", "&lt;img src=x onerror=alert(1)&gt;.png")]
    [InlineData("<script>alert(1)</script>.jpg", "script>.jpg", "script&gt;.jpg")] // the "/" ends a path part
    public void LeavesMarkupToTheRendererWhoseEncodingMakesItHarmless(string userName, string shown, string rendered)
    {
        var name = SafeFileName.ForDisplay(userName);

        Assert.Equal(shown, name);
        Assert.Equal(rendered, WebUtility.HtmlEncode(name));
    }

    [Fact]
    public void KeepsAnOrdinaryNameAsIs()
    {
        Assert.Equal("Summer in Москва (2).jpeg", SafeFileName.ForDisplay("Summer in Москва (2).jpeg"));
    }
}

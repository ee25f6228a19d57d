using StyleBlazor.Results;

namespace StyleBlazor.Tests.Results;

public sealed class ShareTokenTests
{
    [Fact]
    public void ATokenIs32Base64UrlCharactersAndEachIsNew()
    {
        var tokens = Enumerable.Range(0, 1000).Select(_ => ShareToken.Create()).ToList();

        Assert.All(tokens, t => Assert.True(ShareToken.IsWellFormed(t), t));
        Assert.All(tokens, t => Assert.Matches("^[A-Za-z0-9_-]{32}$", t));
        Assert.Equal(tokens.Count, tokens.Distinct().Count());
    }

    [Fact]
    public void MalformedTokensLookUpAHashNoTokenHas()
    {
        Assert.Equal(new byte[32], ShareToken.LookupHash("../../etc/passwd"));
        Assert.Equal(new byte[32], ShareToken.LookupHash(null));
        var token = ShareToken.Create();
        Assert.Equal(ShareToken.Hash(token), ShareToken.LookupHash(token));
        Assert.NotEqual(new byte[32], ShareToken.Hash(token));
    }
}

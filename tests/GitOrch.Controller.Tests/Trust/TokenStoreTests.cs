using System.Text;
using GitOrch.Controller.Tests.Support;
using GitOrch.Controller.Trust;

namespace GitOrch.Controller.Tests.Trust;

/// <summary>Tokens: stored as hashes only, with expiry and revocation, kinds kept apart.</summary>
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public sealed class TokenStoreTests : IDisposable
{
    private readonly TempDir _state = new("gitorch-tokens");
    private readonly ManualTime _time = new();

    [Fact]
    public void Secrets_AreNeverStored_OnlyTheirHashes()
    {
        string secret;
        using (var store = new TokenStore(_state.Path, _time))
        {
            secret = store.Create("alice", TokenStore.ApiKind, Identities.AdminRole, null, "test");
        }

        var bytes = Directory.EnumerateFiles(_state.Path, TokenStore.FileName + "*").SelectMany(File.ReadAllBytes).ToArray();
        Assert.NotEmpty(bytes);
        Assert.DoesNotContain(secret, Encoding.Latin1.GetString(bytes), StringComparison.Ordinal);
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(Path.Combine(_state.Path, TokenStore.FileName)));
    }

    [Fact]
    public void AToken_IsValidUntilItsExpiry_ThenRefusedSayingSo()
    {
        using var store = new TokenStore(_state.Path, _time);
        var secret = store.Create("bob", TokenStore.ApiKind, Identities.ViewerRole, TimeSpan.FromHours(24), "test");
        Assert.Equal(Identities.ViewerRole, store.Check(secret, TokenStore.ApiKind).Token?.Role);
        _time.Advance(TimeSpan.FromHours(24));
        var check = store.Check(secret, TokenStore.ApiKind);
        Assert.False(check.Valid);
        Assert.Contains("the token bob expired at", check.Refusal, StringComparison.Ordinal);
    }

    [Fact]
    public void ARevokedToken_IsRefused_AndItsNameCanBeUsedAgain()
    {
        using var store = new TokenStore(_state.Path, _time);
        var old = store.Create("carol", TokenStore.ApiKind, Identities.AdminRole, null, "test");
        Assert.Throws<InvalidOperationException>(() => store.Create("carol", TokenStore.ApiKind, Identities.AdminRole, null, "test"));
        Assert.True(store.Revoke("carol"));
        Assert.Contains("was revoked", store.Check(old, TokenStore.ApiKind).Refusal, StringComparison.Ordinal);
        var fresh = store.Create("carol", TokenStore.ApiKind, Identities.AdminRole, null, "test");
        Assert.True(store.Check(fresh, TokenStore.ApiKind).Valid);
        Assert.False(store.Check(old, TokenStore.ApiKind).Valid);
        Assert.False(store.Revoke("nobody"));
    }

    [Fact]
    public void AJoinToken_IsNoApiToken_AndTheOtherWayRound()
    {
        using var store = new TokenStore(_state.Path, _time);
        var join = store.Create(store.NextName("join"), TokenStore.JoinKind, TokenStore.JoinRole, TimeSpan.FromHours(1), "test");
        var api = store.Create("dave", TokenStore.ApiKind, Identities.AdminRole, null, "test");
        Assert.False(store.Check(join, TokenStore.ApiKind).Valid);
        Assert.False(store.Check(api, TokenStore.JoinKind).Valid);
        Assert.Equal("join-2", store.NextName("join"));
    }

    public void Dispose() => _state.Dispose();
}

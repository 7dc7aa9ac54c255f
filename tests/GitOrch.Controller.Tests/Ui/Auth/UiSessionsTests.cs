using GitOrch.Controller.Ui.Auth;
using Microsoft.Extensions.Time.Testing;

namespace GitOrch.Controller.Tests.Ui.Auth;

public sealed class UiSessionsTests
{
    private static readonly UiIdentity Viewer = new("dana", "viewer");

    [Fact]
    public void Redeem_OpensASessionForTheMintingIdentity()
    {
        var sessions = new UiSessions(new FakeTimeProvider());
        var code = sessions.Mint(Viewer);

        var (token, session) = sessions.Redeem(code.Code)!.Value;

        Assert.Equal(Viewer, session.Identity);
        Assert.Equal(Viewer, sessions.Find(token)!.Identity);
    }

    [Fact]
    public void Redeem_RefusesACodeUsedOnce()
    {
        var sessions = new UiSessions(new FakeTimeProvider());
        var code = sessions.Mint(Viewer);
        Assert.NotNull(sessions.Redeem(code.Code));

        Assert.Null(sessions.Redeem(code.Code));
    }

    [Fact]
    public void Redeem_RefusesAnExpiredCode()
    {
        var time = new FakeTimeProvider();
        var sessions = new UiSessions(time);
        var code = sessions.Mint(Viewer);

        time.Advance(UiSessions.CodeLifetime);

        Assert.Null(sessions.Redeem(code.Code));
    }

    [Fact]
    public void Redeem_AcceptsACodeJustBeforeItExpires()
    {
        var time = new FakeTimeProvider();
        var sessions = new UiSessions(time);
        var code = sessions.Mint(Viewer);

        time.Advance(UiSessions.CodeLifetime - TimeSpan.FromSeconds(1));

        Assert.NotNull(sessions.Redeem(code.Code));
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("not-a-code")]
    [InlineData("<script>")]
    public void Redeem_RefusesUnknownCodes(string? code)
    {
        var sessions = new UiSessions(new FakeTimeProvider());
        sessions.Mint(Viewer);

        Assert.Null(sessions.Redeem(code));
    }

    [Fact]
    public void Redeem_RefusesAnOverlongCode_WithoutHashingIt()
    {
        var sessions = new UiSessions(new FakeTimeProvider());
        Assert.Null(sessions.Redeem(new string('a', 100_000)));
    }

    [Fact]
    public void Find_ForgetsASessionAfterItsLifetime()
    {
        var time = new FakeTimeProvider();
        var sessions = new UiSessions(time);
        var (token, _) = sessions.Redeem(sessions.Mint(Viewer).Code)!.Value;

        time.Advance(UiSessions.SessionLifetime - TimeSpan.FromSeconds(1));
        Assert.NotNull(sessions.Find(token));
        time.Advance(TimeSpan.FromSeconds(1));
        Assert.Null(sessions.Find(token));
    }

    [Fact]
    public void End_LogsOut()
    {
        var sessions = new UiSessions(new FakeTimeProvider());
        var (token, _) = sessions.Redeem(sessions.Mint(Viewer).Code)!.Value;

        sessions.End(token);

        Assert.Null(sessions.Find(token));
    }

    [Fact]
    public void Mint_KeepsTheCodeTableBounded_TheOldestGiveWay()
    {
        var sessions = new UiSessions(new FakeTimeProvider());
        var first = sessions.Mint(Viewer);
        LoginCode last = first;
        for (var i = 0; i < UiSessions.MaxCodes; i++)
        {
            last = sessions.Mint(Viewer);
        }

        Assert.Null(sessions.Redeem(first.Code));
        Assert.NotNull(sessions.Redeem(last.Code));
    }

    [Fact]
    public void Codes_AndTokens_AreUnguessableAndDistinct()
    {
        var sessions = new UiSessions(new FakeTimeProvider());
        var codes = Enumerable.Range(0, 100).Select(_ => sessions.Mint(Viewer).Code).ToList();

        Assert.Equal(100, codes.Distinct(StringComparer.Ordinal).Count());
        Assert.All(codes, c => Assert.True(c.Length >= 43, "a code carries 256 random bits"));
    }
}

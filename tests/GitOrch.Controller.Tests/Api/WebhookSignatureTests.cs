using System.Text;
using GitOrch.Controller.Api;

namespace GitOrch.Controller.Tests.Api;

public sealed class WebhookSignatureTests
{
    private static readonly byte[] Payload = Encoding.UTF8.GetBytes("Hello, World!");

    [Fact]
    public void Sign_MatchesGitHubsPublishedExample()
    {
        // docs.github.com, "Validating webhook deliveries": secret "It's a Secret to Everybody", payload "Hello, World!".
        Assert.Equal("sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17", WebhookSignature.Sign("It's a Secret to Everybody", Payload));
    }

    [Theory]
    [InlineData("sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17", true)]
    [InlineData("sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e18", false)]
    [InlineData("757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17", false)]
    [InlineData("sha1=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17", false)]
    [InlineData("", false)]
    [InlineData(null, false)]
    public void Verify_AcceptsOnlyTheExactSha256Signature(string? header, bool valid)
    {
        Assert.Equal(valid, WebhookSignature.Verify("It's a Secret to Everybody", Payload, header));
    }

    [Fact]
    public void Verify_RejectsATamperedBody()
    {
        var header = WebhookSignature.Sign("It's a Secret to Everybody", Payload);

        Assert.False(WebhookSignature.Verify("It's a Secret to Everybody", Encoding.UTF8.GetBytes("Hello, World?"), header));
    }
}

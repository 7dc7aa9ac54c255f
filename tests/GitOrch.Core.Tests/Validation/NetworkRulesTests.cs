using GitOrch.Core.Diagnostics;
using GitOrch.Core.Tests.Support;

namespace GitOrch.Core.Tests.Validation;

public class NetworkRulesTests
{
    private static string Policy(string prefix) => $"""
        apiVersion: gitorch.dev/v1
        kind: ClusterPolicy
        metadata: {"{"}name: cluster{"}"}
        spec:
          network:
            podPrefix: "{prefix}"
            ipv4Egress: true
        """;

    [Theory]
    [InlineData("fd12:3456:789a::/48")]
    [InlineData("FD12:3456:789A::/48")]
    [InlineData("fd00::/48")]
    public void Accepts_AUlaSlash48(string prefix) =>
        TestManifests.Validate(("policy.yaml", Policy(prefix))).NoErrors();

    [Theory]
    [InlineData("fd12:3456:789a::/64", "is a /64; the pod prefix must be a /48")]
    [InlineData("fd12:3456::/32", "is a /32; the pod prefix must be a /48")]
    [InlineData("fc12:3456:789a::/48", "is not a locally assigned ULA (fd00::/8)")]
    [InlineData("2001:db8:1::/48", "is not a locally assigned ULA (fd00::/8)")]
    [InlineData("fd12:3456:789a:1::/48", "sets bits past the 48th; the subnet and interface ids are the nodes' and pods'; write fd12:3456:789a::/48")]
    [InlineData("fd12:::/48", "is not an IPv6 prefix")]
    [InlineData("fd12:3456:789a::1:2:3:4:5:6/48", "is not an IPv6 prefix")]
    public void Rejects_APrefixThatIsNotAUlaSlash48_AtItsPosition(string prefix, string says)
    {
        var result = TestManifests.Validate(("policy.yaml", Policy(prefix)));

        var d = result.Single(DiagnosticCodes.BadPodPrefix);
        Assert.Equal(("policy.yaml", 6, 16), (d.File, d.Line, d.Column));
        Assert.StartsWith($"ClusterPolicy cluster: spec.network.podPrefix: \"{prefix}\" ", d.Message, StringComparison.Ordinal);
        Assert.Contains(says, d.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Rejects_APrefixThatIsNotAnAddressAtAll_ThroughTheSchema()
    {
        var result = TestManifests.Validate(("policy.yaml", Policy("10.0.0.0/8")));

        Assert.Contains(result.Diagnostics, d => d.Severity == DiagnosticSeverity.Error && d.Line == 6 && d.Message.Contains("podPrefix", StringComparison.Ordinal));
    }
}

using System.Text.Json.Nodes;
using GitOrch.Controller.Ui;
using GitOrch.Core.Schema;

namespace GitOrch.Controller.Tests.Ui;

public sealed class SecretMaskTests
{
    [Theory]
    [InlineData("""{"spec":{"containers":[{"name":"main","env":{"TOKEN":"s3cret"}}]}}""", "spec.containers[0].env.TOKEN")]
    [InlineData("""{"spec":{"initContainers":[{"name":"m","env":{"TOKEN":"s3cret"}}]}}""", "spec.initContainers[0].env.TOKEN")]
    [InlineData("""{"spec":{"next":{"spec":{"containers":[{"env":{"TOKEN":"s3cret"}}]}}}}""", "spec.next.spec.containers[0].env.TOKEN")]
    [InlineData("""{"spec":{"exec":{"command":["x"],"env":{"TOKEN":"s3cret"}}}}""", "spec.exec.env.TOKEN")]
    public void Mask_HidesEveryEnvValue_KeepingItsName(string json, string path)
    {
        var masked = SecretMask.Mask(JsonNode.Parse(json)!);

        Assert.Equal(SecretMask.Hidden, masked.SelectPath(path)!.ToString());
        Assert.DoesNotContain("s3cret", masked.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void Mask_LeavesTheOriginalAlone()
    {
        var original = JsonNode.Parse("""{"spec":{"containers":[{"env":{"A":"1"}}]}}""")!;

        SecretMask.Mask(original);

        Assert.Equal("1", original.SelectPath("spec.containers[0].env.A")!.ToString());
    }

    [Fact]
    public void Mask_AgainstAnEarlierVersion_MarksChangedValues()
    {
        var before = JsonNode.Parse("""{"spec":{"containers":[{"env":{"A":"1","B":"2"}}]}}""");
        var after = JsonNode.Parse("""{"spec":{"containers":[{"env":{"A":"1","B":"3","C":"4"}}]}}""")!;

        var masked = SecretMask.Mask(after, before);

        Assert.Equal(SecretMask.Hidden, masked.SelectPath("spec.containers[0].env.A")!.ToString());
        Assert.Equal(SecretMask.HiddenChanged, masked.SelectPath("spec.containers[0].env.B")!.ToString());
        Assert.Equal(SecretMask.HiddenChanged, masked.SelectPath("spec.containers[0].env.C")!.ToString());
    }

    [Theory]
    [InlineData("spec.containers[0].env.TOKEN", true)]
    [InlineData("spec.exec.env.X", true)]
    [InlineData("spec.containers[0].image", false)]
    [InlineData("metadata.labels.env", false)]
    public void IsEnvValue_KnowsEnvFields(string path, bool secret) => Assert.Equal(secret, SecretMask.IsEnvValue(path));
}

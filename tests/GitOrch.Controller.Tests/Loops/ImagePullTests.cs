using GitOrch.Controller.Loops;

namespace GitOrch.Controller.Tests.Loops;

public sealed class ImagePullTests
{
    [Theory]
    [InlineData(null, "image busybox:1.35 is not in node node-a's image store; import it there with `gitorch image import busybox:1.35 PATH --node node-a` (see example-repo/README.md)")]
    [InlineData("/srv/gitorch/agent", "image busybox:1.35 is not in node node-a's image store (/srv/gitorch/agent/images); import it there with `gitorch image import busybox:1.35 PATH --state /srv/gitorch/agent`")]
    [InlineData("/tmp/my state", "image busybox:1.35 is not in node node-a's image store (/tmp/my state/images); import it there with `gitorch image import busybox:1.35 PATH --state '/tmp/my state'`")]
    public void AMissingImage_NamesTheExactCommandThatImportsIntoTheStoreTheNodeUses(string? stateDir, string message) =>
        Assert.Equal(message, ImagePull.Missing("busybox:1.35", "node-a", stateDir));
}

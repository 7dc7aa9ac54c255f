using GitOrch.Controller.Snapshots;
using GitOrch.Core.Loading;
using GitOrch.Core.Ownership;
using GitOrch.Core.Validation;

namespace GitOrch.Controller.Tests.Snapshots;

public class ConfigSnapshotProviderTests
{
    private const string Policy = """
        apiVersion: gitorch.dev/v1
        kind: ClusterPolicy
        metadata: {name: cluster}
        spec:
          history: {keepVersions: 7}
        """;

    [Fact]
    public void BeforeAnyCommit_TheSnapshotHasTheBuiltInLoopsAndNoPolicy()
    {
        var snapshot = new ConfigSnapshotProvider().Current;

        Assert.Null(snapshot.Commit);
        Assert.Null(snapshot.ClusterPolicy);
        Assert.Equal(BuiltInLoops.All, snapshot.Loops);
        Assert.Equal(BuiltInLoops.All, snapshot.Admission.Loops);
    }

    [Fact]
    public void Publishing_ReplacesTheSnapshot_AndFiresTheOldOnesChangeToken_ButNotTheNewOnes()
    {
        var provider = new ConfigSnapshotProvider();
        var before = provider.Current;
        var fired = 0;
        using var registration = before.ChangeToken.RegisterChangeCallback(_ => fired++, null);
        var result = ManifestValidator.Validate([new ManifestFile("policy.yaml", Policy)]);

        provider.Publish("abc123", result);

        Assert.Equal(1, fired);
        Assert.True(before.ChangeToken.HasChanged);
        Assert.False(provider.Current.ChangeToken.HasChanged);
        Assert.Equal("abc123", provider.Current.Commit);
        Assert.Equal(7, provider.Current.ClusterPolicy?.Spec.History?.KeepVersions);
        Assert.Same(result.Objects.Single(), provider.Current.Admission.ClusterPolicy);
        Assert.Null(before.ClusterPolicy); // A reader's snapshot never changes under it.
    }
}

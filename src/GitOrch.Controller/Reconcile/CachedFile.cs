using GitOrch.Core.Loading;

namespace GitOrch.Controller.Reconcile;

/// <summary>A manifest file as loaded at some commit: the blob it came from and what it yielded.</summary>
internal sealed record CachedFile(string Blob, FileLoadResult Result)
{
    /// <summary>
    /// The file's size when it is over the default limit and was read because the ClusterPolicy
    /// allowed it: every later commit checks it again against its own policy.
    /// </summary>
    public long? LargeBytes { get; init; }
}

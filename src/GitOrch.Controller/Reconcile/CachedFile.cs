using GitOrch.Core.Loading;

namespace GitOrch.Controller.Reconcile;

/// <summary>A manifest file as loaded at some commit: the blob it came from and what it yielded.</summary>
internal sealed record CachedFile(string Blob, FileLoadResult Result);

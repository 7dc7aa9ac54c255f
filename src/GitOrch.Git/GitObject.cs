namespace GitOrch.Git;

/// <summary>An object read from a repository: its id, type and content.</summary>
public sealed record GitObject(string Id, string Type, byte[] Content);

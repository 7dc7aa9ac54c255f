namespace GitOrch.Controller.Trust;

/// <summary>A stored token (its secret is never stored, only its SHA-256). Kind is <c>api</c> (a role for the API) or <c>join</c> (a node join token).</summary>
public sealed record TokenRecord(string Name, string Kind, string Role, DateTimeOffset CreatedAt, DateTimeOffset? ExpiresAt, DateTimeOffset? RevokedAt, string CreatedBy);

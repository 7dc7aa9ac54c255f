namespace GitOrch.Contracts.Replication;

/// <summary>
/// The JSON body of a follower's refusal (HTTP 503): like every error body, <c>error</c> says what
/// happened and what to do; <c>leader</c> is the leader's API URL when this replica knows it (a
/// client may retry there, but only over TLS with a certificate from the cluster CA).
/// </summary>
/// <param name="Error">What happened and what to do, naming this replica and the leader.</param>
/// <param name="Replica">The replica that refused.</param>
/// <param name="LeaderName">The leader's replica name, when one is known.</param>
/// <param name="Leader">The leader's API URL, when one is known.</param>
public sealed record NotLeaderAnswer(string Error, string Replica, string? LeaderName, string? Leader);

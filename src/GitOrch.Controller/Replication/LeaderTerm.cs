namespace GitOrch.Controller.Replication;

/// <summary>
/// One term of leadership: the lease the leader key lives under, the key's create revision (the
/// fencing token every guarded write compares against), and a token cancelled the moment this
/// replica can no longer be sure it leads.
/// </summary>
public sealed record LeaderTerm(long LeaseId, long Revision, CancellationToken Lost);

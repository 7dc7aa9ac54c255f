namespace GitOrch.Core.Security;

/// <summary>
/// One way a pod asks to weaken its sandbox: the exception that permits it, the field (segments
/// relative to the pod spec) and a short description for messages.
/// </summary>
public sealed record Weakening(string Exception, IReadOnlyList<object> Field, string What);

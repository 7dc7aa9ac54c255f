using GitOrch.Core.Diagnostics;

namespace GitOrch.History.Store;

/// <summary>An object as a committed store transaction left it: its JSON, or null when it was deleted; and who wrote it.</summary>
public sealed record WrittenObject(ObjectRef Ref, string? ObjectJson, string Changer);

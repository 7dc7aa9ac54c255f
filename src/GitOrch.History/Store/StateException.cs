namespace GitOrch.History.Store;

/// <summary>The state folder cannot be used (locked by another process, corrupt, too new); the message says what to do.</summary>
public sealed class StateException(string message, Exception? inner = null) : Exception(message, inner);

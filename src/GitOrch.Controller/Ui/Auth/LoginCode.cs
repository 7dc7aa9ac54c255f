namespace GitOrch.Controller.Ui.Auth;

/// <summary>A single-use login code, as minted: the secret (shown once) and when it stops working.</summary>
public sealed record LoginCode(string Code, DateTimeOffset ExpiresAt);

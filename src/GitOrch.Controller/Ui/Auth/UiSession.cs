namespace GitOrch.Controller.Ui.Auth;

/// <summary>A logged-in browser: whose it is and until when it is valid.</summary>
public sealed record UiSession(UiIdentity Identity, DateTimeOffset ExpiresAt);

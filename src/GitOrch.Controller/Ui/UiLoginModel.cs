namespace GitOrch.Controller.Ui;

/// <summary>The answer to a login-code request: the path to open on the API's address (single use), until when, and the session's role.</summary>
public sealed record UiLoginModel(string Path, DateTimeOffset ExpiresAt, string Role);

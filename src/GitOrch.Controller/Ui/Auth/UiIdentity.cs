namespace GitOrch.Controller.Ui.Auth;

/// <summary>Who a web-view session belongs to: the name and role of the credential that asked for the login code.</summary>
public sealed record UiIdentity(string Name, string Role);

namespace GitOrch.Controller.Trust;

/// <summary>The verdict on a presented token: the token when valid, otherwise why not (a sentence that says what to do).</summary>
public sealed record TokenCheck(TokenRecord? Token, string? Refusal)
{
    public bool Valid => Token is not null;
}

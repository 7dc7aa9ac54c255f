using Microsoft.AspNetCore.Http;

namespace GitOrch.Controller.Ui.Pages;

/// <summary>What a browser without a session sees: refused, and how to log in.</summary>
internal static class LoginPage
{
    public static async Task WriteRefusedAsync(HttpContext context, int status, string why)
    {
        context.Response.StatusCode = status;
        UiHeaders.Apply(context.Response);
        context.Response.ContentType = "text/html; charset=utf-8";
        await context.Response.WriteAsync(Refused(status == 401 ? "Log in to GitOrch" : "Not allowed", why), context.RequestAborted);
    }

    public static string Refused(string title, string why)
    {
        var content = new Html().Add($"""
            <div class="refused">
            <h1>{title}</h1>
            <p>{why}</p>
            <p>The web view uses the same credentials as the API. On a machine with a GitOrch credential
            (an admin or viewer token), run:</p>
            <pre class="cmd">gitorch ui</pre>
            <p>It prints a single-use login link, valid for {(int)Auth.UiSessions.CodeLifetime.TotalMinutes} minutes, and opens it when it can.</p>
            </div>
            """);
        return Layout.Page(title, string.Empty, null, content);
    }

    /// <summary>After a code is redeemed: the cookie is set; a same-site navigation to the overview carries it.</summary>
    public static string Welcome() =>
        Layout.Page("Logged in", string.Empty, null, new Html().Add($"""
            <div class="refused">
            <h1>Logged in</h1>
            <p><a id="continue" href="/ui/">Continue to the overview</a>.</p>
            </div>
            """));
}

using Microsoft.AspNetCore.Http;

namespace GitOrch.Controller.Ui;

/// <summary>
/// Headers on every web view response: a strict content security policy (only the view's own
/// script and style; no inline script, so injected markup could not run even if it got through),
/// no framing, no sniffing, no referrer (login links carry a code), and no caching of data.
/// </summary>
internal static class UiHeaders
{
    public const string Policy =
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

    public static void Apply(HttpResponse response)
    {
        response.Headers.ContentSecurityPolicy = Policy;
        response.Headers.XContentTypeOptions = "nosniff";
        response.Headers.XFrameOptions = "DENY";
        response.Headers["Referrer-Policy"] = "no-referrer";
        response.Headers.CacheControl = "no-store";
    }
}

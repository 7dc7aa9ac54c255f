using System.Reflection;
using System.Security.Claims;
using System.Text;
using GitOrch.Controller.Ui.Auth;
using GitOrch.Controller.Ui.Pages;
using GitOrch.Core.Diagnostics;
using GitOrch.Core.Manifests;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace GitOrch.Controller.Ui;

/// <summary>
/// The web view under <c>/ui/</c>: server-rendered pages, two static assets, live updates by
/// server-sent events, and the login exchange. Every page needs a <c>UiSession</c>; only the login
/// exchange and the static assets (which carry no data) are open. Nothing here changes the
/// cluster: the only POST is log-out.
/// </summary>
public static class UiEndpoints
{
    /// <summary>The path of the API endpoint that mints a login code for its caller.</summary>
    public const string MintPath = "/api/v1/ui/login-codes";

    public static RouteHandlerBuilder Map(IEndpointRouteBuilder app, ControllerService controller, TimeProvider time)
    {
        var sessions = app.ServiceProvider.GetRequiredService<UiSessions>();
        var feed = new UiChangeFeed(controller, time);
        var stopping = app.ServiceProvider.GetRequiredService<IHostApplicationLifetime>().ApplicationStopping;

        // Open: the login exchange and assets without data.
        app.MapGet("/ui/static/{file}", (string file, HttpContext context) => Asset(file, context)).AllowAnonymous();
        app.MapGet("/ui/login", (string? code, HttpContext context) => Login(sessions, code, context)).AllowAnonymous();

        var ui = app.MapGroup("/ui").RequireAuthorization(UiSessionDefaults.Policy);
        ui.AddEndpointFilter(async (invocation, next) =>
        {
            UiHeaders.Apply(invocation.HttpContext.Response);
            return await next(invocation);
        });

        ui.MapGet("/", (HttpContext context) => Page(context, "Overview", "overview", OverviewPage.Render(controller, time)));
        ui.MapGet("/objects", (string? kind, string? @namespace, string? phase, string? node, HttpContext context) =>
            Page(context, "Objects", "objects", ObjectsPage.Render(controller, kind, @namespace, phase, node, time)));
        ui.MapGet("/objects/{kind}/{ns}/{name}", (string kind, string ns, string name, string? changer, string? mode, int? from, int? to, HttpContext context) =>
            Resolve(kind, ns, name) is { } obj
                ? Page(context, obj.Display, "objects", ObjectPage.Render(controller, obj, new ObjectPage.Query(changer, mode, from, to), MaskSecrets(context.User), time))
                : NotFound(context, $"unknown kind \"{kind}\"; use one of: {string.Join(", ", Kinds.All)}"));
        ui.MapGet("/why/{kind}/{ns}/{name}", async (string kind, string ns, string name, HttpContext context) =>
            Resolve(kind, ns, name) is { } obj
                ? Page(context, "Why " + obj.Display, "objects", await WhyPage.RenderAsync(controller, obj, time, context.RequestAborted))
                : NotFound(context, $"unknown kind \"{kind}\"; use one of: {string.Join(", ", Kinds.All)}"));
        ui.MapGet("/commits/{sha}", (string sha, HttpContext context) =>
            Page(context, "Commit " + OverviewPage.Short(sha), "overview", CommitPage.Render(controller, sha, time)));
        ui.MapGet("/events", (HttpContext context) => EventsAsync(context, feed, sessions, time, stopping));
        ui.MapPost("/logout", (HttpContext context) =>
        {
            if (!SameOrigin(context.Request))
            {
                return Results.Text("log-out must come from the web view's own page", statusCode: 403);
            }

            context.Request.Cookies.TryGetValue(UiSessionDefaults.Cookie, out var token);
            sessions.End(token);
            context.Response.Cookies.Delete(UiSessionDefaults.Cookie, CookieOptions(DateTimeOffset.UnixEpoch));
            return Results.Redirect("/ui/", permanent: false);
        });

        // The exchange's first half, on the API: a caller with a credential gets a single-use code for its identity.
        return app.MapPost(MintPath, (HttpContext context) =>
        {
            var identity = IdentityOf(context.User);
            var code = sessions.Mint(identity);
            return Results.Ok(new UiLoginModel("/ui/login?code=" + Uri.EscapeDataString(code.Code), code.ExpiresAt, identity.Role));
        });
    }

    /// <summary>The identity a code is minted for: the caller's name and role. A caller without a role (no authentication configured) is a viewer.</summary>
    internal static UiIdentity IdentityOf(ClaimsPrincipal user)
    {
        var role = UiSessionDefaults.Roles.FirstOrDefault(user.IsInRole) ?? "viewer";
        var name = user.Identity?.IsAuthenticated == true ? user.Identity.Name ?? role : "anonymous";
        return new UiIdentity(name, role);
    }

    internal static bool MaskSecrets(ClaimsPrincipal user) => !user.IsInRole("admin");

    private static IResult Login(UiSessions sessions, string? code, HttpContext context)
    {
        UiHeaders.Apply(context.Response);
        if (sessions.Redeem(code) is not { } redeemed)
        {
            return Results.Content(LoginPage.Refused("Login link not valid", "This login link is unknown, was already used, or has expired (links work once, for a few minutes)."),
                "text/html; charset=utf-8", Encoding.UTF8, statusCode: 401);
        }

        context.Response.Cookies.Append(UiSessionDefaults.Cookie, redeemed.Token, CookieOptions(redeemed.Session.ExpiresAt));

        // Not a redirect: a page of the view's own site moves on, so the SameSite=Strict cookie goes
        // with the next request even when the link was opened from another site.
        context.Response.Headers["Refresh"] = "0; url=/ui/";
        return Results.Content(LoginPage.Welcome(), "text/html; charset=utf-8");
    }

    internal static CookieOptions CookieOptions(DateTimeOffset expires) => new()
    {
        HttpOnly = true,
        Secure = true,
        SameSite = SameSiteMode.Strict,
        Path = UiSessionDefaults.CookiePath,
        Expires = expires,
        IsEssential = true,
    };

    private static async Task EventsAsync(HttpContext context, UiChangeFeed feed, UiSessions sessions, TimeProvider time, CancellationToken stopping)
    {
        context.Response.Headers.ContentType = "text/event-stream";
        context.Response.Headers.CacheControl = "no-store";
        context.Request.Cookies.TryGetValue(UiSessionDefaults.Cookie, out var token);
        using var both = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted, stopping);
        var ct = both.Token;
        try
        {
            var last = feed.Current;
            var quiet = TimeSpan.Zero;
            var sent = 0L;
            await context.Response.WriteAsync($"retry: 2000\nevent: hello\ndata: {sent}\n\n", ct);
            await context.Response.Body.FlushAsync(ct);
            while (!ct.IsCancellationRequested && sessions.Find(token) is not null)
            {
                await Task.Delay(UiChangeFeed.Interval, time, ct);
                var now = feed.Current;
                quiet += UiChangeFeed.Interval;
                if (now != last)
                {
                    last = now;
                    quiet = TimeSpan.Zero;
                    await context.Response.WriteAsync($"event: change\ndata: {++sent}\n\n", ct);
                    await context.Response.Body.FlushAsync(ct);
                }
                else if (quiet >= TimeSpan.FromSeconds(15))
                {
                    quiet = TimeSpan.Zero;
                    await context.Response.WriteAsync(": keep-alive\n\n", ct);
                    await context.Response.Body.FlushAsync(ct);
                }
            }
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            // The browser left, or the controller stops.
        }
    }

    private static IResult Page(HttpContext context, string title, string section, Html? content)
    {
        if (content is null)
        {
            return NotFound(context, "Not found: it may have been deleted, or the link is wrong.");
        }

        var who = new UiIdentity(context.User.Identity?.Name ?? "?", UiSessionDefaults.Roles.FirstOrDefault(context.User.IsInRole) ?? "?");
        return Results.Content(Layout.Page(title, section, who, content), "text/html; charset=utf-8");
    }

    private static IResult NotFound(HttpContext context, string why)
    {
        var who = new UiIdentity(context.User.Identity?.Name ?? "?", UiSessionDefaults.Roles.FirstOrDefault(context.User.IsInRole) ?? "?");
        var content = new Html().Add($"<h1>Not found</h1>\n<div id=\"live\" data-live><section class=\"card\"><p role=\"alert\">{why}</p><p><a href=\"/ui/objects\">All objects</a></p></section></div>");
        return Results.Content(Layout.Page("Not found", string.Empty, who, content), "text/html; charset=utf-8", Encoding.UTF8, statusCode: 404);
    }

    private static ObjectRef? Resolve(string kind, string ns, string name) =>
        Kinds.Resolve(kind) is { } resolved
            ? new ObjectRef(resolved, Kinds.IsNamespaced(resolved) ? (ns == Links.NoNamespace ? ManifestObject.DefaultNamespace : ns) : string.Empty, name)
            : null;

    /// <summary>A state-changing request must come from the view's own origin (defence beside SameSite=Strict).</summary>
    internal static bool SameOrigin(HttpRequest request)
    {
        var site = request.Headers["Sec-Fetch-Site"].ToString();
        if (site.Length > 0)
        {
            return site is "same-origin";
        }

        var origin = request.Headers.Origin.ToString();
        return origin.Length > 0 && Uri.TryCreate(origin, UriKind.Absolute, out var uri) && string.Equals(uri.Authority, request.Host.Value, StringComparison.OrdinalIgnoreCase);
    }

    private static IResult Asset(string file, HttpContext context)
    {
        var type = file switch
        {
            "app.css" => "text/css; charset=utf-8",
            "app.js" => "text/javascript; charset=utf-8",
            _ => null,
        };
        using var stream = type is null ? null : Assembly.GetExecutingAssembly().GetManifestResourceStream("GitOrch.Controller.Ui.Assets." + file);
        if (stream is null)
        {
            return Results.NotFound();
        }

        using var reader = new StreamReader(stream);
        context.Response.Headers.XContentTypeOptions = "nosniff";
        context.Response.Headers.CacheControl = "no-cache";
        return Results.Text(reader.ReadToEnd(), type);
    }
}

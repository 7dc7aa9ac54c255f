using GitOrch.Controller.Ui.Auth;

namespace GitOrch.Controller.Ui.Pages;

/// <summary>
/// The frame of every page: landmarks (banner, navigation, main, contentinfo), a skip link, the
/// signed-in identity and log-out, and the live status line. The page's changing part goes in
/// <c>#live</c>, which the script swaps when versions land.
/// </summary>
internal static class Layout
{
    public static string Page(string title, string section, UiIdentity? who, Html content)
    {
        var html = new Html();
        html.Add($"""
            <!doctype html>
            <html lang="en">
            <head>
            <meta charset="utf-8">
            <meta name="viewport" content="width=device-width, initial-scale=1">
            <meta name="color-scheme" content="light">
            <title>{title} · GitOrch</title>
            <link rel="stylesheet" href="/ui/static/app.css">
            <script src="/ui/static/app.js" defer></script>
            </head>
            <body>
            <a class="skip" href="#main">Skip to content</a>
            <header class="top">
            <nav aria-label="Main">
            <a class="brand" href="/ui/">GitOrch</a>
            <ul>
            <li><a href="/ui/"{Current(section == "overview")}>Overview</a></li>
            <li><a href="/ui/objects"{Current(section == "objects")}>Objects</a></li>
            </ul>
            """);
        if (who is not null)
        {
            html.Add($"""
                <span class="who">Signed in as <strong>{who.Name}</strong> ({who.Role})</span>
                <form method="post" action="/ui/logout"><button type="submit">Log out</button></form>
                """);
        }

        html.Add($"""
            </nav>
            </header>
            <main id="main" tabindex="-1">
            {content}
            </main>
            <footer class="bottom"><p id="live-status" role="status" aria-live="polite">Live</p></footer>
            </body>
            </html>
            """);
        return html.ToString();
    }

    private static Raw Current(bool current) => new(current ? " aria-current=\"page\"" : string.Empty);
}

using Microsoft.Playwright;

namespace GitOrch.EndToEnd.Tests.Ui;

/// <summary>
/// Navigation that rides out chromium's "network changed" abort: other tests on the machine add
/// and remove network interfaces (pod veths, namespaces), and chromium cancels a navigation in
/// flight when it sees one, reloads a failed one by itself on top of the next, or (seen twice in
/// CI) leaves it waiting for a load event that never comes. A navigation waits for the document (DOMContentLoaded, after the deferred app script has
/// run), not for every subresource, and is loaded again (after the interrupting load settles, up to nine times) after a network-changed abort or an interrupted load or, at most
/// twice, after a timeout; any other failure stands.
/// </summary>
internal static class PageNavigation
{
    public static async Task<IResponse?> GotoStableAsync(this IPage page, string url, PageGotoOptions? options = null)
    {
        options ??= new PageGotoOptions();
        options.WaitUntil ??= WaitUntilState.DOMContentLoaded;
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                return await page.GotoAsync(url, options);
            }
            catch (PlaywrightException e) when (attempt < 10 && (e.Message.Contains("ERR_NETWORK_CHANGED", StringComparison.Ordinal)
                || e.Message.Contains("interrupted by another navigation", StringComparison.Ordinal)))
            {
                // Let the navigation that interrupted this one (the browser's own reload) settle before asking again.
                try
                {
                    await page.WaitForLoadStateAsync(LoadState.DOMContentLoaded, new() { Timeout = 5_000 });
                }
                catch (TimeoutException)
                {
                    // Asked again regardless.
                }

                await Task.Delay(200);
            }
            catch (TimeoutException) when (attempt < 3)
            {
                // Loaded again from the start: the server answers every other attempt of this suite at once.
            }
        }
    }

    /// <summary>
    /// Fills in and submits a form (<paramref name="submit"/>) and waits for the page it leads to (a
    /// URL that <paramref name="arrived"/> accepts) to load. Filled in and submitted again when that
    /// navigation did not come (chromium dropped it for a network change, or reloaded the page
    /// under it, as above), up to four times. A navigation that reached the page but never reported
    /// its load (seen in CI: the URL changed, no DOMContentLoaded within 10 s) is loaded again from
    /// its URL, which holds the whole request: the forms submitted this way are GET forms.
    /// </summary>
    public static async Task SubmitStableAsync(this IPage page, Func<Task> submit, Func<string, bool> arrived)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                await submit();
                await page.WaitForURLAsync(arrived, new() { WaitUntil = WaitUntilState.DOMContentLoaded, Timeout = 10_000 });
                return;
            }
            catch (TimeoutException) when (arrived(page.Url))
            {
                await page.GotoStableAsync(page.Url);
                return;
            }
            catch (Exception e) when (attempt < 5 && !arrived(page.Url) && (e is TimeoutException || (e is PlaywrightException p
                && (p.Message.Contains("ERR_NETWORK_CHANGED", StringComparison.Ordinal) || p.Message.Contains("interrupted by another navigation", StringComparison.Ordinal)))))
            {
                await Task.Delay(200);
            }
        }
    }
}

using Deque.AxeCore.Playwright;
using Microsoft.Playwright;

namespace GitOrch.EndToEnd.Tests.Ui;

/// <summary>
/// The main pages on a desktop and on a phone: each renders, and on a phone nothing is wider than
/// the screen. With <c>GITORCH_UI_SCREENSHOTS=DIR</c> (docs/ui/screenshots.sh) the screenshots
/// are kept there as PNG files for the docs.
/// </summary>
[Collection(WebViewCollection.Name)]
public sealed class WebViewScreenshotTests(WebViewCluster cluster)
{
    public static TheoryData<string, string, int> Pages => new()
    {
        { "overview", "/ui/", 1280 },
        { "objects", "/ui/objects", 1280 },
        { "object", "/ui/objects/Pod/demo/api?from=1&to=2", 1280 },
        { "why", "/ui/why/Pod/demo/worker", 1280 },
        { "commit", "/ui/commits/{rejected}", 1280 },
        { "overview-phone", "/ui/", 390 },
        { "why-phone", "/ui/why/Pod/demo/worker", 390 },
    };

    [Theory]
    [MemberData(nameof(Pages))]
    public async Task Page_Renders_AndFitsTheScreen(string name, string path, int width)
    {
        var page = await cluster.LoggedInPageAsync(new ViewportSize { Width = width, Height = 900 });
        // Every subresource (the stylesheet): the layout and contrast checks below need it.
        var response = await page.GotoStableAsync(cluster.Up.Server + path.Replace("{rejected}", cluster.RejectedCommit, StringComparison.Ordinal), new() { WaitUntil = WaitUntilState.Load });
        Assert.Equal(200, response!.Status);
        await Assertions.Expect(page.Locator("main h1")).ToBeVisibleAsync();
        if (width < 600)
        {
            // Readable on a phone: the page itself never scrolls sideways (wide graphs scroll inside their own box).
            Assert.True(await page.EvaluateAsync<bool>("document.documentElement.scrollWidth <= window.innerWidth"), $"{path} is wider than a {width}px screen");
        }

        // Accessible markup: axe-core (WCAG 2 A/AA rules: landmarks, labels, table headers, contrast) finds nothing.
        var axe = await page.RunAxe();
        Assert.True(axe.Violations.Length == 0, $"{path} at {width}px: " + string.Join("; ", axe.Violations.Select(v => $"{v.Id}: {v.Help} ({string.Join(", ", v.Nodes.Take(3).Select(n => n.Html))})")));

        var folder = Environment.GetEnvironmentVariable("GITORCH_UI_SCREENSHOTS") is { Length: > 0 } dir ? dir : Path.Combine(cluster.Repo.Root, "screenshots");
        Directory.CreateDirectory(folder);
        var file = Path.Combine(folder, name + ".png");
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = file, FullPage = true });
        Assert.True(new FileInfo(file).Length > 0);
        await page.Context.CloseAsync();
    }
}

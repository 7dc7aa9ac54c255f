using System.Text.RegularExpressions;
using GitOrch.EndToEnd.Tests.Support;
using Microsoft.Playwright;

namespace GitOrch.EndToEnd.Tests.Ui;

/// <summary>The web view in a real headless chromium against a real <c>gitorch up</c>.</summary>
[Collection(WebViewCollection.Name)]
public sealed class WebViewTests(WebViewCluster cluster)
{
    /// <summary>The live status line once the event stream is up, before or after a first update.</summary>
    private static readonly Regex Connected = new("^Live( · updated .+)?$");

    [Fact]
    public async Task Refuses_EveryPage_WithoutASession()
    {
        await using var context = await cluster.NewContextAsync();
        var page = await context.NewPageAsync();
        foreach (var path in new[] { "/ui/", "/ui/objects", "/ui/objects/Pod/demo/api", "/ui/why/Pod/demo/worker", $"/ui/commits/{cluster.FirstCommit}", "/ui/events" })
        {
            var response = await page.GotoStableAsync(cluster.Up.Server + path);
            Assert.Equal(401, response!.Status);
            Assert.DoesNotContain("demo", await page.ContentAsync(), StringComparison.Ordinal);
            Assert.Contains("gitorch ui", await page.Locator("main").InnerTextAsync(), StringComparison.Ordinal);
        }

        // A forged cookie is no session either.
        await context.AddCookiesAsync([new Cookie { Name = "gitorch-ui", Value = "forged", Url = cluster.Up.Server + "/ui/" }]);
        Assert.Equal(401, (await page.GotoStableAsync(cluster.Up.Server + "/ui/"))!.Status);
    }

    [Fact]
    public async Task Refuses_AUsedOrUnknownLoginCode()
    {
        // A link used once, by a first load that got its answer (a load the browser had to repeat
        // because the host's network changed under it may find its own link used: a fresh one then).
        string url;
        for (var attempt = 1; ; attempt++)
        {
            url = cluster.LoginUrl();
            await using var first = await cluster.NewContextAsync();
            var page = await first.NewPageAsync();
            var status = (await page.GotoStableAsync(url))!.Status;
            if (status == 200 || attempt == 5)
            {
                Assert.Equal(200, status);
                break;
            }
        }

        await using var second = await cluster.NewContextAsync();
        var again = await second.NewPageAsync();
        var reused = await again.GotoStableAsync(url);
        Assert.Equal(401, reused!.Status);
        Assert.Contains("already used", await again.Locator("main").InnerTextAsync(), StringComparison.Ordinal);
        Assert.Equal(401, (await again.GotoStableAsync(cluster.Up.Server + "/ui/"))!.Status);

        var unknown = await again.GotoStableAsync(cluster.Up.Server + "/ui/login?code=not-a-code");
        Assert.Equal(401, unknown!.Status);
    }

    [Fact]
    public async Task LoginUrl_SetsAStrictHttpOnlySecureCookie()
    {
        var page = await cluster.LoggedInPageAsync();
        var cookie = Assert.Single(await page.Context.CookiesAsync([cluster.Up.Server + "/ui/"]));
        Assert.Equal("gitorch-ui", cookie.Name);
        Assert.True(cookie.HttpOnly);
        Assert.True(cookie.Secure);
        Assert.Equal(SameSiteAttribute.Strict, cookie.SameSite);
        Assert.Equal("/ui", cookie.Path);
        Assert.Null(await page.EvaluateAsync<string?>("document.cookie || null")); // Not readable by script.
        await page.Context.CloseAsync();
    }

    [Fact]
    public async Task Overview_ShowsACommitAppliedAfterItIsPushed_WithoutReloading()
    {
        var page = await cluster.LoggedInPageAsync();
        await Assertions.Expect(page.Locator($"tr[data-commit='{cluster.RejectedCommit}'] .diag li")).ToContainTextAsync("apps/bad.yaml:");
        await page.EvaluateAsync("window.__sameDocument = 'yes'");
        await Assertions.Expect(page.Locator("#live-status")).ToHaveTextAsync(Connected); // The stream is up (a change may already have come).

        cluster.Repo.Replace("apps/api.yaml", "MODE: blue", "MODE: green");
        var sha = cluster.Repo.Commit("Switch api to green");

        var row = page.Locator($"tr[data-commit='{sha}']");
        await Assertions.Expect(row).ToHaveAttributeAsync("data-state", "applied", new() { Timeout = 30_000 });
        await Assertions.Expect(row).ToContainTextAsync("Switch api to green");
        Assert.Equal("yes", await page.EvaluateAsync<string>("window.__sameDocument")); // Same document: no reload.
        await page.Context.CloseAsync();
    }

    // The live-update tests below script the event stream (the browser's request for /ui/events is
    // answered by the test, with a reconnect delay of its choosing) so that no change from the
    // cluster can trigger the refresh they look for; the pages themselves come from the controller.

    /// <summary>The page's event stream sends one change, then ends and asks for no reconnect for ten minutes.</summary>
    private Task OneChangeThenQuietAsync(IPage page) =>
        page.RouteAsync(cluster.Up.Server + "/ui/events", route => route.FulfillAsync(new()
        {
            Status = 200, ContentType = "text/event-stream", Body = "retry: 600000\nevent: change\ndata: 1\n\n",
        }));

    /// <summary>
    /// Holds the page's first refetch of <paramref name="url"/> (the live update) until the test
    /// releases it; later ones go through. The task completes when that fetch has been asked for.
    /// </summary>
    private static async Task<(Task Fetching, Action Release)> HoldFirstRefetchAsync(IPage page, string url)
    {
        var fetching = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var released = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await page.RouteAsync(url, async route =>
        {
            if (route.Request.ResourceType == "fetch" && fetching.TrySetResult())
            {
                await released.Task.WaitAsync(TimeSpan.FromSeconds(30));
            }

            await route.ContinueAsync();
        });
        return (fetching.Task, () => released.SetResult());
    }

    [Fact]
    public async Task LiveUpdate_WhoseFetchFailed_IsTriedAgain_WithoutAnotherChange()
    {
        var page = await cluster.LoggedInPageAsync();
        await page.GotoAsync("about:blank"); // The logged-in page's own stream and refetches must not meet the routes below.
        var overview = cluster.Up.Server + "/ui/";

        // One change, then the stream ends and asks for no reconnect for ten minutes.
        await OneChangeThenQuietAsync(page);

        // The page's first refetch fails as if the network dropped; later ones go through.
        var refused = 0;
        await page.RouteAsync(overview, async route =>
        {
            if (route.Request.ResourceType == "fetch" && Interlocked.Increment(ref refused) == 1)
            {
                await route.AbortAsync("internetdisconnected");
                return;
            }

            await route.ContinueAsync();
        });

        await page.GotoStableAsync(overview);
        await Assertions.Expect(page.Locator("body")).ToHaveAttributeAsync("data-updates", "1", new() { Timeout = 15_000 });
        Assert.Equal(2, Volatile.Read(ref refused)); // The failed fetch and the retry that landed.
        await Assertions.Expect(page.Locator("#live-status")).ToContainTextAsync("Live · updated");
        await page.Context.CloseAsync();
    }

    [Fact]
    public async Task LiveUpdate_AfterTheStreamReconnects_CatchesUpOnWhatItMissed()
    {
        var page = await cluster.LoggedInPageAsync();
        var overview = cluster.Up.Server + "/ui/";

        // The first stream drops at once (reconnect in 0.3 s), the second stays quiet: no change is
        // ever sent, yet a change may have landed while the page was cut off.
        var streams = 0;
        await page.RouteAsync(overview + "events", route => route.FulfillAsync(new()
        {
            Status = 200, ContentType = "text/event-stream",
            Body = Interlocked.Increment(ref streams) == 1 ? "retry: 300\n\n" : "retry: 600000\n\n",
        }));

        await page.GotoStableAsync(overview);
        await Assertions.Expect(page.Locator("body")).ToHaveAttributeAsync("data-updates", "1", new() { Timeout = 15_000 });
        Assert.True(Volatile.Read(ref streams) >= 2);
        await page.Context.CloseAsync();
    }

    [Fact]
    public async Task LiveUpdate_WhoseFetchLandsWhileAFormIsBeingFilledIn_DoesNotSwapTheFormAway()
    {
        var page = await cluster.LoggedInPageAsync();
        var objectPage = cluster.Up.Server + "/ui/objects/Pod/demo/api";

        // One change; the page's refetch is held until the form has been filled in.
        await OneChangeThenQuietAsync(page);
        var (fetching, release) = await HoldFirstRefetchAsync(page, objectPage);

        await page.GotoStableAsync(objectPage);
        await fetching.WaitAsync(TimeSpan.FromSeconds(15));
        await page.GetByLabel("Changer", new() { Exact = true }).FillAsync("control-loop/scheduler");
        release();

        await Assertions.Expect(page.Locator("#live-status")).ToHaveTextAsync("Live · paused while you fill in a form", new() { Timeout = 15_000 });
        Assert.Equal("control-loop/scheduler", await page.GetByLabel("Changer", new() { Exact = true }).InputValueAsync());
        Assert.Null(await page.Locator("body").GetAttributeAsync("data-updates"));
        await page.Context.CloseAsync();
    }

    [Fact]
    public async Task LiveUpdate_WhoseFetchLandsWhileAFormFieldHasTheFocus_WaitsUntilTheFocusLeavesTheForm()
    {
        var page = await cluster.LoggedInPageAsync();
        var objectPage = cluster.Up.Server + "/ui/objects/Pod/demo/api";

        // One change; the page's first refetch is held until a field has the focus (the moment
        // before the user types: a swap then would take the field from under the first keys).
        await OneChangeThenQuietAsync(page);
        var (fetching, release) = await HoldFirstRefetchAsync(page, objectPage);

        await page.GotoStableAsync(objectPage);
        await fetching.WaitAsync(TimeSpan.FromSeconds(15));
        await page.GetByLabel("Changer", new() { Exact = true }).FocusAsync();
        release();

        await Assertions.Expect(page.Locator("#live-status")).ToHaveTextAsync("Live · paused while you fill in a form", new() { Timeout = 15_000 });
        Assert.Equal("f-changer", await page.EvaluateAsync<string?>("document.activeElement && document.activeElement.isConnected ? document.activeElement.id : null"));
        Assert.Null(await page.Locator("body").GetAttributeAsync("data-updates"));

        // Leaving the form without changing it lets the update through.
        await page.Locator("h1").ClickAsync();
        await Assertions.Expect(page.Locator("body")).ToHaveAttributeAsync("data-updates", "1", new() { Timeout = 15_000 });
        await page.Context.CloseAsync();
    }

    [Fact]
    public async Task LiveUpdate_WhenTheServerRefusesTheStream_SaysTheSessionEnded()
    {
        var page = await cluster.LoggedInPageAsync();
        await page.GotoAsync("about:blank"); // The logged-in page's own stream and refetches must not meet the routes below.
        var overview = cluster.Up.Server + "/ui/";

        // As after a restart that ended the session: the stream and the page's refetch are refused.
        var streams = 0;
        await page.RouteAsync(overview + "events", route =>
        {
            Interlocked.Increment(ref streams);
            return route.FulfillAsync(new() { Status = 401, ContentType = "text/plain", Body = "no session" });
        });
        await page.RouteAsync(overview, route => route.Request.ResourceType == "fetch"
            ? route.FulfillAsync(new() { Status = 401, ContentType = "text/html", Body = "<h1>Log in</h1>" })
            : route.ContinueAsync());

        await page.GotoStableAsync(overview);
        await Assertions.Expect(page.Locator("#live-status")).ToContainTextAsync("Your session has ended", new() { Timeout = 15_000 });
        Assert.True(Volatile.Read(ref streams) >= 1);
        await page.Context.CloseAsync();
    }

    [Fact]
    public async Task Why_FollowsAPodFromTheList_AndHighlightsTheBlockingStep()
    {
        var page = await cluster.LoggedInPageAsync();
        await page.SubmitStableAsync(
            () => page.GetByRole(AriaRole.Link, new() { Name = "Objects" }).ClickAsync(),
            url => new Uri(url).AbsolutePath == "/ui/objects");
        await page.SubmitStableAsync(
            async () =>
            {
                await page.Locator("select[name=kind]").SelectOptionAsync("Pod");
                await page.GetByRole(AriaRole.Button, new() { Name = "Filter" }).ClickAsync();
            },
            url => new Uri(url).Query.Contains("kind=Pod", StringComparison.Ordinal));
        await page.SubmitStableAsync(
            () => page.Locator("tr[data-object='Pod/demo/worker']").GetByRole(AriaRole.Link, new() { Name = "why" }).ClickAsync(),
            url => new Uri(url).AbsolutePath == "/ui/why/Pod/demo/worker");

        await Assertions.Expect(page.Locator("h1")).ToHaveTextAsync("Why: Pod demo/worker");
        var blocking = page.Locator("svg g.blocking");
        await Assertions.Expect(blocking).ToHaveCountAsync(1);
        var unit = await blocking.GetAttributeAsync("data-unit");
        Assert.Equal("image-pull", unit);
        await Assertions.Expect(page.Locator("#blocking")).ToContainTextAsync("image-pull");
        await Assertions.Expect(page.Locator($"tr.blocking-row[data-unit='{unit}']")).ToHaveCountAsync(1);

        // The same graph as `gitorch graph`: ordering solid, requirement dashed.
        var graph = page.GetByRole(AriaRole.Img, new() { Name = "Workflow of Pod/demo/worker", Exact = false });
        Assert.True(await graph.Locator("path.order").CountAsync() > 0);
        Assert.True(await graph.Locator("path.requires[data-from='storage.target'][data-to='image-pull']").CountAsync() == 1);
        // One evaluation in the page for both, finding the graph too: a live update may swap the graph between two calls
        // (a locator's evaluation is two), and a swapped-out path has no computed style.
        var dashes = await page.EvaluateAsync<string[][]>("""
            () => {
              const g = [...document.querySelectorAll('svg[role=img]')].find(s => s.textContent.includes('Workflow of Pod/demo/worker'));
              return ['path.order', 'path.requires'].map(s => [...g.querySelectorAll(s)].map(p => getComputedStyle(p).strokeDasharray));
            }
            """);
        var (ordering, requirement) = (dashes[0], dashes[1]);
        Assert.NotEmpty(ordering);
        Assert.NotEmpty(requirement);
        Assert.All(ordering, d => Assert.Equal("none", d));
        Assert.All(requirement, d => Assert.Equal("6px, 4px", d));
        await page.Context.CloseAsync();
    }

    [Fact]
    public async Task Why_ShowsACrashingContainersLastOutput_AsText()
    {
        await cluster.Up.WaitForAsync(_ => cluster.Restarts("crasher") > 0, "pod crasher to restart", seconds: 60);
        var page = await cluster.LoggedInPageAsync();
        await page.GotoStableAsync(cluster.Up.Server + "/ui/why/Pod/demo/crasher");

        await Assertions.Expect(page.Locator("#output-main")).ToContainTextAsync("starting <script>window.__xss=5</script>");
        Assert.Null(await page.EvaluateAsync<int?>("window.__xss ?? null"));
        await page.Context.CloseAsync();
    }

    [Fact]
    public async Task History_FiltersByChanger_IncludingAndExcluding()
    {
        var page = await cluster.LoggedInPageAsync();
        await page.GotoStableAsync(cluster.Up.Server + "/ui/objects/Pod/demo/api");
        var rows = page.Locator("#history tbody tr");
        var changers = await rows.EvaluateAllAsync<string[]>("rs => rs.map(r => r.dataset.changer)");
        Assert.Contains("git/alice@example.com", changers);
        Assert.Contains("control-loop/scheduler", changers);

        await page.SubmitStableAsync(
            async () =>
            {
                await page.GetByLabel("Changer", new() { Exact = true }).FillAsync("control-loop/scheduler");
                await page.GetByLabel("Show", new() { Exact = true }).SelectOptionAsync("include");
                await page.GetByRole(AriaRole.Button, new() { Name = "Filter" }).ClickAsync();
            },
            url => url.Contains("mode=include", StringComparison.Ordinal));
        await Assertions.Expect(page.Locator("#history caption")).ToContainTextAsync("by changer control-loop/scheduler");
        var only = await rows.EvaluateAllAsync<string[]>("rs => rs.map(r => r.dataset.changer)");
        Assert.NotEmpty(only);
        Assert.All(only, c => Assert.Equal("control-loop/scheduler", c));

        await page.SubmitStableAsync(
            async () =>
            {
                await page.GetByLabel("Changer", new() { Exact = true }).FillAsync("control-loop/scheduler");
                await page.GetByLabel("Show", new() { Exact = true }).SelectOptionAsync("exclude");
                await page.GetByRole(AriaRole.Button, new() { Name = "Filter" }).ClickAsync();
            },
            url => url.Contains("mode=exclude", StringComparison.Ordinal));
        await Assertions.Expect(page.Locator("#history caption")).ToContainTextAsync("without changer control-loop/scheduler");
        var without = await rows.EvaluateAllAsync<string[]>("rs => rs.map(r => r.dataset.changer)");
        Assert.NotEmpty(without);
        Assert.DoesNotContain("control-loop/scheduler", without);
        // The pod may gain versions between the three pages (its restarts write them), never lose any.
        Assert.True(only.Length + without.Length >= changers.Length, $"{only.Length} + {without.Length} < {changers.Length}");
        await page.Context.CloseAsync();
    }

    [Fact]
    public async Task ObjectPage_ShowsDiffBlameAndTheRollbackCommand_WithEnvValuesMasked()
    {
        var page = await cluster.LoggedInPageAsync();
        await page.GotoStableAsync(cluster.Up.Server + "/ui/objects/Pod/demo/api?from=1&to=2#diff-h");
        await Assertions.Expect(page.Locator("#object-yaml")).ToContainTextAsync("API_TOKEN: (hidden)");
        await Assertions.Expect(page.Locator("#diff")).ToBeVisibleAsync();
        await Assertions.Expect(page.Locator("#blame tr[data-field='spec.runtime']")).ToContainTextAsync("git/alice@example.com");
        await Assertions.Expect(page.Locator("#rollback")).ToContainTextAsync("gitorch rollback pod/api --to 1 -n demo");
        Assert.DoesNotContain(WebViewCluster.Secret, await page.ContentAsync(), StringComparison.Ordinal);
        await page.Context.CloseAsync();

        // An admin's session shows the values.
        var admin = await cluster.LoggedInPageAsync(asAdmin: true);
        await admin.GotoStableAsync(cluster.Up.Server + "/ui/objects/Pod/demo/api");
        await Assertions.Expect(admin.Locator("#object-yaml")).ToContainTextAsync("API_TOKEN: " + WebViewCluster.Secret);
        await admin.Context.CloseAsync();
    }

    [Fact]
    public async Task AttackerControlledText_IsShownAsText_NeverRun()
    {
        var page = await cluster.LoggedInPageAsync();
        foreach (var path in new[] { "/ui/", $"/ui/commits/{cluster.RejectedCommit}", "/ui/objects/Pod/demo/api", "/ui/why/Pod/demo/api" })
        {
            await page.GotoStableAsync(cluster.Up.Server + path);
            Assert.Null(await page.EvaluateAsync<int?>("window.__xss ?? null"));
            Assert.Equal(1, await page.Locator("script").CountAsync()); // Only the view's own app.js.
            Assert.Equal(0, await page.Locator("main img").CountAsync());
        }

        await page.GotoStableAsync(cluster.Up.Server + "/ui/");
        await Assertions.Expect(page.Locator($"tr[data-commit='{cluster.FirstCommit}']")).ToContainTextAsync(WebViewCluster.Attack);
        await page.GotoStableAsync(cluster.Up.Server + $"/ui/commits/{cluster.RejectedCommit}");
        await Assertions.Expect(page.Locator("main")).ToContainTextAsync("<script>window.__xss=4</script>");
        await page.GotoStableAsync(cluster.Up.Server + "/ui/objects/Pod/demo/api");
        await Assertions.Expect(page.Locator("#object-yaml")).ToContainTextAsync("<script>window.__xss=1</script>");
        await page.Context.CloseAsync();
    }

    [Fact]
    public async Task LogOut_EndsTheSession()
    {
        var page = await cluster.LoggedInPageAsync();
        await page.GetByRole(AriaRole.Button, new() { Name = "Log out" }).ClickAsync();
        await Assertions.Expect(page.Locator("main")).ToContainTextAsync("gitorch ui");
        Assert.Equal(401, (await page.GotoStableAsync(cluster.Up.Server + "/ui/objects"))!.Status);
        await page.Context.CloseAsync();
    }
}

using System.Diagnostics;
using GitOrch.Controller.Ui.Auth;
using GitOrch.EndToEnd.Tests.Support;
using Microsoft.Playwright;

namespace GitOrch.EndToEnd.Tests.Ui;

/// <summary>
/// A real <c>gitorch up</c> on a temporary config repo, and Debian's chromium driven by Playwright
/// (it never downloads a browser). The repo holds a running process pod with a secret in its env,
/// an oci pod that waits for an image it will never get (its image step blocks), and text an
/// attacker controls: annotations, a commit subject, a rejected commit's diagnostic, log output.
/// </summary>
public sealed class WebViewCluster : IAsyncLifetime
{
    public const string Attack = "<script>window.__xss=1</script><img src=x onerror=\"window.__xss=2\">";
    public const string Secret = "s3cr3t-value-never-shown";

    private GitorchProcess? _up;
    private IPlaywright? _playwright;

    internal GitRepo Repo { get; } = new();

    internal GitorchProcess Up => _up ?? throw new InvalidOperationException("not started");

    public IBrowser Browser { get; private set; } = null!;

    public string FirstCommit { get; private set; } = string.Empty;

    public string RejectedCommit { get; private set; } = string.Empty;

    public static string ChromiumPath => Environment.GetEnvironmentVariable("GITORCH_CHROMIUM") is { Length: > 0 } path ? path : "/usr/bin/chromium";

    public async Task InitializeAsync()
    {
        Repo.Write("cluster/policy.yaml", """
            apiVersion: gitorch.dev/v1
            kind: ClusterPolicy
            metadata: {name: cluster}
            spec:
              security:
                exceptions:
                  - namespaces: [demo]
                    allow: ["runtime:process"]
            """);
        Repo.Write("apps/api.yaml", $$"""
            apiVersion: gitorch.dev/v1
            kind: Pod
            metadata:
              name: api
              namespace: demo
              labels: {app: api}
              annotations: {note: '{{Attack.Replace("'", "''", StringComparison.Ordinal)}}'}
            spec:
              runtime: process
              restartPolicy: Always
              containers:
                - name: main
                  command: ["/bin/sh", "-c", "echo '<script>window.__xss=3</script>'; exec sleep 600"]
                  env: {API_TOKEN: {{Secret}}, MODE: blue}
                  resources: {cpu: 10m, memory: 8Mi}
            """);
        Repo.Write("apps/worker.yaml", """
            apiVersion: gitorch.dev/v1
            kind: Pod
            metadata: {name: worker, namespace: demo}
            spec:
              containers:
                - name: main
                  image: never-imported:1.0
                  command: ["/bin/sh", "-c", "sleep 600"]
                  resources: {cpu: 10m, memory: 8Mi}
            """);
        Repo.Write("apps/crasher.yaml", """
            apiVersion: gitorch.dev/v1
            kind: Pod
            metadata: {name: crasher, namespace: demo}
            spec:
              runtime: process
              restartPolicy: Always
              containers:
                - name: main
                  command: ["/bin/sh", "-c", "echo 'starting <script>window.__xss=5</script>'; echo 'config missing' >&2; exit 3"]
                  resources: {cpu: 10m, memory: 8Mi}
            """);
        FirstCommit = Repo.Commit("First apps " + Attack);

        if (!File.Exists(ChromiumPath))
        {
            Assert.Fail($"the browser tests need chromium at {ChromiumPath} (Debian: apt-get install chromium; .ci/run installs it) or GITORCH_CHROMIUM");
        }

        _up = GitorchProcess.Start(Repo.Root, "up", "--repo", Repo.Path, "--state", Path.Combine(Repo.Root, "state"), "--poll", "0.3", "--node", "node-a", "--stop-pods");
        await Up.WaitForAsync(s => s.Controller.LastApplied == FirstCommit, "the first commit to apply", seconds: 60);

        // A commit with an unknown field named like markup: rejected, and its diagnostic names it.
        Repo.Write("apps/bad.yaml", """
            apiVersion: gitorch.dev/v1
            kind: Pod
            metadata: {name: bad, namespace: demo}
            spec:
              "<script>window.__xss=4</script>": 1
              containers: [{name: main, image: x:1, command: ["true"]}]
            """);
        RejectedCommit = Repo.Commit("Broken on purpose", "mallory@example.com", "Mallory");
        await Up.WaitForAsync(s => s.Commits.Any(c => c.Sha == RejectedCommit), "the broken commit to be rejected", seconds: 60);
        Repo.Git("rm", "-q", "apps/bad.yaml");
        var fixedCommit = Repo.Commit("Remove the broken pod");
        await Up.WaitForAsync(s => s.Controller.LastApplied == fixedCommit, "the fix to apply", seconds: 60);
        await Up.WaitForAsync(_ => PodPhase("api") == "Running", "pod api to run", seconds: 60);

        Environment.SetEnvironmentVariable("PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD", "1");
        _playwright = await Playwright.CreateAsync();
        Assertions.SetDefaultExpectTimeout(15_000); // A page's round trip on a loaded two-core machine can take longer than the default 5 s.
        Browser = await _playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions { ExecutablePath = ChromiumPath, Headless = true });
    }

    /// <summary>
    /// Runs <c>gitorch ui</c> as a user would (in-process, no browser to open) and returns the URL it
    /// printed: with a viewer token's credentials file, or with the controller's admin credentials.
    /// </summary>
    public string LoginUrl(bool asAdmin = false)
    {
        Environment.SetEnvironmentVariable("GITORCH_NO_BROWSER", "1");
        var (exit, output, error) = asAdmin
            ? Command.Run("ui", "--server", Up.Server)
            : Command.Run("ui", "--server", Up.Server, "--credentials", ViewerCredentials());
        Assert.True(exit == 0, $"gitorch ui failed ({exit}): {error}");
        var url = output.Trim();
        Assert.StartsWith(Up.Server + "/ui/login?code=", url, StringComparison.Ordinal);
        return url;
    }

    /// <summary>A viewer's credentials file, made once by an admin with <c>gitorch token create --role viewer</c>.</summary>
    public string ViewerCredentials()
    {
        var path = Path.Combine(Repo.Root, "viewer.credentials");
        lock (Repo)
        {
            if (!File.Exists(path))
            {
                var (exit, output, error) = Command.Run("token", "create", "--role", "viewer", "--name", "web-viewer", "--server", Up.Server);
                Assert.True(exit == 0, $"gitorch token create failed ({exit}): {error}");
                File.WriteAllText(path, output);
            }
        }

        return path;
    }

    /// <summary>A new browser context (its own cookies) that trusts the controller's HTTPS certificate (from the cluster's own CA).</summary>
    public Task<IBrowserContext> NewContextAsync(ViewportSize? viewport = null) =>
        Browser.NewContextAsync(new BrowserNewContextOptions { IgnoreHTTPSErrors = true, ViewportSize = viewport ?? new ViewportSize { Width = 1280, Height = 900 } });

    /// <summary>A new browser context, logged in through a fresh login URL.</summary>
    public async Task<IPage> LoggedInPageAsync(ViewportSize? viewport = null, bool asAdmin = false)
    {
        var context = await NewContextAsync(viewport);
        var page = await context.NewPageAsync();

        // A login link works once. The browser retries a GET by itself when the host's network changes
        // under it (the network tests running beside these add and remove interfaces): it reports
        // ERR_NETWORK_CHANGED, shows its own "connection was interrupted" page, or reloads the failed
        // link later on top of whatever the tab loads next. So the test of a landed login is the
        // session cookie in the context's jar, not what the tab shows; an attempt that did not land
        // closes its tab (which ends any reload the browser still has planned for it) and starts again
        // in a fresh tab with a fresh link. The overview is then loaded as any other page is.
        const int attempts = 8;
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                await page.GotoAsync(LoginUrl(asAdmin), new() { WaitUntil = WaitUntilState.DOMContentLoaded });
            }
            catch (PlaywrightException e) when (attempt < attempts && (e.Message.Contains("ERR_NETWORK_CHANGED", StringComparison.Ordinal)
                || e.Message.Contains("interrupted by another navigation", StringComparison.Ordinal)))
            {
                // Landed or not: the jar tells.
            }
            catch (TimeoutException) when (attempt < attempts)
            {
                // No answer, or a load that never came: the jar tells.
            }

            if ((await context.CookiesAsync([Up.Server + "/ui/"])).Any(c => c.Name == UiSessionDefaults.Cookie))
            {
                break;
            }

            Assert.True(attempt < attempts, $"no login landed in {attempts} attempts; the last page said: {await page.Locator("body").InnerTextAsync()}");
            await page.CloseAsync();
            page = await context.NewPageAsync();
            await Task.Delay(100);
        }

        await page.GotoStableAsync(Up.Server + "/ui/");
        await Assertions.Expect(page.Locator("h1")).ToHaveTextAsync("Overview");
        Assert.Equal(Up.Server + "/ui/", page.Url);
        return page;
    }

    public string? PodPhase(string name)
    {
        var (_, json, _) = Command.Run("get", "pod", name, "-n", "demo", "--server", Up.Server, "--output", "json");
        var at = json.IndexOf("\"phase\": \"", StringComparison.Ordinal);
        return at < 0 ? null : json[(at + 10)..json.IndexOf('"', at + 10)];
    }

    public int Restarts(string pod)
    {
        var (_, json, _) = Command.Run("get", "pod", pod, "-n", "demo", "--server", Up.Server, "--output", "json");
        var at = json.IndexOf("\"restarts\": ", StringComparison.Ordinal);
        return at < 0 ? 0 : int.Parse(new string(json[(at + 12)..].TakeWhile(char.IsAsciiDigit).ToArray()), System.Globalization.CultureInfo.InvariantCulture);
    }

    public async Task DisposeAsync()
    {
        if (Browser is not null)
        {
            await Browser.DisposeAsync();
        }

        _playwright?.Dispose();
        if (_up is not null)
        {
            await StopAsync(_up);
            await _up.DisposeAsync();
        }

        Repo.Dispose();
    }

    /// <summary>SIGINT, so that <c>--stop-pods</c> stops the pods it started; SIGKILL if it does not end.</summary>
    private static async Task StopAsync(GitorchProcess up)
    {
        if (up.HasExited)
        {
            return;
        }

        using (var kill = Process.Start("kill", ["-INT", up.Pid.ToString(System.Globalization.CultureInfo.InvariantCulture)]))
        {
            await kill.WaitForExitAsync();
        }

        try
        {
            await up.WaitForExitAsync(20);
        }
        catch (OperationCanceledException)
        {
            // Killed by DisposeAsync.
        }
    }
}

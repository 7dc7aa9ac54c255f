using System.Diagnostics;
using System.Net.Http.Json;
using System.Text;
using GitOrch.Controller.Api;
using GitOrch.EndToEnd.Tests.Support;

namespace GitOrch.EndToEnd.Tests;

/// <summary>
/// The state folder failing under a running controller: a full disk (a real small tmpfs) is shown
/// and outlived with nothing lost; a removed folder stops the controller with an error.
/// </summary>
public sealed class StateFaultTests
{
    private static string Pods(int count, string tag)
    {
        var text = new StringBuilder();
        for (var i = 0; i < count; i++)
        {
            text.Append($$"""
                apiVersion: gitorch.dev/v1
                kind: Pod
                metadata: {name: {{tag}}-{{i}}, namespace: load}
                spec:
                  containers:
                    - name: main
                      image: busybox:1.36
                      command: [sleep, "3600"]
                      env: {PAYLOAD: "{{new string('x', 2000)}}"}
                ---

                """);
        }

        return text.ToString();
    }

    private static void Run(string file, params string[] args)
    {
        var info = new ProcessStartInfo(file) { RedirectStandardError = true, RedirectStandardOutput = true };
        foreach (var arg in args)
        {
            info.ArgumentList.Add(arg);
        }

        using var process = Process.Start(info)!;
        process.WaitForExit();
        Assert.True(process.ExitCode == 0, $"{file} {string.Join(' ', args)} failed: {process.StandardError.ReadToEnd()}");
    }

    /// <summary>Writes zeros until the file system says it is full; returns the filler's path.</summary>
    private static string Fill(string folder)
    {
        var path = Path.Combine(folder, "filler");
        var chunk = new byte[16 * 1024];
        using var stream = new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.None, 4096, FileOptions.WriteThrough);
        try
        {
            while (true)
            {
                stream.Write(chunk);
                stream.Flush(flushToDisk: true);
            }
        }
        catch (IOException)
        {
            return path; // ENOSPC: the disk is full.
        }
    }

    /// <summary>Polls a condition on a real process (its log is written asynchronously), for at most 10 s.</summary>
    private static async Task UntilAsync(Func<bool> condition, string what)
    {
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, $"timed out waiting for {what}");
            await Task.Delay(50);
        }
    }

    [Fact]
    public async Task AFullStateDisk_IsShownInStatus_AndTheBacklogAppliesByItselfWhenSpaceReturns_WithNothingLost()
    {
        using var repo = new GitRepo(GitRepo.ExampleRepo());
        var first = repo.Commit("Initial config");
        var disk = Directory.CreateTempSubdirectory("gitorch-fulldisk-").FullName;
        Run("mount", "-t", "tmpfs", "-o", "size=3m", "tmpfs", disk);
        try
        {
            var state = Path.Combine(disk, "state");
            await using var controller = GitorchProcess.Start(repo.Root, "controller", "--repo", repo.Path, "--state", state, "--poll", "0.2");
            await controller.WaitForSettledAsync(s => s.Controller.LastApplied == first, "the first commit to apply");

            var filler = Fill(disk);
            var backlog = new List<string>();
            for (var round = 0; round < 3; round++)
            {
                repo.Write($"apps/load-{round}.yaml", Pods(40, $"load{round}"));
                backlog.Add(repo.Commit($"Forty pods, round {round}, while the state disk is full"));
            }

            var failing = await controller.WaitForAsync(s => s.Controller.LastError is not null && s.Controller.Head == backlog[^1], "status to show the write failure and the head it cannot apply");
            Assert.Contains("full", failing.Controller.LastError, StringComparison.OrdinalIgnoreCase);
            Assert.Equal(first, failing.Controller.LastApplied);
            Assert.Empty((await controller.AdminClient()!.GetFromJsonAsync<List<ObjectSummaryModel>>("api/v1/objects?kind=Pod&namespace=load"))!);
            await UntilAsync(() => controller.Output.Contains("Cannot apply new commits", StringComparison.Ordinal), "the log to name the failure");
            Assert.False(controller.HasExited);

            File.Delete(filler);
            var recovered = await controller.WaitForAsync(s => s.Controller.LastApplied == backlog[^1] && s.Controller.LastError is null, "the backlog to apply once space returns", seconds: 90);

            // The backlog's own pods, by namespace: the example's PinnedDeployment loop may still add its pods meanwhile.
            var loaded = await controller.AdminClient()!.GetFromJsonAsync<List<ObjectSummaryModel>>("api/v1/objects?kind=Pod&namespace=load");
            Assert.Equal(120, loaded!.Count);
            Assert.Equal(120, loaded.Select(p => p.Name).Distinct().Count());
            var applied = recovered.Commits.Where(c => c.State == "applied").Select(c => c.Sha).ToHashSet();
            Assert.All(backlog.Prepend(first), sha => Assert.Contains(sha, applied));
        }
        finally
        {
            Run("umount", "-l", disk);
            Directory.Delete(disk, recursive: true);
        }
    }

    [Fact]
    public async Task ARemovedStateFolder_StopsTheController_WithAnErrorAndANonZeroExit()
    {
        using var repo = new GitRepo(GitRepo.ExampleRepo());
        var head = repo.Commit("Initial config");
        var state = Path.Combine(repo.Root, "state");
        await using var controller = GitorchProcess.Start(repo.Root, "controller", "--repo", repo.Path, "--state", state, "--poll", "0.2");
        await controller.WaitForAsync(s => s.Controller.LastApplied == head, "the first commit to apply");

        Directory.Delete(state, recursive: true);

        Assert.Equal(1, await controller.WaitForExitAsync());
        Assert.Contains($"the state folder {state} was removed", controller.Output, StringComparison.Ordinal);
        Assert.Contains("the controller stops rather than write into a deleted database", controller.Output, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", controller.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AReplacedStateFolder_StopsTheController()
    {
        using var repo = new GitRepo(GitRepo.ExampleRepo());
        var head = repo.Commit("Initial config");
        var state = Path.Combine(repo.Root, "state");
        await using var controller = GitorchProcess.Start(repo.Root, "controller", "--repo", repo.Path, "--state", state, "--poll", "0.2");
        await controller.WaitForAsync(s => s.Controller.LastApplied == head, "the first commit to apply");

        Directory.Move(state, state + ".old");
        Directory.CreateDirectory(state);
        File.WriteAllText(Path.Combine(state, "state.db"), string.Empty);

        Assert.Equal(1, await controller.WaitForExitAsync());
        Assert.Contains($"the state folder {state} was", controller.Output, StringComparison.Ordinal);
    }
}

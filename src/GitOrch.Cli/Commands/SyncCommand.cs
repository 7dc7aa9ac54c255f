using System.CommandLine;
using GitOrch.Cli.Client;
using GitOrch.Cli.Output;
using GitOrch.Controller;
using GitOrch.Controller.Api;

namespace GitOrch.Cli.Commands;

/// <summary>
/// <c>gitorch sync [--retry KIND/NAME]</c>: fetch and apply now (a commit that waits for a rollout
/// approval is re-checked too); with <c>--retry</c>, start an object's failed workflow again.
/// </summary>
internal static class SyncCommand
{
    public static Command Create()
    {
        var retry = new Option<string?>("--retry") { Description = "Start this object's failed workflow again (e.g. pod/worker)", HelpName = "KIND/NAME" };
        var ns = CommonOptions.Namespace();
        var server = CommonOptions.Server();
        var command = new Command("sync", "Fetch and apply now; re-check a commit that waits for an approval; retry a failed workflow (--retry)") { retry, ns, server };
        command.SetAction(async (parse, ct) =>
        {
            using var client = ApiClient.For(parse, server);
            var writer = parse.InvocationConfiguration.Output;
            var status = await client.PostAsync<ControllerStatus>("api/v1/sync", ct);
            await writer.WriteLineAsync($"Synced {status.Repo} (branch {status.Branch}): head {Short(status.Head)}, last applied {Short(status.LastApplied)}.");
            if (status.Head is not null && status.Head != status.LastApplied)
            {
                await writer.WriteLineAsync($"The head is not applied: `gitorch status` shows why (a rejected commit stays rejected; a commit that waits for an approval is applied when it arrives).");
            }

            if (parse.GetValue(retry) is { } target)
            {
                var obj = ObjectName.Parse(target, parse.GetValue(ns));
                var retried = await client.PostAsync<RetryModel>(obj.Path("/retry"), ct);
                await writer.WriteLineAsync(retried.Message);
            }

            return ExitCodes.Ok;
        });
        return command;
    }

    private static string Short(string? sha) => sha is null ? "none" : sha[..Math.Min(12, sha.Length)];
}

using GitOrch.Agent.Images;
using GitOrch.Cli.Client;
using GitOrch.Controller.Api;

namespace GitOrch.Cli.Commands;

/// <summary>
/// Which image store the <c>image</c> verbs use, found the way the node itself finds it: <c>--state</c>
/// when given; otherwise the running node's, as its agent reported it to the controller at
/// <c>--server</c> (the node on this machine, or <c>--node</c>); with no controller answering, the
/// default of <c>gitorch up</c> in this folder (<c>.gitorch/agent</c>) when it exists.
/// </summary>
internal static class NodeImageStore
{
    public const string UpDefault = ".gitorch/agent";

    public static async Task<(ImageStore Store, string Whose)> ResolveAsync(string? state, string? node, System.CommandLine.ParseResult parse, System.CommandLine.Option<string> serverOption, CancellationToken ct)
    {
        var server = parse.GetValue(serverOption) ?? "the controller";
        if (state is not null)
        {
            return (new ImageStore(Path.Combine(state, "images")), $"--state {state}");
        }

        List<NodeStatusModel> nodes;
        try
        {
            using var client = ApiClient.For(parse, serverOption);
            server = client.Server;
            nodes = await client.GetAsync<List<NodeStatusModel>>("api/v1/nodes", ct);
        }
        catch (CliException ex) when (ex.Message.StartsWith("cannot reach", StringComparison.Ordinal) || ex.Message.StartsWith("no credentials", StringComparison.Ordinal))
        {
            if (Directory.Exists(UpDefault))
            {
                return (new ImageStore(Path.Combine(UpDefault, "images")), $"no controller at {server}: the store of `gitorch up` in this folder ({Path.GetFullPath(UpDefault)})");
            }

            throw new CliException($"cannot tell which image store the node uses: no controller answers at {server}, and this folder has no {UpDefault}; "
                + "start the node first (`gitorch up` or `gitorch agent`) and run this again, or give --state DIR (the agent's state folder: STATE/agent for `gitorch up --state STATE`)");
        }

        var candidates = node is not null
            ? nodes.Where(n => n.Name == node).ToList()
            : nodes.Where(n => n.StateDir is not null && Directory.Exists(n.StateDir)).ToList();
        if (node is not null && candidates.Count == 0)
        {
            throw new CliException($"the controller at {server} knows no node {node} (nodes: {(nodes.Count == 0 ? "none" : string.Join(", ", nodes.Select(n => n.Name)))})");
        }

        if (candidates.Count == 1 && candidates[0].StateDir is { } dir)
        {
            return (new ImageStore(Path.Combine(dir, "images")), $"node {candidates[0].Name}'s store, as its agent reports it");
        }

        if (candidates.Count > 1)
        {
            throw new CliException($"several nodes keep their state on this machine ({string.Join(", ", candidates.Select(n => $"{n.Name}: {n.StateDir}"))}); choose one with --node NAME or --state DIR");
        }

        throw new CliException(node is not null
            ? $"node {node}'s agent has not reported its state folder to the controller at {server} (is it running?); give --state DIR"
            : $"no node of the controller at {server} keeps its state on this machine; run this on the node, or give --state DIR (the agent's state folder)");
    }
}

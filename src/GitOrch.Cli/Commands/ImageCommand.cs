using System.CommandLine;
using GitOrch.Agent.Images;
using GitOrch.Cli.Output;

namespace GitOrch.Cli.Commands;

/// <summary><c>gitorch image import NAME:TAG PATH</c> and <c>gitorch image ls</c>: this node's image store.</summary>
internal static class ImageCommand
{
    public static Command Create()
    {
        var state = new Option<string?>("--state") { Description = "The node agent's state folder (default: the running node's, as its agent reports it to --server)", HelpName = "DIR" };
        var node = new Option<string?>("--node") { Description = "The node whose store to use, when several run on this machine", HelpName = "NAME" };
        var server = Output.CommonOptions.Server();
        var name = new Argument<string>("NAME:TAG") { Description = "The image reference pods use, for example busybox:1.35" };
        var path = new Argument<string>("PATH") { Description = "A rootfs folder, a tarball, or an OCI image layout" };
        var import = new Command("import", "Import an image into this node's store") { name, path, state, node, server };
        import.SetAction(async (parse, ct) =>
        {
            try
            {
                var (store, whose) = await NodeImageStore.ResolveAsync(parse.GetValue(state), parse.GetValue(node), parse, server, ct);
                var info = await store.ImportAsync(parse.GetRequiredValue(name), parse.GetRequiredValue(path), ct);
                await parse.InvocationConfiguration.Output.WriteLineAsync($"Imported {info.Image} from {info.Kind} {info.Source} into {store.Root} ({whose})");
                return ExitCodes.Ok;
            }
            catch (ImageException ex)
            {
                throw new CliException(ex.Message);
            }
        });

        var output = Output.CommonOptions.Output(Output.OutputFormat.Text, Output.OutputFormat.Json);
        var list = new Command("ls", "List this node's images") { state, node, server, output };
        list.SetAction(async (parse, ct) =>
        {
            var (store, whose) = await NodeImageStore.ResolveAsync(parse.GetValue(state), parse.GetValue(node), parse, server, ct);
            var images = store.List();
            var writer = parse.InvocationConfiguration.Output;
            if (parse.GetValue(output) == Output.OutputFormat.Json)
            {
                await writer.WriteLineAsync(System.Text.Json.JsonSerializer.Serialize(images.Select(i => new { image = i, rootfs = store.Rootfs(i) })));
                return ExitCodes.Ok;
            }

            if (images.Count == 0)
            {
                await writer.WriteLineAsync($"No images in {store.Root} ({whose}); import one with `gitorch image import NAME:TAG PATH`.");
            }

            foreach (var image in images)
            {
                await writer.WriteLineAsync(image);
            }

            return ExitCodes.Ok;
        });

        var gcNode = new Option<string>("--node") { Description = "This node's name (the controller knows its pods)", Required = true, HelpName = "NAME" };
        var gc = new Command("gc", "Remove images no pod of this node needs (each pod's last history.pinImages versions are kept)") { state, gcNode, server };
        gc.SetAction(async (parse, ct) =>
        {
            using var client = Client.ApiClient.For(parse, server);
            var answer = await client.GetAsync<System.Text.Json.JsonElement>($"api/v1/nodes/{Uri.EscapeDataString(parse.GetRequiredValue(gcNode))}/image-roots", ct);
            var roots = answer.GetProperty("roots").EnumerateArray().Select(r => r.GetString()!).ToHashSet(StringComparer.Ordinal);
            var (store, _) = await NodeImageStore.ResolveAsync(parse.GetValue(state), parse.GetValue(gcNode), parse, server, ct);
            var removed = store.Collect(roots);
            var writer = parse.InvocationConfiguration.Output;
            await writer.WriteLineAsync(removed.Count == 0
                ? $"Nothing to remove: every image is a GC root ({string.Join(", ", roots)})."
                : $"Removed {string.Join(", ", removed)}; kept {string.Join(", ", roots)} (the last {answer.GetProperty("pinImages").GetInt32()} versions of each pod).");
            return ExitCodes.Ok;
        });

        return new Command("image", "The node's image store") { import, list, gc };
    }
}

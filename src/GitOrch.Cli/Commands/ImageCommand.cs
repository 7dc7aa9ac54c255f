using System.CommandLine;
using GitOrch.Agent.Images;
using GitOrch.Cli.Output;

namespace GitOrch.Cli.Commands;

/// <summary><c>gitorch image import NAME:TAG PATH</c> and <c>gitorch image ls</c>: this node's image store.</summary>
internal static class ImageCommand
{
    public static Command Create()
    {
        var state = new Option<string>("--state") { Description = "The node agent's state folder", DefaultValueFactory = _ => ".gitorch/agent", HelpName = "DIR" };
        var name = new Argument<string>("NAME:TAG") { Description = "The image reference pods use, for example busybox:1.35" };
        var path = new Argument<string>("PATH") { Description = "A rootfs folder, a tarball, or an OCI image layout" };
        var import = new Command("import", "Import an image into this node's store") { name, path, state };
        import.SetAction(async (parse, ct) =>
        {
            try
            {
                var store = new ImageStore(Path.Combine(parse.GetRequiredValue(state), "images"));
                var info = await store.ImportAsync(parse.GetRequiredValue(name), parse.GetRequiredValue(path), ct);
                await parse.InvocationConfiguration.Output.WriteLineAsync($"Imported {info.Image} from {info.Kind} {info.Source} into {store.Root}");
                return ExitCodes.Ok;
            }
            catch (ImageException ex)
            {
                throw new CliException(ex.Message);
            }
        });

        var list = new Command("ls", "List this node's images") { state };
        list.SetAction(async parse =>
        {
            var store = new ImageStore(Path.Combine(parse.GetRequiredValue(state), "images"));
            var images = store.List();
            var writer = parse.InvocationConfiguration.Output;
            if (images.Count == 0)
            {
                await writer.WriteLineAsync($"No images in {store.Root}; import one with `gitorch image import NAME:TAG PATH`.");
            }

            foreach (var image in images)
            {
                await writer.WriteLineAsync(image);
            }

            return ExitCodes.Ok;
        });

        return new Command("image", "The node's image store") { import, list };
    }
}

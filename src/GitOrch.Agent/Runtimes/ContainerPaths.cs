namespace GitOrch.Agent.Runtimes;

/// <summary>
/// Mount targets inside a container's root filesystem, resolved the way kubelet does since
/// CVE-2017-1002101: component by component from the root, refusing <c>..</c> and any symbolic
/// link on the way (an image or an earlier container could have planted one pointing at the host),
/// and creating a missing component only after checking that its parent is a real folder inside
/// the root. Nothing is ever created outside the root.
/// </summary>
public static class ContainerPaths
{
    /// <summary>
    /// Makes sure <paramref name="destination"/> (an absolute path in the container) exists as a
    /// folder under <paramref name="rootfs"/>, or as a file when it already is one, and returns the
    /// host path. Throws <see cref="RuntimeException"/> naming the target and the component at fault.
    /// </summary>
    public static string EnsureMountPoint(string rootfs, string destination, Action<string>? created = null)
    {
        var root = Path.GetFullPath(rootfs).TrimEnd('/');
        var rootInfo = new DirectoryInfo(root);
        if (!rootInfo.Exists || rootInfo.LinkTarget is not null)
        {
            throw new RuntimeException($"the container's root {rootfs} is not a folder; re-import the image");
        }

        var components = destination.Split('/', StringSplitOptions.RemoveEmptyEntries);
        if (!destination.StartsWith('/') || components.Any(c => c == ".."))
        {
            throw new RuntimeException($"mount target {destination} must be an absolute path without '..' segments (it would leave the container's root); fix the volumeMount's mountPath");
        }

        var current = root;
        var shown = string.Empty;
        for (var i = 0; i < components.Length; i++)
        {
            if (components[i] == ".")
            {
                continue;
            }

            current = current + "/" + components[i];
            shown = shown + "/" + components[i];
            var info = new FileInfo(current);
            if (info.LinkTarget is not null)
            {
                throw new RuntimeException($"mount target {destination}: {shown} is a symbolic link in the image; links are not followed (they could point out of the container's root): mount somewhere else, or change the image");
            }

            if (!info.Exists && !Directory.Exists(current))
            {
                Directory.CreateDirectory(current);
                created?.Invoke(current);
                if (new FileInfo(current).LinkTarget is not null || !Directory.Exists(current))
                {
                    throw new RuntimeException($"mount target {destination}: {shown} changed while it was created; try again");
                }

                continue;
            }

            if (!info.Attributes.HasFlag(FileAttributes.Directory) && i < components.Length - 1)
            {
                throw new RuntimeException($"mount target {destination}: {shown} is a file in the image, not a folder; mount somewhere else");
            }
        }

        return current;
    }
}

using System.Diagnostics;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace GitOrch.Agent.Images;

/// <summary>
/// The node's image store: one root filesystem per <c>name:tag</c> under
/// <c>STATE/images/&lt;name&gt;/&lt;tag&gt;/rootfs</c>. There is no registry: images are imported from
/// a rootfs folder, a tarball, or an OCI image layout (unpacked with umoci).
/// </summary>
public sealed partial class ImageStore(string root)
{
    public string Root => root;

    public IReadOnlyList<string> List()
    {
        if (!Directory.Exists(root))
        {
            return [];
        }

        return Directory.EnumerateDirectories(root)
            .SelectMany(name => Directory.EnumerateDirectories(name).Select(tag => (name, tag)))
            .Where(x => Directory.Exists(Path.Combine(x.tag, "rootfs")))
            .Select(x => $"{Decode(Path.GetFileName(x.name))}:{Path.GetFileName(x.tag)}")
            .Order(StringComparer.Ordinal)
            .ToList();
    }

    /// <summary>The rootfs folder of an image, or null when the store does not have it.</summary>
    public string? Rootfs(string image)
    {
        var (name, tag) = Split(image);
        var path = Path.Combine(root, Encode(name), tag, "rootfs");
        return Directory.Exists(path) ? path : null;
    }

    public async Task<ImageInfo> ImportAsync(string image, string source, CancellationToken ct)
    {
        var (name, tag) = Split(image);
        var target = Path.Combine(root, Encode(name), tag);
        var staging = target + ".importing";
        if (Directory.Exists(staging))
        {
            Directory.Delete(staging, recursive: true);
        }

        // Traversable, not listable: the runc user namespace's root reaches the rootfs it mounts through these.
        Storage.StateFiles.Folder(root, Storage.StateFiles.TraversableFolder);
        Storage.StateFiles.Folder(Path.GetDirectoryName(target)!, Storage.StateFiles.TraversableFolder);
        Storage.StateFiles.Folder(staging, Storage.StateFiles.TraversableFolder);
        try
        {
            return await ImportIntoAsync(image, source, tag, staging, target, ct);
        }
        catch
        {
            if (Directory.Exists(staging))
            {
                Directory.Delete(staging, recursive: true); // A failed import leaves nothing behind.
            }

            throw;
        }
    }

    private static async Task<ImageInfo> ImportIntoAsync(string image, string source, string tag, string staging, string target, CancellationToken ct)
    {
        var rootfs = Path.Combine(staging, "rootfs");
        string kind;

        // An OCI image layout: LAYOUT (the image's own tag) or LAYOUT:TAG.
        var colon = source.LastIndexOf(':');
        var (layout, layoutTag) = colon > 0 && File.Exists(Path.Combine(source[..colon], "oci-layout")) ? (source[..colon], source[(colon + 1)..]) : (source, tag);
        if (Directory.Exists(layout) && File.Exists(Path.Combine(layout, "oci-layout")))
        {
            kind = "OCI image layout";
            await RunAsync("umoci", ["unpack", "--image", $"{layout}:{layoutTag}", Path.Combine(staging, "bundle")], $"umoci could not unpack tag {layoutTag} of the OCI layout {layout}", ct);
            Directory.Move(Path.Combine(staging, "bundle", "rootfs"), rootfs);
            source = layout;
        }
        else if (Directory.Exists(source))
        {
            kind = "rootfs folder";
            Directory.CreateDirectory(rootfs);
            await RunAsync("cp", ["-a", Path.Combine(source, "."), rootfs], "cp failed", ct);
        }
        else if (File.Exists(source))
        {
            kind = "tarball";
            Directory.CreateDirectory(rootfs);
            await RunAsync("tar", ["-xf", source, "-C", rootfs, "--no-same-owner"], "tar could not read the file (is it a tar archive?)", ct);
        }
        else
        {
            throw new ImageException($"{source}: no such folder or file; give a rootfs folder, a tarball or an OCI image layout");
        }

        if (!Directory.EnumerateFileSystemEntries(rootfs).Any())
        {
            throw new ImageException($"{source} holds no files; an image needs a root filesystem (for example bin/busybox)");
        }

        var info = new ImageInfo(image, kind, Path.GetFullPath(source), DateTimeOffset.UtcNow);
        await File.WriteAllTextAsync(Path.Combine(staging, "image.json"), JsonSerializer.Serialize(info), ct);
        if (Directory.Exists(target))
        {
            Directory.Delete(target, recursive: true);
        }

        Directory.Move(staging, target);
        return info;
    }

    /// <summary>Removes images no pod references; <paramref name="keep"/> are GC roots (each pod's last N versions' images).</summary>
    public IReadOnlyList<string> Collect(IReadOnlySet<string> keep)
    {
        var removed = new List<string>();
        foreach (var image in List().Where(i => !keep.Contains(i)))
        {
            var (name, tag) = Split(image);
            Directory.Delete(Path.Combine(root, Encode(name), tag), recursive: true);
            removed.Add(image);
        }

        return removed;
    }

    public static (string Name, string Tag) Split(string image)
    {
        var match = Reference().Match(image);
        if (!match.Success)
        {
            throw new ImageException($"\"{image}\" is not an image reference name:tag (for example busybox:1.35)");
        }

        return (match.Groups[1].Value, match.Groups[2].Value);
    }

    private static string Encode(string name) => name.Replace("/", "%2F", StringComparison.Ordinal);

    private static string Decode(string name) => name.Replace("%2F", "/", StringComparison.Ordinal);

    private static async Task RunAsync(string tool, IReadOnlyList<string> args, string whatFailed, CancellationToken ct)
    {
        var info = new ProcessStartInfo(tool) { RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false };
        foreach (var arg in args)
        {
            info.ArgumentList.Add(arg);
        }

        Process process;
        try
        {
            process = Process.Start(info)!;
        }
        catch (System.ComponentModel.Win32Exception)
        {
            throw new ImageException($"{tool} is not installed (Debian: apt-get install {tool}); it is needed here: {whatFailed}");
        }

        using (process)
        {
            var error = process.StandardError.ReadToEndAsync(ct);
            await process.StandardOutput.ReadToEndAsync(ct);
            await process.WaitForExitAsync(ct);
            if (process.ExitCode != 0)
            {
                throw new ImageException($"{whatFailed}: {(await error).Trim()}");
            }
        }
    }

    [GeneratedRegex("^([a-z0-9][a-z0-9._/-]*):([A-Za-z0-9_][A-Za-z0-9_.-]{0,127})$")]
    private static partial Regex Reference();
}

/// <summary>An imported image: its reference, what it came from, and when.</summary>
public sealed record ImageInfo(string Image, string Kind, string Source, DateTimeOffset ImportedAt);

/// <summary>An image cannot be imported or found; the message says why.</summary>
public sealed class ImageException(string message) : Exception(message);

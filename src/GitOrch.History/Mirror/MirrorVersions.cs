using System.Globalization;
using GitOrch.Core.Diagnostics;
using GitOrch.Git;

namespace GitOrch.History.Mirror;

/// <summary>
/// Versions the store no longer keeps (beyond <c>history.keepVersions</c>; on a replicated control
/// plane they leave etcd too), read back from the Git mirror, which keeps every one: each mirror
/// commit that touched the object's file names the object's version, changer, kind, fields and
/// source commit in its trailers.
/// </summary>
public static class MirrorVersions
{
    private const char Record = '\u001e';
    private const char Field = '\u0000';

    /// <summary>The object's versions below <paramref name="below"/> found on the mirror, oldest first (empty when there is no mirror).</summary>
    public static async Task<IReadOnlyList<VersionRecord>> ReadAsync(GitRepository repo, ObjectRef obj, int below, CancellationToken ct)
    {
        if (below <= 1 || await repo.ResolveAsync(HistoryMirror.Ref, ct) is null)
        {
            return [];
        }

        var path = HistoryMirror.PathOf(obj);
        var output = await repo.RunAsync(ct, "log", "--format=%x1e%H%x00%ct%x00%B%x00", "--name-status", "--no-renames", HistoryMirror.Ref, "--", path);
        var versions = new List<VersionRecord>();
        foreach (var entry in output.Split(Record, StringSplitOptions.RemoveEmptyEntries))
        {
            var parts = entry.Split(Field);
            if (parts.Length < 4 || Parse(obj, parts[1], parts[2], parts[3], parts[0]) is not { } version || version.Version >= below)
            {
                continue;
            }

            versions.Add(version);
        }

        return [.. versions.OrderBy(v => v.Version)];
    }

    private static VersionRecord? Parse(ObjectRef obj, string epoch, string message, string nameStatus, string sha)
    {
        string? changer = null, kind = null, source = null, fields = null;
        int? version = null;
        long batch = 0;
        var key = obj.Key;
        foreach (var line in message.Split('\n'))
        {
            var (name, value) = Trailer(line);
            switch (name)
            {
                case "Changer": changer = value; break;
                case "Change-Kind": kind = value; break;
                case "Source-Commit": source = value; break;
                case "Fields": fields = value; break;
                case "Object-Version" when int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var v): version ??= v; break;
                case "Object" when value.StartsWith(key + "@", StringComparison.Ordinal)
                    && int.TryParse(value.AsSpan(key.Length + 1), NumberStyles.None, CultureInfo.InvariantCulture, out var v): version = v; break;
                case HistoryMirror.BatchTrailer when long.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var b): batch = b; break;
            }
        }

        if (version is null || changer is null || kind is null || !long.TryParse(epoch, NumberStyles.None, CultureInfo.InvariantCulture, out var seconds))
        {
            return null;
        }

        var deleted = nameStatus.Split('\n').Any(l => l.StartsWith("D\t", StringComparison.Ordinal));
        return new VersionRecord(obj, version.Value, batch, changer, Changers.Parse(kind), source, DateTimeOffset.FromUnixTimeSeconds(seconds),
            fields is null ? ["*"] : fields.Split(", ", StringSplitOptions.RemoveEmptyEntries), deleted, null)
        {
            MirrorCommit = sha.Trim(),
        };
    }

    private static (string? Name, string Value) Trailer(string line)
    {
        var colon = line.IndexOf(": ", StringComparison.Ordinal);
        return colon <= 0 ? (null, string.Empty) : (line[..colon], line[(colon + 2)..].Trim());
    }
}

using System.Globalization;
using System.Text;
using GitOrch.Core.Diagnostics;
using GitOrch.Core.Rendering;
using GitOrch.Git;
using GitOrch.History.Store;

namespace GitOrch.History.Mirror;

/// <summary>
/// Mirrors stored batches as commits on <c>refs/gitorch/history</c> of the config repo, written
/// in-process through libgit2 (<see cref="CommitWriter"/>); the ref moves once per run of batches. Exactly once: each commit carries its batch id (<c>Gitorch-Batch</c>), and a
/// catch-up starts after the batch of the ref's tip, so a crash anywhere leaves no gap and no duplicate.
/// </summary>
public sealed class HistoryMirror(GitRepository repo, HistoryStore store)
{
    public const string Ref = "refs/gitorch/history";
    public const string BatchTrailer = "Gitorch-Batch";

    /// <summary>The config repo the mirror is written to.</summary>
    public GitRepository Repository => repo;

    // The tip this mirror wrote last: if the ref has moved since, another controller writes it too.
    private string? _lastWritten;

    /// <summary>
    /// Makes the store number new batches above the mirror's tip. Call before the first write of a
    /// controller's life: a store started empty after a disaster must not reuse ids the mirror holds.
    /// </summary>
    public async Task PrepareAsync(CancellationToken ct)
    {
        if (await repo.ResolveAsync(Ref, ct) is { } tip)
        {
            store.ReserveBatchIds(await LastBatchAsync(tip, ct));
        }
    }

    /// <summary>Writes every batch not yet on the ref. Returns how many commits were written.</summary>
    public async Task<int> CatchUpAsync(CancellationToken ct)
    {
        var tip = await repo.ResolveAsync(Ref, ct);
        if (_lastWritten is not null && tip != _lastWritten)
        {
            throw new StateException(
                $"{Ref} moved from {_lastWritten[..12]} to {(tip is null ? "nothing" : tip[..12])} without this controller: another controller (or a person) writes the same mirror; stop one of them, or give each its own config repo");
        }

        var last = tip is null ? 0 : await LastBatchAsync(tip, ct);
        store.ReserveBatchIds(last);
        var written = 0;
        while (true)
        {
            var batches = store.BatchesAfter(last, limit: 500);
            if (batches.Count == 0)
            {
                return written;
            }

            var writer = CommitWriter.Start(repo, Ref, tip);
            var from = tip;
            if (tip is null)
            {
                // A root commit first, so that every applied config commit is a *second* parent and
                // `git log --first-parent` stays on the mirror.
                var start = batches[0].CreatedAt;
                writer.Commit(new NewCommit("GitOrch", "gitorch@localhost", start, "GitOrch", "gitorch@localhost", start,
                    $"History mirror begins\n\n{BatchTrailer}: 0\n", null, [], []));
            }

            foreach (var batch in batches)
            {
                var versions = store.VersionsOfBatch(batch.Id, withObjects: false); // For the message; the objects come one by one below.
                var merges = new List<string>();
                if (batch.Kind == ChangeKind.External && batch.SourceCommit is { } source && await repo.ExistsAsync(source, ct))
                {
                    merges.Add(source);
                }

                var files = store.StreamVersionsOfBatch(batch.Id)
                    .Select(v => new KeyValuePair<string, byte[]?>(PathOf(v.Ref), v.Deleted || v.ObjectJson is null ? null : Encoding.UTF8.GetBytes(YamlRenderer.Render(GitOrch.Core.Manifests.ManifestJson.ParseToken(v.ObjectJson)))));
                writer.Commit(new NewCommit(
                    batch.Kind == ChangeKind.External ? batch.AuthorName : batch.Changer,
                    batch.AuthorEmail,
                    batch.CreatedAt,
                    "GitOrch",
                    "gitorch@localhost",
                    batch.CreatedAt,
                    Message(batch, versions),
                    from,
                    merges,
                    files));
                from = null; // Later commits in the run follow the previous one.

                last = batch.Id;
                written++;
            }

            ct.ThrowIfCancellationRequested();
            writer.Complete();
            tip = await repo.ResolveAsync(Ref, ct);
            _lastWritten = tip;
        }
    }

    /// <summary>The mirror path of an object: objects/&lt;Kind&gt;/&lt;namespace&gt;/&lt;name&gt;.yaml (no namespace folder when cluster-scoped).</summary>
    public static string PathOf(ObjectRef obj) =>
        obj.Namespace.Length == 0 ? $"objects/{obj.Kind}/{obj.Name}.yaml" : $"objects/{obj.Kind}/{obj.Namespace}/{obj.Name}.yaml";

    /// <summary>The commit message with the trailers of the design (plus the batch id).</summary>
    public static string Message(BatchRecord batch, IReadOnlyList<VersionRecord> versions)
    {
        var text = new StringBuilder();
        var lines = batch.Message.TrimEnd().Split('\n');
        text.Append(Subject(batch, versions, lines[0])).Append("\n\n");
        if (lines.Length > 1 && string.Join('\n', lines.Skip(1)).Trim() is { Length: > 0 } body)
        {
            text.Append(body).Append("\n\n");
        }

        text.Append("Changer: ").Append(batch.Changer).Append('\n');
        text.Append("Change-Kind: ").Append(batch.Kind.ToText()).Append('\n');
        if (batch.Kind == ChangeKind.Mechanical && versions.Count == 1)
        {
            var v = versions[0];
            text.Append("Object: ").Append(v.Ref.Key).Append('\n');
            text.Append("Object-Version: ").Append(v.Version.ToString(CultureInfo.InvariantCulture)).Append('\n');
            text.Append("Fields: ").Append(string.Join(", ", v.Fields)).Append('\n');
        }
        else
        {
            foreach (var v in versions)
            {
                text.Append("Object: ").Append(v.Ref.Key).Append('@').Append(v.Version.ToString(CultureInfo.InvariantCulture)).Append('\n');
            }
        }

        if (batch.SourceCommit is not null)
        {
            text.Append("Source-Commit: ").Append(batch.SourceCommit).Append('\n');
        }

        text.Append(BatchTrailer).Append(": ").Append(batch.Id.ToString(CultureInfo.InvariantCulture)).Append('\n');
        return text.ToString();
    }

    /// <summary>
    /// The subject <c>&lt;changer&gt;: &lt;Kind&gt;/&lt;ns&gt;/&lt;name&gt; &lt;what&gt;</c>, so that
    /// <c>git log --oneline refs/gitorch/history</c> reads as who changed which object and how: a
    /// control loop by its name (<c>runtime: Pod/demo/worker running on node-a</c>), a commit by its
    /// changer with the objects it changed and its own subject.
    /// </summary>
    public static string Subject(BatchRecord batch, IReadOnlyList<VersionRecord> versions, string what)
    {
        var who = batch.Changer.StartsWith("control-loop/", StringComparison.Ordinal) ? batch.Changer["control-loop/".Length..] : batch.Changer;
        what = what.Trim();
        if (what.StartsWith(who + ": ", StringComparison.Ordinal))
        {
            what = what[(who.Length + 2)..];
        }

        var objects = versions.Select(v => v.Ref).Distinct().ToList();
        foreach (var obj in objects)
        {
            what = what.Replace(obj.Key, string.Empty, StringComparison.Ordinal).Replace(obj.Display, string.Empty, StringComparison.Ordinal);
        }

        what = string.Join(' ', what.Split(' ', StringSplitOptions.RemoveEmptyEntries));
        var named = objects.Count switch
        {
            0 => string.Empty,
            <= 3 => string.Join(", ", objects.Select(o => o.Key)),
            _ => $"{objects[0].Key} and {objects.Count - 1} more",
        };
        if (batch.Kind == ChangeKind.External && what.StartsWith("Apply ", StringComparison.Ordinal))
        {
            what = "applied " + what["Apply ".Length..]; // "Apply 0123456789ab: subject" of the reconciler.
        }

        return $"{who}: {named}{(named.Length > 0 && what.Length > 0 ? " " : string.Empty)}{what}";
    }

    private async Task<long> LastBatchAsync(string tip, CancellationToken ct)
    {
        var commit = await repo.ReadCommitAsync(tip, ct);
        foreach (var line in commit.Message.Split('\n').Reverse())
        {
            if (line.StartsWith(BatchTrailer + ": ", StringComparison.Ordinal)
                && long.TryParse(line.AsSpan(BatchTrailer.Length + 2), NumberStyles.None, CultureInfo.InvariantCulture, out var id))
            {
                return id;
            }
        }

        throw new StateException($"the tip of {Ref} ({tip[..12]}) has no {BatchTrailer} trailer; it was not written by gitorch. Move the ref aside (git update-ref -d {Ref}) to let gitorch rewrite it");
    }
}

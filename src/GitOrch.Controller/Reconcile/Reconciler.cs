using System.Diagnostics;
using System.Text.Json.Nodes;
using GitOrch.Controller.Source;
using GitOrch.Core.Diagnostics;
using GitOrch.Core.Loading;
using GitOrch.Core.Manifests;
using GitOrch.Core.Objects;
using GitOrch.Core.Validation;
using GitOrch.History;
using GitOrch.History.Store;
using Microsoft.Extensions.Logging;

namespace GitOrch.Controller.Reconcile;

/// <summary>
/// Turns config commits into object versions. Each commit after the last applied one is read
/// incrementally (only files that changed are parsed; the rest come from the cache, keyed by blob),
/// validated as a whole, and either applied in one transaction or rejected with its diagnostics,
/// leaving the cluster on the last good commit.
/// </summary>
public sealed partial class Reconciler(
    ConfigSource source, HistoryStore store, IObjectWriter writer, Snapshots.ConfigSnapshotProvider snapshots, TimeProvider time, ILogger<Reconciler> log, Forge.GitHubClient? forge = null)
{
    private Dictionary<string, CachedFile> _files = new(StringComparer.Ordinal);
    private readonly ValidationCache _rules = new();
    private IgnoreRules _ignore = IgnoreRules.Empty;
    private string? _lastGood;
    private bool _initialized;
    private bool _fullReadNext;

    /// <summary>The objects of the files kept for the next commit: for tests.</summary>
    internal IEnumerable<LoadedObject> CachedObjects => _files.Values.SelectMany(f => f.Result.Objects);

    /// <summary>Files read from Git since start (parsed, not served from the cache): for tests and benchmarks.</summary>
    public int FilesParsed { get; private set; }

    /// <summary>Objects whose own rules the last validation ran (the others' findings were unchanged): for tests and benchmarks.</summary>
    public int ObjectsChecked => _rules.Checked;

    /// <summary>Objects whose own rules' findings the last validation reused.</summary>
    public int ObjectsReused => _rules.Reused;

    /// <summary>The result of validating the last applied commit (the cluster's declared state).</summary>
    public ValidationResult? Current => snapshots.Current.Result;

    public string? LastApplied => _lastGood;

    /// <summary>The branch head the last sync saw (whether or not it could be applied).</summary>
    public string? Head { get; private set; }

    /// <summary>Loads the last applied commit's files, once, so later commits are read incrementally.</summary>
    public async Task InitializeAsync(CancellationToken ct)
    {
        if (_initialized)
        {
            return;
        }

        _lastGood = store.LastApplied;
        if (_lastGood is not null && !await source.Repository.ExistsAsync(_lastGood, ct))
        {
            LogLastAppliedGone(log, _lastGood);
            _lastGood = null;
        }

        if (_lastGood is not null)
        {
            (_files, _ignore) = await LoadTreeAsync(_lastGood, ct);
            _files = await ManifestBlobs.ResolveAsync(_files, source.Repository.Objects, ct);
            var current = ManifestValidator.Validate(_files.Values.Select(f => f.Result).ToList(), cache: _rules);
            snapshots.Publish(_lastGood, current);

            // Read again as this version reads it, the last applied commit is not valid (a rule or
            // a file type it did not know then): a diff against it could miss what it defined
            // twice, so the next commit is read whole.
            _fullReadNext = !current.IsValid;
        }

        _initialized = true;
    }

    /// <summary>Applies every commit between the last applied one and the branch head, oldest first.</summary>
    public async Task<IReadOnlyList<ApplyOutcome>> SyncAsync(CancellationToken ct)
    {
        await InitializeAsync(ct);
        var profile = StageTimer.Start("sync");
        var head = await source.HeadAsync(ct);
        Head = head;
        profile?.Stage("the branch head");
        if (head == _lastGood)
        {
            return [];
        }

        IReadOnlyList<string> commits;
        var forced = false;
        if (_lastGood is null)
        {
            commits = [head];
        }
        else if (await GitOrch.Git.TreeDiff.FirstParentPathAsync(source.Repository, _lastGood, head, 64, ct) is { } recent)
        {
            commits = recent; // The common case (a few new commits), walked in-process through libgit2 with no process.
        }
        else if (await source.Repository.IsAncestorAsync(_lastGood, head, ct))
        {
            commits = await source.Repository.FirstParentCommitsAsync(_lastGood, head, ct);
        }
        else
        {
            // History was rewritten (force-push): apply the new head against the current state.
            LogForcePush(log, _lastGood, head);
            commits = [head];
            forced = true;
        }

        profile?.Stage($"{commits.Count} commit(s) since the last applied one");
        var outcomes = new List<ApplyOutcome>();
        foreach (var commit in commits)
        {
            if (!forced && store.FindCommit(commit) is not null)
            {
                continue; // Seen before (rejected ones stay rejected; a fix is a new commit).
            }

            outcomes.Add(await ApplyAsync(commit, forced ? $"history was rewritten: applied on top of {_lastGood![..12]}, which is not its ancestor" : null, ct));
        }

        return outcomes;
    }

    /// <summary>
    /// Re-checks the branch head when it was rejected only because a rollout step lacked its
    /// approval: with the approval there now, it applies as if it had just arrived, with its own
    /// author as changer. Null when the head does not wait for an approval.
    /// </summary>
    public async Task<ApplyOutcome?> RecheckApprovalAsync(CancellationToken ct)
    {
        await InitializeAsync(ct);
        var head = await source.HeadAsync(ct);
        if (head == _lastGood || store.FindCommit(head) is not { State: CommitRecord.Rejected } rejected || !WaitsForApproval(rejected))
        {
            return null;
        }

        return await ApplyAsync(head, "applied after its rollout approval arrived", ct);
    }

    /// <summary>A rejected commit whose only errors are missing rollout approvals.</summary>
    public static bool WaitsForApproval(CommitRecord commit) =>
        commit.Diagnostics.Any(d => d.IsError) && commit.Diagnostics.Where(d => d.IsError).All(d => d.Code == DiagnosticCodes.ApprovalRequired);

    private async Task<ApplyOutcome> ApplyAsync(string sha, string? note, CancellationToken ct)
    {
        var started = Stopwatch.GetTimestamp();
        var profile = StageTimer.Start("apply");
        var info = await source.Repository.ReadCommitAsync(sha, ct);
        var (files, ignore, changedFiles) = await NextFilesAsync(sha, ct);
        files = await ManifestBlobs.ResolveAsync(files, source.Repository.Objects, ct);
        profile?.Stage("read the commit and its changed files");
        var result = ManifestValidator.Validate(files.Values.Select(f => f.Result).ToList(), cache: _rules);
        profile?.Stage("validate");
        var record = new CommitRecord(sha, CommitRecord.Applied, info.AuthorName, info.AuthorEmail, info.Subject, info.AuthorTime,
            time.GetUtcNow(), result.Diagnostics, 0, note);

        if (result.IsValid)
        {
            var refusals = await ApprovalRefusalsAsync(sha, result, ct);
            if (refusals.Count > 0)
            {
                result = result with { Diagnostics = [.. result.Diagnostics, .. refusals] };
                record = record with { Diagnostics = result.Diagnostics };
            }
        }

        if (!result.IsValid)
        {
            writer.RecordRejected(record with { State = CommitRecord.Rejected });
            LogRejected(log, sha[..12], info.Subject, result.ErrorCount);
            return new ApplyOutcome(sha, false, [], result.Diagnostics);
        }

        profile?.Stage("approvals");
        var inScope = InScope(result, files, changedFiles);
        var changes = Changes(result, inScope, changedFiles, out var moved);
        profile?.Stage("changed objects");
        var batch = changes.Count == 0
            ? null
            : new ChangeBatch(Changers.Git(info.AuthorEmail), ChangeKind.External, sha, $"Apply {sha[..12]}: {info.Subject}", info.AuthorName, info.AuthorEmail, changes);
        var written = writer.ApplyCommit(record, batch, result, moved);
        profile?.Stage("durable write");
        if (written.IsRefused)
        {
            var refused = result with { Diagnostics = [.. result.Diagnostics, .. written.Refused] };
            writer.RecordRejected(record with { State = CommitRecord.Rejected, Diagnostics = refused.Diagnostics });
            LogRejected(log, sha[..12], info.Subject, refused.ErrorCount);
            return new ApplyOutcome(sha, false, [], refused.Diagnostics);
        }

        _files = files;
        _ignore = ignore;
        _lastGood = sha;
        _fullReadNext = false;
        snapshots.Publish(sha, result);
        profile?.Stage("kept files and published snapshot");
        LogApplied(log, sha[..12], info.Subject, changes.Count, changedFiles?.Count ?? files.Count, Stopwatch.GetElapsedTime(started).TotalMilliseconds);
        return new ApplyOutcome(sha, true, changes.Select(c => c.Ref).ToList(), result.Diagnostics);
    }

    /// <summary>
    /// A PinnedDeployment step larger than the policy allows applies only with an approving review
    /// of the pull request that merged the commit, from a listed approver (a user, or a member of a
    /// listed team). A forge that cannot be reached fails the cycle (retried), never rejects.
    /// </summary>
    private async Task<List<Diagnostic>> ApprovalRefusalsAsync(string sha, ValidationResult result, CancellationToken ct)
    {
        var refusals = new List<Diagnostic>();
        foreach (var need in Core.Rollouts.RolloutApprovals.Needed(Current?.NotPods ?? [], result.NotPods))
        {
            string why;
            if (forge is null)
            {
                why = "no forge is configured to check approvals (start the controller with --github-repo OWNER/NAME)";
            }
            else if (await forge.PullRequestOfAsync(sha, ct) is not { } pr)
            {
                why = $"commit {sha[..12]} did not come through a pull request of {forge.Options.Repository}, so nobody approved it";
            }
            else if (await forge.ApprovedByAsync(pr, need.Approvers, ct) is { } approver)
            {
                LogApproved(log, need.Object.Ref.Display, pr, approver);
                continue;
            }
            else
            {
                why = $"pull request #{pr} has no approving review from one of them";
            }

            refusals.Add(Diagnostic.Error(need.Object.At("spec", "percentNext"), DiagnosticCodes.ApprovalRequired, $"{need.Describe()}; {why}", need.Object.Ref));
        }

        return refusals;
    }

    /// <summary>
    /// The files at <paramref name="sha"/>: the cache with the changed files re-read, or (first
    /// commit, or .gitorchignore changed) the whole tree. Unchanged blobs are never parsed again.
    /// The third value lists the changed manifest paths (null after a full read).
    /// </summary>
    private async Task<(Dictionary<string, CachedFile> Files, IgnoreRules Ignore, HashSet<string>? Changed)> NextFilesAsync(string sha, CancellationToken ct)
    {
        if (_lastGood is null || _fullReadNext)
        {
            var (all, ignore) = await LoadTreeAsync(sha, ct);
            return (all, ignore, null);
        }

        var diff = await GitOrch.Git.TreeDiff.DiffAsync(source.Repository, _lastGood, sha, Folder, ct);
        if (diff.Any(d => d.Path == source.Prefix + IgnoreRules.FileName))
        {
            var (all, ignore) = await LoadTreeAsync(sha, ct);
            return (all, ignore, null);
        }

        var files = new Dictionary<string, CachedFile>(_files, StringComparer.Ordinal);
        var changed = new HashSet<string>(StringComparer.Ordinal);
        var present = diff.Where(c => c.Type != GitOrch.Git.ChangeType.Deleted && c.Path.StartsWith(source.Prefix, StringComparison.Ordinal)).Select(c => c.Path).ToList();
        var sized = (await source.Repository.ListTreeSizedAsync(sha, null, present, ct)).ToDictionary(e => e.Path, StringComparer.Ordinal);
        foreach (var change in diff)
        {
            if (!change.Path.StartsWith(source.Prefix, StringComparison.Ordinal))
            {
                continue;
            }

            var relative = change.Path[source.Prefix.Length..];
            if (!IgnoreRules.IsManifestPath(relative) || _ignore.IsFileIgnored(relative))
            {
                continue;
            }

            changed.Add(relative);
            if (change.Type == GitOrch.Git.ChangeType.Deleted)
            {
                files.Remove(relative);
            }
            else if (!sized.TryGetValue(change.Path, out var entry))
            {
                // The diff named a file the commit's tree does not hold under that name: its size
                // and type are unknown, so it is not read.
                files[relative] = new CachedFile(change.NewBlob!, new FileLoadResult(relative, [], [BoundedFiles.NotRegular(relative, "not found under this name in the commit's tree")]));
            }
            else if (ManifestBlobs.Refuse(entry, relative) is { } refused)
            {
                files[relative] = new CachedFile(entry.Blob, refused);
            }
            else
            {
                files[relative] = await LoadAsync(relative, change.NewBlob!, ct);
            }
        }

        return (files, _ignore, changed);
    }

    private async Task<(Dictionary<string, CachedFile>, IgnoreRules)> LoadTreeAsync(string sha, CancellationToken ct)
    {
        var entries = await source.Repository.ListTreeSizedAsync(sha, Folder, null, ct);
        var ignoreEntry = entries.FirstOrDefault(e => e.Path == source.Prefix + IgnoreRules.FileName);
        var ignore = ignoreEntry is null || ignoreEntry.IsSymlink || !BoundedFiles.WithinDefault(ignoreEntry.Size)
            ? IgnoreRules.Empty
            : new IgnoreRules(await source.Repository.Objects.ReadTextAsync(ignoreEntry.Blob, ct) ?? string.Empty);
        // Read the blobs that changed (libgit2, in-process), then parse them (on every core but one).
        var files = new Dictionary<string, CachedFile>(StringComparer.Ordinal);
        var toParse = new List<(string Relative, string Blob, ManifestFile File)>();
        foreach (var entry in entries.Where(e => e.Type == "blob" && e.Path.StartsWith(source.Prefix, StringComparison.Ordinal)))
        {
            var relative = entry.Path[source.Prefix.Length..];
            if (!IgnoreRules.IsManifestPath(relative) || ignore.IsFileIgnored(relative))
            {
                continue;
            }

            if (_files.TryGetValue(relative, out var cached) && cached.Blob == entry.Blob)
            {
                files[relative] = cached;
            }
            else if (ManifestBlobs.Refuse(entry, relative) is { } refused)
            {
                files[relative] = new CachedFile(entry.Blob, refused);
            }
            else
            {
                toParse.Add((relative, entry.Blob, new ManifestFile(relative, await source.Repository.Objects.ReadTextAsync(entry.Blob, ct) ?? string.Empty)));
            }
        }

        var parsed = ManifestValidator.LoadAll(toParse.Select(p => p.File).ToList());
        for (var i = 0; i < toParse.Count; i++)
        {
            files[toParse[i].Relative] = new CachedFile(toParse[i].Blob, parsed[i]);
        }

        FilesParsed += toParse.Count;
        return (files, ignore);
    }

    private async Task<CachedFile> LoadAsync(string relative, string blob, CancellationToken ct)
    {
        if (_files.TryGetValue(relative, out var cached) && cached.Blob == blob)
        {
            return cached;
        }

        var text = await source.Repository.Objects.ReadTextAsync(blob, ct) ?? string.Empty;
        FilesParsed++;
        return new CachedFile(blob, ManifestLoader.LoadFileReleased(new ManifestFile(relative, text)));
    }

    /// <summary>
    /// The objects a commit may have changed: all of them after a full read, else those of the
    /// changed files (taken from the files themselves, in path order: no walk over every object).
    /// </summary>
    private static IReadOnlyList<LoadedObject> InScope(ValidationResult result, Dictionary<string, CachedFile> files, HashSet<string>? changedFiles) =>
        changedFiles is null
            ? result.Objects
            : [.. changedFiles.Order(StringComparer.Ordinal).SelectMany(f => files.TryGetValue(f, out var file) ? file.Result.Objects : [])];

    /// <summary>
    /// Versions to write: objects of the changed files (all objects after a full read) that differ
    /// from what is stored, and Git objects that disappeared. Status is kept: Git never writes it.
    /// </summary>
    /// <param name="moved">Objects in scope whose stored file is not the file that defines them now (read from the same store reads).</param>
    private List<ObjectChange> Changes(ValidationResult result, IReadOnlyList<LoadedObject> inScope, HashSet<string>? changedFiles, out List<(ObjectRef, string)> moved)
    {
        moved = [];
        var desired = inScope.ToDictionary(o => o.Ref);

        var previous = changedFiles is null
            ? store.List().Where(o => o.File is not null).Select(o => o.Ref)
            : changedFiles.SelectMany(f => _files.TryGetValue(f, out var old) ? old.Result.Objects.Select(o => o.Ref) : []);

        var changes = new List<ObjectChange>();
        var storedNow = store.GetMany(desired.Keys);
        foreach (var obj in inScope)
        {
            var stored = storedNow.GetValueOrDefault(obj.Ref);
            if (stored is { File: { } file } && file != obj.File)
            {
                moved.Add((obj.Ref, obj.File));
            }

            if (stored is null || stored.Deleted)
            {
                changes.Add(new ObjectChange(obj.Ref, obj.JsonText, [.. obj.Fields], obj.File));
                continue;
            }

            var current = GitOrch.Core.Manifests.ManifestJson.Parse(stored.ObjectJson);
            current.Remove("status");
            var fields = FieldDiff.Changed(current, obj.Json);
            if (fields.Count > 0)
            {
                // The store keeps the current status when it writes the version (atomically).
                changes.Add(new ObjectChange(obj.Ref, obj.JsonText, fields, obj.File));
            }
        }

        // After a full read every object counts. After a diff, an object of a changed file can only
        // have gone to another changed file: the last applied commit had no duplicates, so no
        // unchanged file defines it.
        var everywhere = changedFiles is null ? result.Objects.Select(o => o.Ref).ToHashSet() : desired.Keys.ToHashSet();
        foreach (var gone in previous.Distinct().Where(r => !everywhere.Contains(r)))
        {
            if (store.Get(gone) is { Deleted: false, File: not null })
            {
                changes.Add(new ObjectChange(gone, null, ["*"], null));
            }
        }

        return changes;
    }

    private string? Folder => source.Prefix.Length == 0 ? null : source.Prefix.TrimEnd('/');

    [LoggerMessage(Level = LogLevel.Information, Message = "Applied {Commit} \"{Subject}\": {Objects} object(s) changed, {Files} file(s) read, in {Ms:F0} ms")]
    private static partial void LogApplied(ILogger logger, string commit, string subject, int objects, int files, double ms);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Rejected {Commit} \"{Subject}\": {Errors} error(s); the cluster stays on the last applied commit (gitorch status shows them)")]
    private static partial void LogRejected(ILogger logger, string commit, string subject, int errors);

    [LoggerMessage(Level = LogLevel.Information, Message = "Rollout step of {Object} approved on pull request #{Pr} by {Approver}")]
    private static partial void LogApproved(ILogger logger, string @object, int pr, string approver);

    [LoggerMessage(Level = LogLevel.Warning, Message = "History was rewritten: {Head} does not descend from the last applied commit {Last}; applying it on top of the current state")]
    private static partial void LogForcePush(ILogger logger, string last, string head);

    [LoggerMessage(Level = LogLevel.Warning, Message = "The last applied commit {Commit} no longer exists in the repository; the next head is applied in full against the stored objects")]
    private static partial void LogLastAppliedGone(ILogger logger, string commit);
}

using System.Globalization;
using System.Text.Json.Nodes;
using GitOrch.Core.Diagnostics;
using GitOrch.Core.Editing;
using GitOrch.Git;

namespace GitOrch.Controller.Rollback;

/// <summary>
/// Writes an earlier version's Git-owned fields back into the config repo file that holds the
/// object, as an ordinary commit: on a new branch <c>rollback/&lt;name&gt;-v&lt;N&gt;</c> (for a pull
/// request), or on the current branch. The controller never writes main by itself; this is the
/// user's verb.
/// </summary>
public static class RollbackWriter
{
    public sealed record Request(string RepoPath, string RepoFile, ObjectRef Object, int ToVersion, int FromVersion, JsonObject Version, bool OnCurrentBranch);

    public sealed record Result(string Commit, string Branch, string RepoFile, bool CommentsKept);

    public static async Task<Result> WriteAsync(Request request, CancellationToken ct)
    {
        if (!Directory.Exists(request.RepoPath))
        {
            throw new RollbackException($"--repo {request.RepoPath}: no such folder; give the path of your clone of the config repo");
        }

        var top = await GitRepository.FindTopLevelAsync(request.RepoPath, ct)
            ?? throw new RollbackException($"{request.RepoPath} is not in a git repository; give --repo your clone of the config repo");
        await using var repo = new GitRepository(top);
        var head = await repo.ResolveAsync("HEAD", ct) ?? throw new RollbackException($"{top} has no commits; run rollback in a clone of the config repo");
        var original = await repo.Objects.ReadTextAsync($"{head}:{request.RepoFile}", ct)
            ?? throw new RollbackException($"{request.RepoFile} is not in {top} at HEAD: the file has moved or been deleted since {request.Object.Display} was applied; edit the object where it lives now");
        var document = ManifestEditor.FindDocument(request.RepoFile, original, request.Object)
            ?? throw new RollbackException($"{request.RepoFile} at HEAD no longer defines {request.Object.Display}: the object has moved to another file; edit it where it lives now");

        var target = (JsonObject)request.Version.DeepClone();
        target.Remove("status"); // Git never holds status: control loops own it.
        var edit = ManifestEditor.Rewrite(original, document, target);
        if (edit.Text == original)
        {
            throw new RollbackException($"{request.RepoFile} already says what version {request.ToVersion} says for {request.Object.Display}; nothing to roll back");
        }

        var message = string.Create(CultureInfo.InvariantCulture,
            $"Rollback {request.Object.Display} to version {request.ToVersion}\n\nRollback-To: {request.ToVersion}\nRollback-From: {request.FromVersion}\n");
        var branch = request.OnCurrentBranch
            ? await repo.CurrentBranchAsync(ct) ?? throw new RollbackException("HEAD is detached; check out a branch, or leave out --commit to write a rollback branch")
            : $"rollback/{request.Object.Name}-v{request.ToVersion}";

        var commit = request.OnCurrentBranch && await HasWorkTreeAsync(repo, ct)
            ? await CommitInWorkTreeAsync(repo, request.RepoFile, edit.Text, message, ct)
            : await CommitWithPlumbingAsync(repo, head, request.RepoFile, edit.Text, message, branch, create: !request.OnCurrentBranch, ct);
        return new Result(commit, branch, request.RepoFile, edit.CommentsKept);
    }

    private static async Task<bool> HasWorkTreeAsync(GitRepository repo, CancellationToken ct) =>
        (await repo.RunAsync(ct, "rev-parse", "--is-inside-work-tree")).Trim() == "true";

    private static async Task<string> CommitInWorkTreeAsync(GitRepository repo, string file, string text, string message, CancellationToken ct)
    {
        if ((await repo.RunAsync(ct, "status", "--porcelain", "--", file)).Trim().Length > 0)
        {
            throw new RollbackException($"{file} has uncommitted changes; commit or stash them first");
        }

        await File.WriteAllTextAsync(Path.Combine(repo.Path, file), text, ct);
        await repo.RunAsync(ct, "add", "--", file);
        await GitRunner.RunAsync(repo.Path, ["commit", "--quiet", "-F", "-", "--", file], ct, message);
        return (await repo.RunAsync(ct, "rev-parse", "HEAD")).Trim();
    }

    private static async Task<string> CommitWithPlumbingAsync(GitRepository repo, string head, string file, string text, string message, string branch, bool create, CancellationToken ct)
    {
        var blob = (await GitRunner.RunAsync(repo.Path, ["hash-object", "-w", "--stdin"], ct, text)).Trim();
        var mode = (await repo.ListTreeAsync(head, file, ct)).FirstOrDefault(e => e.Path == file)?.Mode ?? "100644";
        var index = Path.GetTempFileName();
        try
        {
            var env = new Dictionary<string, string> { ["GIT_INDEX_FILE"] = index };
            File.Delete(index);
            await GitRunner.RunAsync(repo.Path, ["read-tree", head], ct, env: env);
            await GitRunner.RunAsync(repo.Path, ["update-index", "--add", "--cacheinfo", $"{mode},{blob},{file}"], ct, env: env);
            var tree = (await GitRunner.RunAsync(repo.Path, ["write-tree"], ct, env: env)).Trim();
            var commit = (await GitRunner.RunAsync(repo.Path, ["commit-tree", tree, "-p", head, "-F", "-"], ct, message)).Trim();
            var refName = $"refs/heads/{branch}";
            try
            {
                await GitRunner.RunAsync(repo.Path, create ? ["update-ref", refName, commit, new string('0', 40)] : ["update-ref", refName, commit, head], ct);
            }
            catch (GitException) when (create)
            {
                throw new RollbackException($"branch {branch} already exists; delete it (git branch -D {branch}) or use --commit");
            }

            return commit;
        }
        catch (GitException ex) when (ex.StandardError.Contains("tell me who you are", StringComparison.OrdinalIgnoreCase) || ex.StandardError.Contains("empty ident", StringComparison.OrdinalIgnoreCase))
        {
            throw new RollbackException("git does not know who you are; set git config user.name and user.email, then run rollback again");
        }
        finally
        {
            File.Delete(index);
        }
    }
}

/// <summary>A rollback that cannot be written; the message says why and what to do instead.</summary>
public sealed class RollbackException(string message) : Exception(message);

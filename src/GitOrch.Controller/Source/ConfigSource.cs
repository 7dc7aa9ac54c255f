using GitOrch.Git;

namespace GitOrch.Controller.Source;

/// <summary>
/// Where the config comes from. A local path is read in place (and the mirror is written into it);
/// a URL is fetched into a bare cache under the state folder, and the mirror is pushed back.
/// </summary>
public sealed class ConfigSource : IAsyncDisposable
{
    private const string FetchRefPrefix = "refs/gitorch/source/";

    private ConfigSource(GitRepository repository, string branch, string prefix, string? remoteUrl, string display)
    {
        Repository = repository;
        Branch = branch;
        Prefix = prefix;
        RemoteUrl = remoteUrl;
        Display = display;
    }

    public GitRepository Repository { get; }

    public string Branch { get; }

    /// <summary>The manifests' folder inside the repo, '/'-separated, empty or ending in '/'.</summary>
    public string Prefix { get; }

    public string? RemoteUrl { get; }

    /// <summary>The repo as the user named it.</summary>
    public string Display { get; }

    public bool IsRemote => RemoteUrl is not null;

    public static async Task<ConfigSource> OpenAsync(ControllerOptions options, CancellationToken ct)
    {
        var extra = NormalizeFolder(options.Path);
        if (Directory.Exists(options.Repo))
        {
            var full = System.IO.Path.GetFullPath(options.Repo);
            var top = await GitRepository.FindTopLevelAsync(full, ct);
            string root;
            string prefix;
            if (top is not null)
            {
                root = top;
                prefix = NormalizeFolder(System.IO.Path.GetRelativePath(top, full).Replace('\\', '/'));
                await StateExclusion.EnsureAsync(top, options.StateDir, ct);
            }
            else if (await IsBareAsync(full, ct))
            {
                root = full;
                prefix = string.Empty;
            }
            else
            {
                throw new SourceException($"{options.Repo} is not in a git repository; run `git init && git add -A && git commit -m init` there first, or give a repository URL");
            }

            var repo = new GitRepository(root);
            var branch = options.Branch ?? await repo.CurrentBranchAsync(ct)
                ?? throw new SourceException($"{root}: HEAD is detached, so there is no branch to follow; give --branch");
            if (await repo.ResolveAsync($"refs/heads/{branch}", ct) is null)
            {
                throw new SourceException($"{root} has no branch {branch}; give --branch with an existing branch, or commit to create it");
            }

            var folder = (prefix + extra).TrimEnd('/');
            if (folder.Length > 0 && (await repo.ListTreeAsync($"refs/heads/{branch}", folder, ct)).Count == 0)
            {
                throw new SourceException($"{folder} holds nothing on branch {branch} of {root}; check --path (or --repo)");
            }

            return new ConfigSource(repo, branch, prefix + extra, null, options.Repo);
        }

        if (!LooksLikeUrl(options.Repo))
        {
            throw new SourceException($"{options.Repo}: no such folder, and not a repository URL (file://, http(s)://, ssh:// or user@host:path)");
        }

        var cache = System.IO.Path.Combine(System.IO.Path.GetFullPath(options.StateDir), "source.git");
        if (!Directory.Exists(cache))
        {
            Directory.CreateDirectory(cache);
            await GitRunner.RunAsync(cache, ["init", "--quiet", "--bare"], ct);
        }

        return new ConfigSource(new GitRepository(cache), options.Branch ?? "main", extra, options.Repo, options.Repo);
    }

    /// <summary>The commit at the tip of the followed branch, fetching first when remote.</summary>
    public async Task<string> HeadAsync(CancellationToken ct)
    {
        if (RemoteUrl is null)
        {
            return await Repository.ResolveAsync($"refs/heads/{Branch}", ct)
                ?? throw new SourceException($"branch {Branch} no longer exists in {Display}; the cluster stays on the last applied commit until it comes back");
        }

        try
        {
            return await Repository.FetchAsync(RemoteUrl, Branch, FetchRefPrefix + Branch, ct);
        }
        catch (GitException ex)
        {
            var reason = ex.StandardError.Contains("couldn't find remote ref", StringComparison.Ordinal)
                ? $"branch {Branch} does not exist in {RemoteUrl}"
                : $"cannot fetch {Branch} from {RemoteUrl}: {ex.Message}";
            throw new SourceException(reason + "; the cluster stays on the last applied commit, and gitorch keeps trying", ex);
        }
    }

    /// <summary>Pushes the history mirror to the remote (no-op for a local repo, where it is written in place).</summary>
    public async Task PushMirrorAsync(string mirrorRef, CancellationToken ct)
    {
        if (RemoteUrl is null || await Repository.ResolveAsync(mirrorRef, ct) is null)
        {
            return;
        }

        await Repository.RunAsync(ct, "push", "--quiet", RemoteUrl, $"{mirrorRef}:{mirrorRef}");
    }

    private static string NormalizeFolder(string? folder)
    {
        if (string.IsNullOrEmpty(folder) || folder == ".")
        {
            return string.Empty;
        }

        var clean = folder.Replace('\\', '/').Trim('/');
        return clean.Length == 0 || clean == "." ? string.Empty : clean + "/";
    }

    private static bool LooksLikeUrl(string repo) =>
        repo.Contains("://", StringComparison.Ordinal) || (repo.Contains('@', StringComparison.Ordinal) && repo.Contains(':', StringComparison.Ordinal));

    private static async Task<bool> IsBareAsync(string path, CancellationToken ct)
    {
        try
        {
            return (await GitRunner.RunAsync(path, ["rev-parse", "--is-bare-repository"], ct)).Trim() == "true";
        }
        catch (GitException)
        {
            return false;
        }
    }

    public ValueTask DisposeAsync() => Repository.DisposeAsync();
}

/// <summary>The config source cannot be read; the message says why and what to do.</summary>
public sealed class SourceException(string message, Exception? inner = null) : Exception(message, inner);

using GitOrch.Contracts.Trust;
using GitOrch.Controller;
using GitOrch.Controller.Replication;
using GitOrch.Controller.Trust;
using Microsoft.Extensions.Logging;

namespace GitOrch.Tests.Shared;

/// <summary>
/// Two real controller hosts of one cluster (one CA, one admin token: both state folders start from
/// the same prepared trust) on free ports, following one real repo. Who leads comes from a
/// <see cref="ReplicaDirectory"/> the test flips (the election itself is tested against etcd
/// elsewhere): <see cref="First"/> is replica r1, <see cref="Second"/> r2, and r1 leads at first.
/// </summary>
internal sealed class ReplicaPair : IAsyncDisposable
{
    private readonly List<string> _folders;

    private ReplicaPair(GitRepo repo, ReplicaDirectory directory, ControllerHost first, ControllerHost second, List<string> folders)
    {
        Repo = repo;
        Directory = directory;
        First = first;
        Second = second;
        _folders = folders;
    }

    public GitRepo Repo { get; }

    public ReplicaDirectory Directory { get; }

    /// <summary>Replica r1.</summary>
    public ControllerHost First { get; }

    /// <summary>Replica r2.</summary>
    public ControllerHost Second { get; }

    /// <summary>The admin credentials file (the same token is valid at both replicas).</summary>
    public string CredentialsPath => First.AdminCredentialsPath;

    public static async Task<ReplicaPair> StartAsync(bool nodeEndpoints = false, Action<ILoggingBuilder>? logging = null)
    {
        var repo = GitRepo.Init();
        repo.Write("README.md", "config repo\n").Commit("Empty config");
        var first = System.IO.Directory.CreateTempSubdirectory("gitorch-replica-r1-").FullName;
        var second = System.IO.Directory.CreateTempSubdirectory("gitorch-replica-r2-").FullName;
        List<string> folders = [first, second];
        PrepareTrust(first);
        foreach (var file in System.IO.Directory.EnumerateFiles(first, "*", SearchOption.AllDirectories))
        {
            var target = Path.Combine(second, Path.GetRelativePath(first, file));
            System.IO.Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.Copy(file, target);
            if (!OperatingSystem.IsWindows())
            {
                File.SetUnixFileMode(target, File.GetUnixFileMode(file));
            }
        }

        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(Path.Combine(second, ClusterPki.FolderName), File.GetUnixFileMode(Path.Combine(first, ClusterPki.FolderName)));
        }

        var directory = new ReplicaDirectory();
        ControllerHost? r1 = null;
        try
        {
            r1 = await Start(repo, first, directory.RoleOf("r1"), nodeEndpoints, logging);
            var r2 = await Start(repo, second, directory.RoleOf("r2"), nodeEndpoints, logging);
            directory.Register(new ReplicaInfo("r1", r1.Address, r1.AgentAddress, DateTimeOffset.UnixEpoch));
            directory.Register(new ReplicaInfo("r2", r2.Address, r2.AgentAddress, DateTimeOffset.UnixEpoch));
            directory.Lead("r1");
            return new ReplicaPair(repo, directory, r1, r2, folders);
        }
        catch
        {
            if (r1 is not null)
            {
                await r1.DisposeAsync();
            }

            repo.Dispose();
            folders.ForEach(f => System.IO.Directory.Delete(f, recursive: true));
            throw;
        }
    }

    /// <summary>The cluster's trust before either replica starts: CA, API certificate, and an admin token in <c>admin.credentials</c>.</summary>
    private static void PrepareTrust(string state)
    {
        using (var pki = ClusterPki.LoadOrCreate(state, ["127.0.0.1"], TimeProvider.System))
        using (var tokens = new TokenStore(state, TimeProvider.System))
        {
            var secret = tokens.Create(ControllerHost.AdminTokenName, TokenStore.ApiKind, Identities.AdminRole, ttl: null, createdBy: "test");
            new ClusterCredentials { Server = "https://127.0.0.1:1", CaCertificate = pki.CaPem, Token = secret }.Save(Path.Combine(state, ControllerHost.AdminCredentialsFile));
        }

        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools(); // trust.db is closed before it is copied.
    }

    private static Task<ControllerHost> Start(GitRepo repo, string state, IReplicaRole role, bool nodeEndpoints, Action<ILoggingBuilder>? logging) =>
        ControllerHost.StartAsync(
            new ControllerOptions
            {
                Repo = repo.Root,
                StateDir = state,
                Poll = TimeSpan.FromHours(1),
                Listen = "https://127.0.0.1:0",
                AgentListen = nodeEndpoints ? "https://127.0.0.1:0" : null,
                Replica = role,
            },
            logging,
            TimeProvider.System,
            CancellationToken.None);

    public async ValueTask DisposeAsync()
    {
        await First.DisposeAsync();
        await Second.DisposeAsync();
        Repo.Dispose();
        foreach (var folder in _folders)
        {
            try
            {
                System.IO.Directory.Delete(folder, recursive: true);
            }
            catch (IOException)
            {
                // A leftover temporary folder is harmless.
            }
        }
    }
}

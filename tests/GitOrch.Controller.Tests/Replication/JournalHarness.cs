using System.Text;
using dotnet_etcd;
using GitOrch.Controller.Replication;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging.Abstractions;

namespace GitOrch.Controller.Tests.Replication;

/// <summary>
/// A journal in real etcd, led by one replica (a real lease and term) under a fresh key prefix,
/// for store tests: stores opened with <see cref="Journal"/> write through it, and
/// <see cref="AssertCopyEquals"/> rebuilds a second copy from etcd alone (snapshot and entries)
/// and compares every row of every table with the first.
/// </summary>
internal sealed class JournalHarness : IDisposable
{
    private readonly EtcdClient _client;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _run;

    private JournalHarness(EtcdClient client, LeaderElection election, EtcdJournal journal, Task run)
    {
        _client = client;
        Election = election;
        Journal = journal;
        _run = run;
    }

    public LeaderElection Election { get; }

    public EtcdJournal Journal { get; }

    public static async Task<JournalHarness> StartAsync(string endpoints, string stateDir)
    {
        var prefix = "/test-" + Guid.NewGuid().ToString("N")[..12] + "/";
        var client = new EtcdClient(endpoints);
        var election = new LeaderElection(client, prefix, new ReplicaInfo("store-test", null, null, DateTimeOffset.UtcNow), TimeSpan.FromSeconds(10), TimeProvider.System, NullLogger<LeaderElection>.Instance);
        var stop = new CancellationTokenSource();
        var run = election.RunAsync(stop.Token);
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (election.Term is null)
        {
            Assert.True(DateTime.UtcNow < deadline, $"no term within 20 s: {election.State.Reason}");
            await Task.Delay(20);
        }

        var journal = new EtcdJournal(client, prefix, election);
        using (var replica = new JournalReplica(journal, stateDir, NullLogger<JournalReplica>.Instance))
        {
            replica.EnsureSchema();
            replica.MarkApplied(0);
            await journal.ExclusiveAsync(_ => replica.WriteSnapshotAsync(election, 0, CancellationToken.None), CancellationToken.None);
        }

        await journal.StartTermAsync(election.Term!, 0, CancellationToken.None);
        var harness = new JournalHarness(client, election, journal, run);
        harness._stop.Token.Register(() => stop.Cancel());
        return harness;
    }

    /// <summary>A second copy, built from etcd alone, holds the same rows as <paramref name="stateDir"/> (whose stores are closed).</summary>
    public void AssertCopyEquals(string stateDir)
    {
        var copy = Directory.CreateTempSubdirectory("gitorch-copy-").FullName;
        try
        {
            using (var replica = new JournalReplica(Journal, copy, NullLogger<JournalReplica>.Instance))
            {
                var last = replica.CatchUpAsync(allowRestore: true, CancellationToken.None).GetAwaiter().GetResult();
                Assert.Equal(Journal.Next - 1, last);
            }

            foreach (var database in JournalReplica.Databases)
            {
                Assert.Equal(Dump(Path.Combine(stateDir, database)), Dump(Path.Combine(copy, database)));
            }
        }
        finally
        {
            SqliteConnection.ClearAllPools();
            Directory.Delete(copy, recursive: true);
        }
    }

    /// <summary>Every row of every table but the journal's bookkeeping (a copy restored from a snapshot marks every database with the snapshot's entry).</summary>
    internal static string Dump(string path)
    {
        using var db = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = path, Mode = SqliteOpenMode.ReadOnly, Pooling = false }.ToString());
        db.Open();
        return SqliteRows.Dump(db, null, Path.GetFileName(path), table => table != "replica_journal");
    }

    public void Dispose()
    {
        _stop.Cancel();
        try
        {
            _run.GetAwaiter().GetResult();
        }
        catch (OperationCanceledException)
        {
        }

        _client.Dispose();
        _stop.Dispose();
    }
}

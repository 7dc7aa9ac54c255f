using System.Security.Cryptography;
using dotnet_etcd;
using Etcdserverpb;
using GitOrch.Controller.Replication;
using GitOrch.Controller.Trust;
using GitOrch.Core.Diagnostics;
using GitOrch.Core.State;
using GitOrch.Storage;
using GitOrch.Workflow.Store;
using Google.Protobuf;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging.Abstractions;

namespace GitOrch.Controller.Tests.Replication;

/// <summary>
/// The journal in a real etcd member: every store transaction is one entry, a second copy built
/// from etcd alone holds the same rows, large entries go in parts, snapshots let old entries go,
/// and the attacks (a write that bypasses the journal, a deposed leader writing) change nothing.
/// </summary>
public sealed class EtcdJournalTests(EtcdMember etcd) : IClassFixture<EtcdMember>, IDisposable
{
    private readonly string _state = Directory.CreateTempSubdirectory("gitorch-journal-").FullName;

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        Directory.Delete(_state, recursive: true);
    }

    [Fact]
    public async Task EveryStoreTransaction_IsOneEntry_AndACopyFromEtcdAlone_HasTheSameRows()
    {
        using var harness = await JournalHarness.StartAsync(etcd.Endpoints, _state);
        using (var tokens = new TokenStore(_state, TimeProvider.System, harness.Journal))
        using (var workflows = new WorkflowStore(Path.Combine(_state, History.Store.HistoryStore.FileName), harness.Journal))
        {
            tokens.Create("ci", TokenStore.ApiKind, Identities.ViewerRole, null, "test");
            tokens.Revoke("ci");
            workflows.Create(new ObjectRef("Pod", "demo", "web-0"), new string('a', 40), DateTimeOffset.UnixEpoch, []);
        }

        Assert.Equal(4, harness.Journal.Next);
        harness.AssertCopyEquals(_state);
    }

    [Fact]
    public async Task AWrite_ThatBypassesTheJournal_IsRefused_AndNotCommitted()
    {
        using var harness = await JournalHarness.StartAsync(etcd.Endpoints, _state);
        using var db = SqliteDb.OpenDurable(Path.Combine(_state, TokenStore.FileName));
        SqliteJournal.Attach(db, harness.Journal, TokenStore.FileName);

        var ex = Assert.Throws<SqliteException>(() => db.Exec("INSERT INTO tokens(name, kind, role, hash, created_at, created_by) VALUES('evil', 'api', 'admin', 'x', 'now', 'attacker')"));

        Assert.Contains("constraint failed", ex.Message, StringComparison.Ordinal); // SQLite's commit hook turned the commit into a rollback.
        using var count = db.Command("SELECT COUNT(*) FROM tokens", null);
        Assert.Equal(0L, (long)count.ExecuteScalar()!);
        Assert.Equal(1, harness.Journal.Next);
    }

    [Fact]
    public async Task ADeposedLeader_WritesNothing_NeitherInEtcdNorInItsOwnCopy()
    {
        using var harness = await JournalHarness.StartAsync(etcd.Endpoints, _state);
        using var tokens = new TokenStore(_state, TimeProvider.System, harness.Journal);
        tokens.Create("before", TokenStore.ApiKind, Identities.ViewerRole, null, "test");

        // Another replica takes the leader key (this one's lease is gone from etcd's point of view).
        using var client = new EtcdClient(etcd.Endpoints);
        await client.DeleteAsync(harness.Journal.Prefix + "leader");
        await client.PutAsync(harness.Journal.Prefix + "leader", "usurper");

        var refused = Assert.Throws<JournalRefusedException>(() => tokens.Create("after", TokenStore.ApiKind, Identities.AdminRole, null, "stale leader"));

        Assert.Contains("leader", refused.Message, StringComparison.Ordinal);
        Assert.Equal(["before"], tokens.List().Select(t => t.Name));
        var log = await client.GetRangeAsync(harness.Journal.Prefix + "log/");
        Assert.Single(log.Kvs);
    }

    [Fact]
    public async Task AnEntryOverEtcdsRequestLimit_IsWrittenInParts_AndReadBackWhole()
    {
        using var harness = await JournalHarness.StartAsync(etcd.Endpoints, _state);
        var big = Convert.ToBase64String(RandomNumberGenerator.GetBytes(3 << 20)); // 4 MiB that does not compress.
        using (var tokens = new TokenStore(_state, TimeProvider.System, harness.Journal))
        {
            tokens.Create("big", TokenStore.ApiKind, Identities.ViewerRole, null, big);
        }

        using var client = new EtcdClient(etcd.Endpoints);
        var parts = await client.GetAsync(new RangeRequest { Key = ByteString.CopyFromUtf8(harness.Journal.Prefix + "parts/"), RangeEnd = ByteString.CopyFromUtf8(harness.Journal.Prefix + "parts0"), KeysOnly = true });
        Assert.True(parts.Kvs.Count >= 4, $"{parts.Kvs.Count} parts");
        Assert.Equal(2, harness.Journal.Next); // One entry: the big token.
        harness.AssertCopyEquals(_state);
    }

    [Fact]
    public async Task ASnapshot_RemovesTheEntriesItCovers_AndANewCopyStartsFromIt()
    {
        using var harness = await JournalHarness.StartAsync(etcd.Endpoints, _state);
        using (var tokens = new TokenStore(_state, TimeProvider.System, harness.Journal))
        {
            for (var i = 0; i < 5; i++)
            {
                tokens.Create($"t{i}", TokenStore.ApiKind, Identities.ViewerRole, null, "test");
            }

            using (var replica = new JournalReplica(harness.Journal, _state, NullLogger<JournalReplica>.Instance))
            {
                await harness.Journal.ExclusiveAsync(index => replica.WriteSnapshotAsync(harness.Election, index, CancellationToken.None), CancellationToken.None);
            }

            using var client = new EtcdClient(etcd.Endpoints);
            Assert.Empty((await client.GetRangeAsync(harness.Journal.Prefix + "log/")).Kvs);
            tokens.Create("after-snapshot", TokenStore.ApiKind, Identities.ViewerRole, null, "test");
            Assert.Single((await client.GetRangeAsync(harness.Journal.Prefix + "log/")).Kvs);
        }

        harness.AssertCopyEquals(_state);
    }
}

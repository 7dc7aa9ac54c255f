using System.Text;
using FsCheck;
using FsCheck.Fluent;
using GitOrch.History.Store;
using GitOrch.History.Tests.Support;
using Microsoft.Data.Sqlite;
using static GitOrch.History.Tests.Support.Objects;

namespace GitOrch.History.Tests.Store;

/// <summary>Versions stored as compressed snapshot + delta chunks read back exactly, and schema 1 databases migrate.</summary>
public sealed class VersionStorageTests
{
    private static readonly string C1 = new('1', 40);

    /// <summary>A random edit of a text: its versions stay close to each other, as objects' do.</summary>
    private static readonly Gen<(int Op, int At, string Text)> Edit =
        Gen.Choose(0, 9).SelectMany(_ => Gen.Choose(0, 4000), (op, at) => (op, at))
            .SelectMany(_ => ArbMap.Default.GeneratorFor<string>(), (oa, text) => (oa.op, oa.at, text ?? string.Empty));

    private static string? Next(string? previous, (int Op, int At, string Text) edit, string start)
    {
        if (edit.Op == 0)
        {
            return null; // deleted
        }

        var text = previous ?? start;
        var at = edit.At % (text.Length + 1);
        return edit.Op switch
        {
            < 5 => text.Insert(at, edit.Text),
            < 8 => text.Remove(at, Math.Min(text.Length - at, edit.Text.Length + 1)) + edit.Text,
            _ => edit.Text + text[at..],
        };
    }

    private static List<string?> Versions(IEnumerable<(int, int, string)> edits)
    {
        var start = Pod(Web0, "nginx:1.25", "node-a");
        var versions = new List<string?> { start };
        foreach (var edit in edits)
        {
            versions.Add(Next(versions[^1], edit, start));
        }

        return versions;
    }

    [Fact]
    public void Delta_OfAnyTwoByteStrings_AppliesBackToTheTarget()
    {
        Prop.ForAll(ArbMap.Default.ArbFor<byte[]>(), ArbMap.Default.ArbFor<byte[]>(), (a, b) =>
        {
            a ??= [];
            b ??= [];
            Assert.Equal(b, Delta.Apply(a, Delta.Create(a, b)));
            var near = a.Concat(b).Concat(a).ToArray();
            Assert.Equal(near, Delta.Apply(a, Delta.Create(a, near)));
        }).Check(Config.QuickThrowOnFailure.WithMaxTest(500));
    }

    [Fact]
    public void Chunk_OfAnySequenceOfVersions_DecodesToTheSameObjects()
    {
        Prop.ForAll(Edit.ListOf().ToArbitrary(), edits =>
        {
            var versions = Versions(edits.Take(VersionChunk.Size - 1));
            var chunk = VersionChunk.Empty();
            for (var i = 0; i < versions.Count; i++)
            {
                chunk.Append(i + 1, 100 + i, 7, versions[i]);
            }

            var decoded = VersionChunk.Decode(chunk.Encode());

            Assert.Equal(versions, decoded.Entries.Select(decoded.ObjectOf));
            Assert.Equal(Enumerable.Range(1, versions.Count), decoded.Entries.Select(e => e.Version));
            Assert.Equal(Enumerable.Range(100, versions.Count).Select(b => (long)b), decoded.Entries.Select(e => e.Batch));
            Assert.Equal(versions.Select(v => v is null), decoded.Entries.Select(e => e.Deleted));
        }).Check(Config.QuickThrowOnFailure.WithMaxTest(300));
    }

    [Fact]
    public void Store_AnySequenceOfVersions_ReadsBackExactly_AcrossChunksAndReopen()
    {
        // Few cases: each writes durably (fsync per batch); the chunk property above covers many more sequences.
        Prop.ForAll(Edit.ListOf().ToArbitrary(), edits =>
        {
            // Always past two chunk boundaries, whatever the generated list's length.
            var some = edits.Count == 0 ? [(1, 0, "x")] : edits;
            var versions = Versions(Enumerable.Repeat(some, VersionChunk.Size * 2 + 5).SelectMany(e => e).Take(VersionChunk.Size * 2 + 5));
            Assert.Equal(VersionChunk.Size * 2 + 6, versions.Count);
            using var state = new TempFolder();
            var store = HistoryStore.Open(state.Path);
            try
            {
                foreach (var (json, i) in versions.Select((v, i) => (v, i)))
                {
                    store.Write(Mechanical("scheduler", C1, $"v{i + 1}", Change(Web0, json, $"field{i % 3}")));
                }

                AssertReadsBack(store, versions);
                store.Dispose();
                store = HistoryStore.Open(state.Path);
                AssertReadsBack(store, versions);
            }
            finally
            {
                store.Dispose();
            }
        }).Check(Config.QuickThrowOnFailure.WithMaxTest(4));
    }

    private static void AssertReadsBack(HistoryStore store, List<string?> versions)
    {
        Assert.Equal(versions, Enumerable.Range(1, versions.Count).Select(v => store.Version(Web0, v)!.ObjectJson));
        var history = store.History(Web0);
        Assert.Equal(Enumerable.Range(1, versions.Count), history.Select(v => v.Version));
        Assert.Equal(versions.Select(v => v is null), history.Select(v => v.Deleted));
        Assert.Equal(Enumerable.Range(0, versions.Count).Select(i => $"field{i % 3}"), history.Select(v => v.Fields.Single()));
        Assert.All(history, v => Assert.Null(v.ObjectJson));
        Assert.Equal(versions[^1], store.VersionsOfBatch(versions.Count).Single().ObjectJson);
    }

    [Fact]
    public void Prune_AcrossChunks_KeepsTheNewestVersions_Readable()
    {
        using var state = new TempFolder();
        using var store = HistoryStore.Open(state.Path);
        var count = VersionChunk.Size * 2 + 10;
        for (var i = 1; i <= count; i++)
        {
            store.Write(Mechanical("scheduler", C1, $"v{i}", Change(Web0, Pod(Web0, "nginx", $"node-{i}"), "status.nodeName")));
        }

        Assert.Equal(count - 20, store.Prune(Web0, keep: 20));

        Assert.Equal(Enumerable.Range(count - 19, 20), store.History(Web0).Select(v => v.Version));
        Assert.Null(store.Version(Web0, count - 20));
        Assert.Empty(store.VersionsOfBatch(1));
        for (var v = count - 19; v <= count; v++)
        {
            Assert.Equal(Pod(Web0, "nginx", $"node-{v}"), store.Version(Web0, v)!.ObjectJson);
        }
    }

    [Fact]
    public void Open_MigratesASchema1Database_AndEveryVersionReadsAsBefore()
    {
        using var state = new TempFolder();
        var path = state.File(HistoryStore.FileName);
        var pod1 = Pod(Web0, "nginx:1.25");
        var pod2 = Pod(Web0, "nginx:1.25", "node-a");
        using (var db = new SqliteConnection($"Data Source={path};Pooling=False"))
        {
            db.Open();
            using var create = db.CreateCommand();
            create.CommandText = Schema1 + $"""
                INSERT INTO batches VALUES(1, '{Ada}', 'external', '{C1}', 'Add web', 'Ada', 'ada@example.com', '2024-05-06T07:08:09.0000000Z');
                INSERT INTO batches VALUES(2, '{Scheduler}', 'mechanical', '{C1}', 'place', 'scheduler', 's@x', '2024-05-06T07:08:10.0000000Z');
                INSERT INTO batches VALUES(3, '{Ada}', 'external', '{C1}', 'Remove web', 'Ada', 'ada@example.com', '2024-05-06T07:08:11.0000000Z');
                INSERT INTO versions VALUES('Pod', 'demo', 'web-0', 1, 1, '{Ada}', 'external', '{C1}', '2024-05-06T07:08:09.0000000Z', '["*"]', 0, '{pod1}');
                INSERT INTO versions VALUES('Pod', 'demo', 'web-1', 1, 1, '{Ada}', 'external', '{C1}', '2024-05-06T07:08:09.0000000Z', '["*"]', 0, '{Pod(Web1, "x")}');
                INSERT INTO versions VALUES('Pod', 'demo', 'web-0', 2, 2, '{Scheduler}', 'mechanical', '{C1}', '2024-05-06T07:08:10.0000000Z', '["status.nodeName"]', 0, '{pod2}');
                INSERT INTO versions VALUES('Pod', 'demo', 'web-0', 3, 3, '{Ada}', 'external', '{C1}', '2024-05-06T07:08:11.0000000Z', '["*"]', 1, NULL);
                INSERT INTO objects VALUES('Pod', 'demo', 'web-0', 3, 1, 'apps/web-0.yaml', '{pod2}', '{Ada}', '2024-05-06T07:08:11.0000000Z');
                INSERT INTO objects VALUES('Pod', 'demo', 'web-1', 1, 0, 'apps/web-1.yaml', '{Pod(Web1, "x")}', '{Ada}', '2024-05-06T07:08:09.0000000Z');
                """;
            create.ExecuteNonQuery();
        }

        using var store = HistoryStore.Open(state.Path);

        Assert.Equal("3", store.GetMeta("schema"));
        Assert.Contains("USING COVERING INDEX objects_live", StateDatabase.QueryPlan(path, HistoryStore.CountByKindSql), StringComparison.Ordinal);
        var history = store.History(Web0);
        Assert.Equal([1, 2, 3], history.Select(v => v.Version));
        Assert.Equal([Ada, Scheduler, Ada], history.Select(v => v.Changer));
        Assert.Equal([ChangeKind.External, ChangeKind.Mechanical, ChangeKind.External], history.Select(v => v.Kind));
        Assert.Equal(["*", "status.nodeName", "*"], history.Select(v => string.Join(",", v.Fields)));
        Assert.Equal([false, false, true], history.Select(v => v.Deleted));
        Assert.Equal(new DateTimeOffset(2024, 5, 6, 7, 8, 10, TimeSpan.Zero), history[1].CreatedAt);
        Assert.Equal([pod1, pod2, null], Enumerable.Range(1, 3).Select(v => store.Version(Web0, v)!.ObjectJson));
        Assert.Equal([Web0, Web1], store.VersionsOfBatch(1).Select(v => v.Ref));
        Assert.Equal(4, store.Write(Mechanical("scheduler", C1, "place web-1", Change(Web1, Pod(Web1, "x", "node-b"), "status.nodeName"))));
        Assert.Equal(Pod(Web1, "x", "node-b"), store.Version(Web1, 2)!.ObjectJson);
    }

    [Fact]
    public void ABatchOfMoreVersionsThanAPage_StreamsAsItLists()
    {
        using var state = new TempFolder();
        using var store = HistoryStore.Open(state.Path);
        var pods = Enumerable.Range(0, HistoryStore.StreamPage * 2 + 7).Select(i => new GitOrch.Core.Diagnostics.ObjectRef("Pod", "demo", $"web-{i}")).ToList();
        store.Write(Mechanical("scheduler", C1, "many", [.. pods.Select(p => Change(p, Pod(p, "x", "node-a"), "*"))]));

        var listed = store.VersionsOfBatch(1);
        var streamed = store.StreamVersionsOfBatch(1).ToList();

        Assert.Equal(pods, listed.Select(v => v.Ref));
        Assert.Equal(listed.Select(v => (v.Ref, v.Version, v.ObjectJson)), streamed.Select(v => (v.Ref, v.Version, v.ObjectJson)));
    }

    [Fact]
    public void Store_KeepsRepeatedVersions_InAFractionOfTheirFullSize()
    {
        using var state = new TempFolder();
        long full = 0;
        using (var store = HistoryStore.Open(state.Path))
        {
            for (var i = 1; i <= 100; i++)
            {
                var json = Pod(Web0, $"registry.example.com/team/web:1.{i}", $"node-{i % 3}");
                full += Encoding.UTF8.GetByteCount(json);
                store.Write(Mechanical("scheduler", C1, $"v{i}", Change(Web0, json, "spec.containers[0].image")));
            }
        }

        // Not a speed threshold: a size property of the format (100 near-identical versions share one snapshot per chunk).
        var chunks = ChunkBytes(state.File(HistoryStore.FileName));
        Assert.True(chunks * 5 < full, $"chunks {chunks} B for {full} B of versions");
    }

    private static long ChunkBytes(string path)
    {
        using var db = new SqliteConnection($"Data Source={path};Pooling=False");
        db.Open();
        using var cmd = db.CreateCommand();
        cmd.CommandText = "SELECT SUM(LENGTH(data)) FROM chunks";
        return (long)cmd.ExecuteScalar()!;
    }

    /// <summary>The tables of schema 1, as the first version created them.</summary>
    private const string Schema1 = """
        CREATE TABLE meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);
        CREATE TABLE commits(seq INTEGER PRIMARY KEY AUTOINCREMENT, sha TEXT NOT NULL UNIQUE, state TEXT NOT NULL, author_name TEXT NOT NULL,
          author_email TEXT NOT NULL, subject TEXT NOT NULL, committed_at TEXT NOT NULL, processed_at TEXT NOT NULL, diagnostics TEXT NOT NULL,
          objects_changed INTEGER NOT NULL, note TEXT);
        CREATE TABLE batches(id INTEGER PRIMARY KEY AUTOINCREMENT, changer TEXT NOT NULL, change_kind TEXT NOT NULL, source_commit TEXT,
          message TEXT NOT NULL, author_name TEXT NOT NULL, author_email TEXT NOT NULL, created_at TEXT NOT NULL);
        CREATE TABLE versions(kind TEXT NOT NULL, namespace TEXT NOT NULL, name TEXT NOT NULL, version INTEGER NOT NULL,
          batch INTEGER NOT NULL REFERENCES batches(id), changer TEXT NOT NULL, change_kind TEXT NOT NULL, source_commit TEXT,
          created_at TEXT NOT NULL, fields TEXT NOT NULL, deleted INTEGER NOT NULL, object TEXT, PRIMARY KEY(kind, namespace, name, version));
        CREATE INDEX versions_batch ON versions(batch);
        CREATE TABLE objects(kind TEXT NOT NULL, namespace TEXT NOT NULL, name TEXT NOT NULL, version INTEGER NOT NULL, deleted INTEGER NOT NULL,
          file TEXT, object TEXT NOT NULL, last_changer TEXT NOT NULL, updated_at TEXT NOT NULL, PRIMARY KEY(kind, namespace, name));
        INSERT INTO meta(key, value) VALUES('schema', '1');

        """;
}

using System.Diagnostics;
using System.Text;
using System.Text.Json.Nodes;
using GitOrch.Core.Diagnostics;
using GitOrch.Core.Loading;
using GitOrch.Core.Manifests;
using GitOrch.Git;
using GitOrch.History;
using GitOrch.History.Mirror;
using GitOrch.History.Store;

namespace GitOrch.Bench;

/// <summary>
/// History size (pods × versions in the store and in the packed mirror, against full rendered
/// copies) and mirror throughput (one-object mechanical batches written as commits).
/// </summary>
public static class HistoryCase
{
    public static async Task<List<(string Case, string Measured, string Target, string Verdict)>> RunAsync(string work, int pods, int versions, int mirrorCommits)
    {
        var rows = new List<(string, string, string, string)>();
        var state = Path.Combine(work, "state-history");
        var mirrorRepo = Path.Combine(work, "mirror");
        Directory.CreateDirectory(mirrorRepo);
        RepoGenerator.Git(mirrorRepo, "init", "-q", "-b", "main");
        var store = HistoryStore.Open(state);
        long fullCopies = 0;
        var writeTime = TimeSpan.Zero;
        for (var v = 1; v <= versions; v++)
        {
            var changes = new List<ObjectChange>();
            for (var p = 0; p < pods; p++)
            {
                var json = SourceJson.ToJson(YamlOf(RepoGenerator.Pod(p, $"v{v}")));
                fullCopies += Encoding.UTF8.GetByteCount(GitOrch.Core.Rendering.YamlRenderer.Render(json));
                changes.Add(new ObjectChange(new ObjectRef("Pod", $"ns-{p % 10}", $"svc-{p}"), json.Write(), ["spec.containers[0].env.GREETING"], null));
            }

            var write = Stopwatch.StartNew();
            store.Write(new ChangeBatch("git/bench@example.com", ChangeKind.External, null, $"round {v}", "Bench", "bench@example.com", changes));
            writeTime += write.Elapsed;
        }

        var read = Measure.Sync(Measure.Runs, () =>
        {
            for (var p = 0; p < 100; p++)
            {
                _ = store.Version(new ObjectRef("Pod", $"ns-{p % 10}", $"svc-{p}"), 1 + (p * 37 % versions)) ?? throw new InvalidOperationException("a version is missing");
            }
        });

        await using (var git = new GitRepository(mirrorRepo))
        {
            await new HistoryMirror(git, store).CatchUpAsync(CancellationToken.None);
        }

        RepoGenerator.Git(mirrorRepo, "gc", "-q", "--aggressive", "--prune=now");
        var packed = Directory.EnumerateFiles(Path.Combine(mirrorRepo, ".git", "objects"), "*", SearchOption.AllDirectories).Sum(f => new FileInfo(f).Length);
        store.Dispose();
        var storeBytes = Directory.EnumerateFiles(state, "state.db*").Sum(f => new FileInfo(f).Length);
        Console.WriteLine($"history {pods}×{versions}: full copies {fullCopies:N0} B, store {storeBytes:N0} B, packed mirror {packed:N0} B");
        rows.Add(($"History: {pods:N0} pods × {versions} versions, full copies (rendered YAML)", $"{fullCopies / 1e6:0.0} MB", "-", "-"));
        rows.Add(("  state store (SQLite: snapshot + delta chunks, compressed) / full copies", $"{100.0 * storeBytes / fullCopies:0.0}% ({storeBytes / 1e6:0.00} MB)", "≤ 5%", storeBytes * 20 <= fullCopies ? "met" : "missed"));
        rows.Add(("  where the store's bytes go (content bytes)", WhereTheBytesGo(Path.Combine(state, HistoryStore.FileName)), "-", "-"));
        rows.Add(("  packed mirror (`git gc`) / full copies", $"{100.0 * packed / fullCopies:0.0}%", "-", "-"));
        rows.Add(($"  store.Write of the {pods * versions:N0} versions ({versions} batches of {pods:N0}), total", Measure.Ms(writeTime), "-", "-"));
        rows.Add(("  reading 100 versions of different pods, one call each", read.ToString(), "-", "-"));

        var throughputState = Path.Combine(work, "state-throughput");
        var throughputRepo = Path.Combine(work, "mirror-throughput");
        Directory.CreateDirectory(throughputRepo);
        RepoGenerator.Git(throughputRepo, "init", "-q", "-b", "main");
        using var tstore = HistoryStore.Open(throughputState);
        var pod = (JsonObject)SourceJson.ToJson(YamlOf(RepoGenerator.Pod(1)))!;
        for (var i = 0; i < mirrorCommits; i++)
        {
            pod["status"] = new JsonObject { ["nodeName"] = $"node-{i % 7}" };
            tstore.Write(new ChangeBatch("control-loop/scheduler", ChangeKind.Mechanical, null, $"scheduler: place ({i})", "scheduler", "scheduler@control-loop.gitorch",
                [new ObjectChange(new ObjectRef("Pod", "ns-1", "svc-1"), pod.Write(), ["status.nodeName"], null)]));
        }

        await using var tgit = new GitRepository(throughputRepo);
        var twatch = Stopwatch.StartNew();
        var written = await new HistoryMirror(tgit, tstore).CatchUpAsync(CancellationToken.None);
        var perSecond = written / twatch.Elapsed.TotalSeconds;
        Console.WriteLine($"mirror: {written} mechanical commits in {Measure.Ms(twatch.Elapsed)} = {perSecond:0} commits/s");
        rows.Add(("Mirror throughput: mechanical commits", $"{perSecond:N0} commits/s ({written:N0} in {Measure.Ms(twatch.Elapsed)})", "-", "-"));
        return rows;
    }

    private static string WhereTheBytesGo(string path)
    {
        using var db = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={path};Pooling=False;Mode=ReadOnly");
        db.Open();
        using var cmd = db.CreateCommand();
        cmd.CommandText = """
            SELECT (SELECT SUM(LENGTH(data)) FROM chunks), (SELECT SUM(LENGTH(object)) FROM objects), (SELECT SUM(LENGTH(versions)) FROM batches),
                   (SELECT page_count FROM pragma_page_count) * (SELECT page_size FROM pragma_page_size), (SELECT freelist_count FROM pragma_freelist_count) * (SELECT page_size FROM pragma_page_size)
            """;
        using var reader = cmd.ExecuteReader();
        reader.Read();
        return $"version chunks {reader.GetInt64(0) / 1e6:0.00} MB, current objects {reader.GetInt64(1) / 1e6:0.00} MB, batch version lists {reader.GetInt64(2) / 1e6:0.00} MB; file {reader.GetInt64(3) / 1e6:0.00} MB of which free pages {reader.GetInt64(4) / 1e6:0.00} MB";
    }

    private static SourceNode YamlOf(string text) => YamlReader.Read("x.yaml", text, new List<Diagnostic>())[0].Root;
}

using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using dotnet_etcd;
using GitOrch.Contracts.Trust;

namespace GitOrch.Bench;

/// <summary>
/// The replicated control plane measured against the embedded one, through the same path (a
/// real `gitorch controller` process, one-file commits to the same generated repo, applied as seen
/// on the status API): commit → applied on SQLite and on a 3-member etcd with 3 replicas, and the
/// takeover after `kill -9` of the leader (kill → a new leader has applied a commit made right
/// after the kill). Median of the runs with min and max. Each kill comes once the replica killed
/// before it has restarted and caught up: one failure at a time.
/// </summary>
public static class HaCase
{
    public static async Task<List<(string, string, string, string)>> RunAsync(string? gitorch, string work, int objects, int commits, int kills)
    {
        var rows = new List<(string, string, string, string)>();
        if (gitorch is null || !File.Exists(gitorch))
        {
            rows.Add(("Replicated control plane", "not run: give --gitorch (bench/run publishes it)", "-", "-"));
            return rows;
        }

        if (FindEtcd() is not { } etcdBinary)
        {
            rows.Add(("Replicated control plane", "not run: etcd is not installed (apt-get install etcd-server)", "-", "-"));
            return rows;
        }

        var repo = RepoGenerator.Create(objects, Path.Combine(work, "ha-repo"));
        var processes = new List<Process>();
        try
        {
            // SQLite: one controller.
            var single = Start(gitorch, work, processes, "single", repo, null);
            var singleApplies = await AppliesAsync(repo, [single], commits, 100);
            rows.Add(($"One-file commit → applied, embedded store (SQLite), {objects:N0} objects, `--poll 0.2`", singleApplies.ToString(), "-", "-"));
            Stop(single.Process);

            // etcd: three members, three replicas.
            var members = Enumerable.Range(1, 3).Select(i => (Name: $"e{i}", Client: FreePort(), Peer: FreePort())).ToList();
            var initial = string.Join(',', members.Select(m => $"{m.Name}=http://127.0.0.1:{m.Peer}"));
            foreach (var m in members)
            {
                var info = new ProcessStartInfo(etcdBinary, ["--name", m.Name, "--data-dir", Path.Combine(work, "etcd-" + m.Name),
                    "--listen-client-urls", $"http://127.0.0.1:{m.Client}", "--advertise-client-urls", $"http://127.0.0.1:{m.Client}",
                    "--listen-peer-urls", $"http://127.0.0.1:{m.Peer}", "--initial-advertise-peer-urls", $"http://127.0.0.1:{m.Peer}",
                    "--initial-cluster", initial, "--initial-cluster-token", "bench-" + Environment.ProcessId])
                { RedirectStandardOutput = true, RedirectStandardError = true };
                var p = Process.Start(info)!;
                _ = p.StandardOutput.ReadToEndAsync();
                _ = p.StandardError.ReadToEndAsync();
                processes.Add(p);
            }

            var endpoints = string.Join(',', members.Select(m => $"http://127.0.0.1:{m.Client}"));
            var replicas = Enumerable.Range(1, 3).Select(i => Start(gitorch, work, processes, $"r{i}", repo, endpoints)).ToList();
            var etcdApplies = await AppliesAsync(repo, replicas, commits, 200);
            rows.Add(($"One-file commit → applied, replicated (3 etcd members, 3 replicas), {objects:N0} objects, `--poll 0.2`", etcdApplies.ToString(), "-", "-"));
            rows.Add(("  ratio replicated / embedded (medians, same run)", (etcdApplies.Median.TotalMilliseconds / Math.Max(1, singleApplies.Median.TotalMilliseconds)).ToString("0.0", CultureInfo.InvariantCulture) + "×", "-", "-"));

            using var client = new EtcdClient(endpoints);
            var takeovers = new List<TimeSpan>();
            for (var k = 0; k < kills; k++)
            {
                var leaderName = (await client.GetValAsync(Replica.Prefix + "leader")).Trim();
                var leader = replicas.First(r => r.Name == leaderName);
                leader.Process.Kill();
                leader.Process.WaitForExit();
                var watch = Stopwatch.StartNew();
                var sha = RepoGenerator.ChangeOneFile(repo, 5000 + k);
                var survivors = replicas.Where(r => r != leader).ToList();
                if (await AppliedAnywhereAsync(survivors, sha, TimeSpan.FromSeconds(60)) is null)
                {
                    rows.Add(($"  takeover {k + 1}", "no replica applied within 60 s", "≤ 15 s", "missed"));
                    break;
                }

                takeovers.Add(watch.Elapsed);
                var restarted = replicas[replicas.IndexOf(leader)] = Start(gitorch, work, processes, leader.Name, repo, endpoints, leader.Port);

                // Off the clock: the next kill finds three healthy replicas (the restarted one has caught
                // up), so each round times one failure, not a second one while a replica still recovers.
                if (await AppliedAnywhereAsync([restarted], sha, TimeSpan.FromSeconds(60)) is null)
                {
                    rows.Add(($"  takeover {k + 1}", $"replica {restarted.Name} did not catch up within 60 s after its restart", "≤ 15 s", "missed"));
                    break;
                }
            }

            if (takeovers.Count > 0)
            {
                var t = Stats.Of(takeovers);
                rows.Add(("  takeover: kill -9 of the leader → a commit made then is applied (lease TTL 10 s)", t.ToString(), "≤ 15 s", t.Max <= TimeSpan.FromSeconds(15) ? "met" : "missed"));
            }
        }
        finally
        {
            foreach (var p in processes)
            {
                Stop(p);
            }
        }

        return rows;
    }

    private sealed record Replica(string Name, Process Process, int Port, string State)
    {
        public const string Prefix = "/gitorch/";
    }

    private static Replica Start(string gitorch, string work, List<Process> processes, string name, string repo, string? etcd, int? port = null)
    {
        var api = port ?? FreePort();
        var state = Path.Combine(work, "state-" + name);
        List<string> args = ["controller", "--repo", repo, "--state", state, "--listen", $"https://127.0.0.1:{api}", "--agent-listen", $"https://127.0.0.1:{api + 1}", "--poll", "0.2"];
        if (etcd is not null)
        {
            args.AddRange(["--etcd", etcd, "--name", name]);
        }

        var info = new ProcessStartInfo(gitorch, args) { RedirectStandardOutput = true, RedirectStandardError = true };
        info.Environment["HOME"] = work;
        info.Environment["GITORCH_CONFIG"] = Path.Combine(work, "config-" + name);
        var process = Process.Start(info)!;
        _ = process.StandardOutput.ReadToEndAsync();
        _ = process.StandardError.ReadToEndAsync();
        processes.Add(process);
        return new Replica(name, process, api, state);
    }

    private static async Task<Stats> AppliesAsync(string repo, IReadOnlyList<Replica> replicas, int commits, int round)
    {
        var head = RepoGenerator.Git(repo, "rev-parse", "HEAD").Trim();
        if (await AppliedAnywhereAsync(replicas, head, TimeSpan.FromMinutes(5)) is null)
        {
            throw new InvalidOperationException("the first commit was not applied within 5 minutes");
        }

        var applies = new List<TimeSpan>();
        for (var i = 0; i < commits; i++)
        {
            var sha = RepoGenerator.ChangeOneFile(repo, round + i);
            var watch = Stopwatch.StartNew();
            if (await AppliedAnywhereAsync(replicas, sha, TimeSpan.FromSeconds(60)) is null)
            {
                throw new InvalidOperationException($"commit {sha[..12]} was not applied within 60 s");
            }

            applies.Add(watch.Elapsed);
        }

        return Stats.Of(applies);
    }

    /// <summary>
    /// Polls every replica's status at once until one shows the commit applied; null at the
    /// deadline. Each replica keeps one client (one TLS connection), as the single controller's
    /// poll does, so both sides pay the same per poll.
    /// </summary>
    private static async Task<string?> AppliedAnywhereAsync(IReadOnlyList<Replica> replicas, string sha, TimeSpan within)
    {
        var deadline = Stopwatch.StartNew();
        while (deadline.Elapsed < within)
        {
            var answers = await Task.WhenAll(replicas.Where(r => !r.Process.HasExited).Select(r => LastAppliedAsync(r)));
            if (answers.Contains(sha))
            {
                return sha;
            }

            await Task.Delay(20);
        }

        return null;
    }

    private static readonly Dictionary<string, HttpClient> Clients = [];

    private static async Task<string?> LastAppliedAsync(Replica r)
    {
        var key = r.Name + ":" + r.Process.Id;
        HttpClient? http;
        lock (Clients)
        {
            Clients.TryGetValue(key, out http);
        }

        try
        {
            if (http is null)
            {
                var credentials = Path.Combine(r.State, "admin.credentials");
                if (!File.Exists(credentials))
                {
                    return null;
                }

                http = ClusterCredentials.Load(credentials).CreateHttpClient(TimeSpan.FromSeconds(5));
                http.BaseAddress = new Uri($"https://127.0.0.1:{r.Port}");
                lock (Clients)
                {
                    Clients[key] = http;
                }
            }

            using var doc = JsonDocument.Parse(await http.GetStringAsync(new Uri("/api/v1/status?limit=1", UriKind.Relative)));
            return doc.RootElement.GetProperty("controller").GetProperty("lastApplied").GetString();
        }
        catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException or JsonException or KeyNotFoundException or InvalidOperationException or IOException)
        {
            lock (Clients)
            {
                Clients.Remove(key); // Not up yet, or between roles (credentials may change): a new client next time.
            }

            return null;
        }
    }

    private static void Stop(Process p)
    {
        if (!p.HasExited)
        {
            p.Kill(entireProcessTree: true);
            p.WaitForExit();
        }
    }

    private static string? FindEtcd() =>
        new[] { "/usr/bin/etcd", "/usr/local/bin/etcd" }.FirstOrDefault(File.Exists);

    private static int FreePort()
    {
        while (true)
        {
            using var listener = new TcpListener(IPAddress.Loopback, 0);
            listener.Start();
            var port = ((IPEndPoint)listener.LocalEndpoint).Port;
            if (port < 65000)
            {
                return port;
            }
        }
    }
}

using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text.Json;

namespace GitOrch.Bench;

/// <summary>
/// Cases that run the published <c>gitorch</c> as a process: <c>validate</c> against <c>ajv-cli</c>
/// on the same YAML files, and a real <c>gitorch controller</c> following a repo (peak memory,
/// commit → applied, the status API's latency during the apply, SIGINT to exit).
/// </summary>
public static class ProcessCases
{
    public static List<(string, string, string, string)> ValidateVsAjv(string? gitorch, string? ajv, string work, int count)
    {
        var rows = new List<(string, string, string, string)>();
        if (gitorch is null || ajv is null || !File.Exists(gitorch) || !File.Exists(ajv))
        {
            rows.Add(("`gitorch validate` against `ajv-cli` on the same YAML", "not run: bench/run publishes gitorch and installs ajv-cli; give --gitorch and --ajv", "≤ 2×", "-"));
            return rows;
        }

        var dir = Path.Combine(work, "objects");
        Directory.CreateDirectory(dir);
        for (var i = 0; i < count; i++)
        {
            File.WriteAllText(Path.Combine(dir, $"pod-{i:00000}.yaml"), RepoGenerator.Pod(i));
        }

        // The pods run on the process runtime, which gitorch allows only with a ClusterPolicy exception;
        // ajv validates the pod files only (the policy is another kind).
        File.WriteAllText(Path.Combine(dir, "policy.yaml"), """
            apiVersion: gitorch.dev/v1
            kind: ClusterPolicy
            metadata: {name: cluster}
            spec:
              security:
                exceptions:
                  - namespaces: ["*"]
                    allow: ["runtime:process"]
            """);
        var schema = Path.Combine(work, "pod.schema.json");
        File.WriteAllText(schema, GitOrch.Core.Schema.SchemaRegistry.Text("Pod"));
        // Rounds alternate the two (after a warm-up round), and the ratio is the median of the
        // rounds' ratios: a noisy moment weighs on both sides.
        var ourTimes = new List<TimeSpan>();
        var theirTimes = new List<TimeSpan>();
        var ratios = new List<double>();
        for (var round = -1; round < Measure.Runs; round++)
        {
            var mine = Stopwatch.StartNew();
            Run(gitorch, ["validate", dir], expectExit: 0);
            var ourTime = mine.Elapsed;
            var other = Stopwatch.StartNew();
            Run(ajv, ["validate", "--spec=draft7", "--strict=false", "--errors=text", "-s", schema, "-d", Path.Combine(dir, "pod-*.yaml")], expectExit: 0);
            var theirTime = other.Elapsed;
            if (round >= 0)
            {
                ourTimes.Add(ourTime);
                theirTimes.Add(theirTime);
                ratios.Add(ourTime / theirTime);
            }
        }

        var ratio = Measure.SortedMedian(ratios);
        rows.Add(($"`gitorch validate` of {count:N0} one-pod YAML files, as a process", Stats.Of(ourTimes).ToString(), "-", "-"));
        rows.Add(("  `ajv-cli` (draft-07) on the same files, as a process", Stats.Of(theirTimes).ToString(), "-", "-"));
        rows.Add(("  ratio gitorch / ajv-cli, each round run back to back (median; min, max)", string.Create(CultureInfo.InvariantCulture, $"{ratio:0.00}× ({ratios[0]:0.00}×, {ratios[^1]:0.00}×)"), "≤ 2×", ratio <= 2 ? "met" : "missed"));
        return rows;
    }

    public static async Task<List<(string, string, string, string)>> ControllerAsync(string? gitorch, string work, int objects, int commits)
    {
        var rows = new List<(string, string, string, string)>();
        if (gitorch is null || !File.Exists(gitorch))
        {
            rows.Add(("A real `gitorch controller` following the repo", "not run: give --gitorch (bench/run publishes it)", "-", "-"));
            return rows;
        }

        // As users run it: the controller follows a remote (a bare repo, fetched every second) and each
        // change is committed in a clone and pushed.
        var repo = RepoGenerator.Create(objects, Path.Combine(work, "controller-repo"));
        var remote = Path.Combine(work, "controller-remote.git");
        RepoGenerator.Git(work, "clone", "-q", "--bare", repo, remote);
        RepoGenerator.Git(repo, "remote", "add", "origin", remote);
        var port = FreePort();
        var state = Path.Combine(work, "controller-state");
        // Started through perl, which gives SIGINT back its default action first: a bench run in the
        // background of a shell ignores SIGINT, and its children would inherit that, so the SIGINT
        // case below would time a signal the controller never sees.
        var info = new ProcessStartInfo("/usr/bin/perl", ["-e", "$SIG{INT} = 'DEFAULT'; exec { $ARGV[0] } @ARGV or die \"cannot run $ARGV[0]: $!\\n\";", gitorch,
            "controller", "--repo", "file://" + remote, "--state", state, "--listen", $"https://127.0.0.1:{port}", "--poll", "1"])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        info.Environment["HOME"] = work;
        var start = Stopwatch.StartNew(); // The first apply is timed from the process's start.
        using var process = Process.Start(info)!;
        var errors = new System.Collections.Concurrent.ConcurrentQueue<string>();
        process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is { } line)
            {
                errors.Enqueue(line);
                while (errors.Count > 20 && errors.TryDequeue(out var _))
                {
                    // Keep the last lines only.
                }
            }
        };
        process.BeginErrorReadLine();
        _ = process.StandardOutput.ReadToEndAsync();
        string Exited() => $"the controller exited with code {process.ExitCode}: {string.Join(" / ", errors.TakeLast(3))}";
        HttpClient? client = null;
        try
        {
            // The API speaks HTTPS with the cluster's CA; the admin credentials are written into the state folder once it listens.
            var credentials = Path.Combine(state, "admin.credentials");
            while (client is null && !process.HasExited && start.Elapsed < TimeSpan.FromMinutes(2))
            {
                if (File.Exists(credentials) && GitOrch.Contracts.Trust.ClusterCredentials.Parse(File.ReadAllText(credentials), out _) is { } admin)
                {
                    client = admin.CreateHttpClient(TimeSpan.FromSeconds(30));
                }
                else
                {
                    await Task.Delay(20);
                }
            }

            if (client is null)
            {
                rows.Add(("A real `gitorch controller` following the repo", process.HasExited ? Exited() : "no admin credentials within 2 min", "-", "missed"));
                return rows;
            }

            var http = client;
            // The bench's own first HTTPS call pays for its client side once (the JIT of the HTTP and TLS
            // stack in this process, 300 to 500 ms on 2 cores), which a run of this case alone would
            // otherwise count as the API's latency. It asks for an asset that needs no credentials, so the
            // status endpoint and the authentication stay as cold for the timed calls as they are.
            var warm = Stopwatch.StartNew();
            try
            {
                using var _ = await http.GetAsync("/ui/static/warm-up");
            }
            catch (HttpRequestException)
            {
                // Only the client's warm-up: the timed calls below report any failure.
            }

            Console.WriteLine($"the bench's first HTTPS call (client warm-up, not counted): {Measure.Ms(warm.Elapsed)}");
            var head = RepoGenerator.Git(repo, "rev-parse", "HEAD").Trim();
            var firstLatencies = new List<TimeSpan>();
            var first = await AppliedAsync(http, head, TimeSpan.FromMinutes(5), process, firstLatencies);
            rows.Add(($"Controller process following a {objects:N0}-object remote (`--poll 1`, no node joins): first commit applied", first is null ? $"not within {Measure.Ms(start.Elapsed)}" : Measure.Ms(start.Elapsed), "-", "-"));
            if (firstLatencies.Count > 0)
            {
                var during = Stats.Of(firstLatencies);
                // Where the slowest calls fell (call number of all calls, and its latency), to tell a
                // first call's one-time costs from waits behind the apply.
                var slowest = firstLatencies.Select((t, i) => (t, i)).OrderByDescending(c => c.t).Take(5).Select(c => $"#{c.i + 1} {Measure.Ms(c.t)}");
                Console.WriteLine($"status calls during the first apply: {firstLatencies.Count}; slowest: {string.Join(", ", slowest)}");
                rows.Add(("  status API latency during the first apply (every call, timed-out ones too; median, min, max)", during.ToString(), "≤ 100 ms", during.Max <= TimeSpan.FromMilliseconds(100) ? "met" : "missed"));
            }

            var applies = new List<TimeSpan>();
            var latencies = new List<TimeSpan>();
            for (var i = 1; first is not null && i <= commits; i++)
            {
                var sha = RepoGenerator.ChangeOneFile(repo, 1000 + i);
                RepoGenerator.Git(repo, "push", "-q", "origin", "main");
                var watch = Stopwatch.StartNew(); // From the moment the remote has the commit.
                var during = new List<TimeSpan>();
                if (await AppliedAsync(http, sha, TimeSpan.FromSeconds(60), process, during) is null)
                {
                    rows.Add(($"  one-file commit {i} → applied", "not within 60 s", "≤ 2 s", "missed"));
                    break;
                }

                applies.Add(watch.Elapsed);
                latencies.AddRange(during);
            }

            if (applies.Count > 0)
            {
                var apply = Stats.Of(applies);
                var api = Stats.Of(latencies);
                rows.Add(("  one-file commit pushed → applied (push done to status showing it; includes up to 1 s of polling)", apply.ToString(), "≤ 2 s", apply.Max <= TimeSpan.FromSeconds(2) ? "met" : "missed"));
                rows.Add(("  status API latency during those applies (every call, timed-out ones too; median, min, max)", api.ToString(), "≤ 100 ms", api.Max <= TimeSpan.FromMilliseconds(100) ? "met" : "missed"));
            }

            if (process.HasExited)
            {
                rows.Add(("  the controller process", Exited(), "-", "missed"));
                return rows;
            }

            // Idle: nothing changes while the pods wait for a node that never joins. After 30 s for the
            // first apply's workflows to finish starting, 30 s are measured: what the controller does
            // then is the git fetch of --poll 1 and the scheduler's retries of the waiting pods; the
            // log lines it writes meanwhile are counted from its state database.
            await Task.Delay(TimeSpan.FromSeconds(30));
            var cpuBefore = CpuTime(process.Id);
            var logsBefore = LogLines(state);
            var idle = Stopwatch.StartNew();
            await Task.Delay(TimeSpan.FromSeconds(30));
            var cpu = (CpuTime(process.Id) - cpuBefore) / idle.Elapsed;
            rows.Add(("  idle, 30 s measured from 30 s after the last commit, the pods waiting for a node: CPU used (share of one core; `--poll 1` fetches included)", $"{cpu:P1}", "-", "-"));
            rows.Add(("  idle, the same 30 s: workflow log lines written", (LogLines(state) - logsBefore).ToString(CultureInfo.InvariantCulture), "-", "-"));
            var peak = PeakRss(process.Id);
            rows.Add(("  controller peak RSS (VmHWM of the process)", $"{peak / 1e6:0} MB", "≤ 200 MB", peak <= 200_000_000 ? "met" : "missed"));
            var stop = Stopwatch.StartNew();
            Process.Start("kill", ["-INT", process.Id.ToString(CultureInfo.InvariantCulture)])!.WaitForExit();
            var exited = process.WaitForExit(TimeSpan.FromSeconds(30));
            rows.Add(("  SIGINT → exit", exited ? Measure.Ms(stop.Elapsed) : "not within 30 s", "≤ 10 s", exited && stop.Elapsed <= TimeSpan.FromSeconds(10) ? "met" : "missed"));
        }
        finally
        {
            client?.Dispose();
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
                process.WaitForExit();
            }
        }

        return rows;
    }

    /// <summary>Polls the status API until the commit is the last applied; every call's latency goes into <paramref name="latencies"/>.</summary>
    private static async Task<string?> AppliedAsync(HttpClient http, string sha, TimeSpan within, Process process, List<TimeSpan>? latencies = null)
    {
        var deadline = Stopwatch.StartNew();
        while (deadline.Elapsed < within && !process.HasExited)
        {
            var call = Stopwatch.StartNew();
            try
            {
                using var doc = JsonDocument.Parse(await http.GetStringAsync("/api/v1/status?limit=1"));
                latencies?.Add(call.Elapsed);
                if (doc.RootElement.GetProperty("controller").GetProperty("lastApplied").GetString() == sha)
                {
                    return sha;
                }
            }
            catch (TaskCanceledException)
            {
                latencies?.Add(call.Elapsed); // A call that timed out counts with the time it took, never left out.
            }
            catch (Exception ex) when (ex is HttpRequestException or JsonException or KeyNotFoundException)
            {
                // Not listening yet: keep polling until the deadline.
            }

            await Task.Delay(20);
        }

        return null;
    }

    private static long PeakRss(int pid)
    {
        var line = File.ReadAllLines($"/proc/{pid}/status").FirstOrDefault(l => l.StartsWith("VmHWM:", StringComparison.Ordinal));
        return line is null ? 0 : long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture) * 1024;
    }

    /// <summary>The process's user and system CPU time so far (/proc/PID/stat, in clock ticks of 10 ms).</summary>
    private static TimeSpan CpuTime(int pid)
    {
        var stat = File.ReadAllText($"/proc/{pid}/stat");
        var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        var ticks = long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture);
        return TimeSpan.FromMilliseconds(ticks * 10);
    }

    /// <summary>How many workflow log lines the controller's state database holds (read beside the running controller).</summary>
    private static long LogLines(string state)
    {
        using var db = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={Path.Combine(state, "state.db")};Mode=ReadOnly");
        db.Open();
        using var count = db.CreateCommand();
        count.CommandText = "SELECT count(*) FROM wf_logs";
        return (long)count.ExecuteScalar()!;
    }

    private static void Run(string file, string[] args, int expectExit)
    {
        var info = new ProcessStartInfo(file, args) { RedirectStandardOutput = true, RedirectStandardError = true };
        using var process = Process.Start(info)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        process.WaitForExit();
        if (process.ExitCode != expectExit)
        {
            throw new InvalidOperationException($"{Path.GetFileName(file)} exited {process.ExitCode}: {error.Result}{output.Result}".Trim());
        }
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}

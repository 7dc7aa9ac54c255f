using System.Diagnostics;

namespace GitOrch.Tests.Shared;

/// <summary>
/// A real etcd cluster of one or more members (Debian's <c>etcd-server</c>) on free loopback ports,
/// with its data in a temp folder. Members can be stopped (kill -9) and started again to test
/// partitions and quorum loss. Disposing kills every member and deletes the data.
/// </summary>
internal sealed class EtcdCluster : IAsyncDisposable
{
    private readonly Member[] _members;
    private readonly string _root;

    private EtcdCluster(string root, Member[] members)
    {
        _root = root;
        _members = members;
    }

    public int Count => _members.Length;

    /// <summary>Every member's client URL, comma-separated, as <c>--etcd</c> takes them.</summary>
    public string Endpoints => string.Join(',', _members.Select(m => m.ClientUrl));

    public string ClientUrl(int member) => _members[member].ClientUrl;

    public static async Task<EtcdCluster> StartAsync(int members = 1)
    {
        var etcd = FindEtcd() ?? throw new InvalidOperationException("etcd is not installed (apt-get install etcd-server); .ci/run installs it");
        var root = Directory.CreateTempSubdirectory("gitorch-etcd-").FullName;
        var token = "gitorch-test-" + Guid.NewGuid().ToString("N")[..12];
        var list = Enumerable.Range(0, members)
            .Select(i => new Member(etcd, $"m{i}", Path.Combine(root, $"m{i}"), $"http://127.0.0.1:{LoopbackPorts.Free()}", $"http://127.0.0.1:{LoopbackPorts.Free()}"))
            .ToArray();
        var initial = string.Join(',', list.Select(m => $"{m.Name}={m.PeerUrl}"));
        var cluster = new EtcdCluster(root, list);
        try
        {
            foreach (var member in list)
            {
                member.Start(initial, token);
            }

            await cluster.WaitHealthyAsync(Enumerable.Range(0, members));
            return cluster;
        }
        catch
        {
            await cluster.DisposeAsync();
            throw;
        }
    }

    /// <summary>The member that is the Raft leader now (stopping it forces an etcd election).</summary>
    public async Task<int> RaftLeaderAsync()
    {
        for (var i = 0; i < _members.Length; i++)
        {
            using var client = new dotnet_etcd.EtcdClient(_members[i].ClientUrl);
            var status = await client.StatusAsync(new Etcdserverpb.StatusRequest(), deadline: DateTime.UtcNow.AddSeconds(5));
            if (status.Leader == status.Header.MemberId)
            {
                return i;
            }
        }

        throw new InvalidOperationException("no etcd member says it is the Raft leader");
    }

    /// <summary>kill -9 one member: its clients see it vanish without a goodbye.</summary>
    public void Stop(int member) => _members[member].Kill();

    /// <summary>Starts a stopped member again on its data; returns once it serves.</summary>
    public async Task RestartAsync(int member)
    {
        var initial = string.Join(',', _members.Select(m => $"{m.Name}={m.PeerUrl}"));
        _members[member].Start(initial, null);
        await WaitHealthyAsync([member]);
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var member in _members)
        {
            member.Kill();
        }

        await Task.Yield();
        try
        {
            Directory.Delete(_root, recursive: true);
        }
        catch (IOException)
        {
            // A member still closing its WAL; the temp folder is cleaned by the OS.
        }
    }

    private async Task WaitHealthyAsync(IEnumerable<int> members)
    {
        var deadline = Stopwatch.StartNew();
        foreach (var i in members)
        {
            while (true)
            {
                if (await _members[i].IsHealthyAsync())
                {
                    break;
                }

                if (deadline.Elapsed > TimeSpan.FromSeconds(30))
                {
                    throw new InvalidOperationException($"etcd member {_members[i].Name} did not become healthy in 30 s:\n{_members[i].Output}");
                }

                await Task.Delay(100);
            }
        }
    }

    private static string? FindEtcd() =>
        new[] { "/usr/bin/etcd", "/usr/local/bin/etcd", "/usr/sbin/etcd" }.FirstOrDefault(File.Exists);

    private sealed class Member(string etcd, string name, string dataDir, string clientUrl, string peerUrl)
    {
        private static readonly HttpClient Http = new() { Timeout = TimeSpan.FromSeconds(2) };
        private readonly System.Text.StringBuilder _output = new();
        private Process? _process;

        public string Name => name;

        public string ClientUrl => clientUrl;

        public string PeerUrl => peerUrl;

        public string Output
        {
            get
            {
                lock (_output)
                {
                    return _output.ToString();
                }
            }
        }

        public void Start(string initialCluster, string? token)
        {
            var info = new ProcessStartInfo(etcd)
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                UseShellExecute = false,
            };
            foreach (var arg in new[]
            {
                "--name", name, "--data-dir", dataDir,
                "--listen-client-urls", clientUrl, "--advertise-client-urls", clientUrl,
                "--listen-peer-urls", peerUrl, "--initial-advertise-peer-urls", peerUrl,
                "--initial-cluster", initialCluster,
                "--initial-cluster-state", token is null ? "existing" : "new",
                "--heartbeat-interval", "100", "--election-timeout", "1000",
                "--logger", "zap", "--log-level", "warn",
            })
            {
                info.ArgumentList.Add(arg);
            }

            if (token is not null)
            {
                info.ArgumentList.Add("--initial-cluster-token");
                info.ArgumentList.Add(token);
            }

            var process = Process.Start(info)!;
            process.OutputDataReceived += (_, e) => Append(e.Data);
            process.ErrorDataReceived += (_, e) => Append(e.Data);
            process.BeginOutputReadLine();
            process.BeginErrorReadLine();
            _process = process;
        }

        public async Task<bool> IsHealthyAsync()
        {
            try
            {
                using var response = await Http.GetAsync(clientUrl + "/health");
                return response.IsSuccessStatusCode && (await response.Content.ReadAsStringAsync()).Contains("\"true\"", StringComparison.Ordinal);
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
            {
                return false;
            }
        }

        public void Kill()
        {
            if (_process is { } process)
            {
                try
                {
                    process.Kill(entireProcessTree: true);
                    process.WaitForExit(5000);
                }
                catch (InvalidOperationException)
                {
                    // Already gone.
                }

                process.Dispose();
                _process = null;
            }
        }

        private void Append(string? line)
        {
            if (line is null)
            {
                return;
            }

            lock (_output)
            {
                if (_output.Length < 64 * 1024)
                {
                    _output.AppendLine(line);
                }
            }
        }
    }
}

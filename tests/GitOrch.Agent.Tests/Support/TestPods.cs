using System.Text.Json;
using System.Text.Json.Nodes;
using GitOrch.Agent.Pods;
using GitOrch.Agent.Runtimes;
using GitOrch.Core.AgentApi;
using Microsoft.Extensions.Logging;

namespace GitOrch.Agent.Tests.Support;

/// <summary>Pod assignments written by hand (the JSON the controller sends), and supervisors with the real drivers.</summary>
internal static class TestPods
{
    /// <summary>A unique pod key, "Pod/test/NAME-xxxxxxxx".</summary>
    public static string Key(string name) => $"Pod/test/{name}-{Guid.NewGuid().ToString("N")[..8]}";

    /// <summary>A process-runtime pod spec with one container "main" running <c>/bin/sh -c SCRIPT</c>.</summary>
    public static JsonObject ProcessSpec(string script, string restartPolicy = "Always", IReadOnlyDictionary<string, string>? env = null, params string[] ports)
    {
        var container = new JsonObject
        {
            ["name"] = "main",
            ["command"] = new JsonArray("/bin/sh", "-c", script),
        };
        if (env is not null)
        {
            container["env"] = new JsonObject([.. env.Select(kv => new KeyValuePair<string, JsonNode?>(kv.Key, kv.Value))]);
        }

        if (ports.Length > 0)
        {
            container["ports"] = new JsonArray([.. ports.Select(p => (JsonNode)new JsonObject { ["name"] = p })]);
        }

        return new JsonObject
        {
            ["runtime"] = "process",
            ["restartPolicy"] = restartPolicy,
            ["containers"] = new JsonArray(container),
        };
    }

    /// <summary>An oci pod spec with one container "main" of busybox:1.35 running <c>/bin/sh -c SCRIPT</c>.</summary>
    public static JsonObject OciSpec(string script, JsonObject? security = null)
    {
        var spec = new JsonObject
        {
            ["runtime"] = "oci",
            ["restartPolicy"] = "Never",
            ["containers"] = new JsonArray(new JsonObject
            {
                ["name"] = "main",
                ["image"] = "busybox:1.35",
                ["command"] = new JsonArray("/bin/sh", "-c", script),
            }),
        };
        if (security is not null)
        {
            spec["security"] = security;
        }

        return spec;
    }

    public static PodAssignment Assignment(string pod, string generation, JsonObject spec, IReadOnlyDictionary<string, int>? ports = null, int graceSeconds = 2) =>
        new(pod, generation, JsonDocument.Parse(spec.ToJsonString()).RootElement.Clone(), null, ports ?? new Dictionary<string, int>(), graceSeconds);

    public static PodSupervisor Supervisor(PodAssignment assignment, string stateDir, LogSink log, Func<string, string?>? images = null) =>
        new(assignment, stateDir, Driver, images ?? (_ => null), TimeProvider.System, log.Factory().CreateLogger("GitOrch.Agent.Pods"));

    public static IRuntimeDriver? Driver(string name) => name switch
    {
        "process" => new ProcessDriver(),
        "oci" => new RuncDriver(),
        "gvisor" => RuncDriver.Gvisor(),
        _ => null,
    };

    /// <summary>
    /// Waits until the pod reports Running and its process has exec'd past the driver's launcher
    /// (<c>sh -c 'exec "$@" &gt;&gt;log' setsid [setpriv ...] COMMAND</c>): the pid is then the command itself,
    /// in its own process group, with the pod's user.
    /// </summary>
    public static Task<PodReport> RunningAsync(PodSupervisor supervisor) =>
        Eventually.Until(supervisor.Report, r => r.Phase == "Running" && r.Containers.Single().Pid is int pid && Launched(pid), $"{supervisor.Pod} to run");

    /// <summary>Whether a container's pid runs its command now (not still the launcher chain).</summary>
    public static bool Launched(int pid)
    {
        var commandLine = Procs.CommandLine(pid);
        return commandLine.Length > 0
            && !commandLine.StartsWith("/bin/sh -c exec \"$@\"", StringComparison.Ordinal)
            && !commandLine.StartsWith("setsid ", StringComparison.Ordinal)
            && !commandLine.StartsWith("setpriv ", StringComparison.Ordinal)
            && !commandLine.Contains(" -e my ($f, $nnp, ", StringComparison.Ordinal); // the seccomp installer (perl)
    }

    public static int Pid(this PodReport report) => report.Containers.Single().Pid!.Value;

    public static string ReadLog(PodSupervisor supervisor, string container = "main") =>
        File.Exists(supervisor.LogFile(container)) ? File.ReadAllText(supervisor.LogFile(container)) : string.Empty;
}

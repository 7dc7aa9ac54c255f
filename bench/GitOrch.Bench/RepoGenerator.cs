using System.Diagnostics;
using System.Globalization;
using System.Text;

namespace GitOrch.Bench;

/// <summary>
/// Writes synthetic config repos as real git repos: N objects (mostly Pods, some PinnedDeployments,
/// a few ControlLoops and Targets, one ClusterPolicy) across files of 10 documents each, each
/// object of a realistic size (a few env vars, ports, resources, labels).
/// </summary>
public static class RepoGenerator
{
    public static string Create(int objects, string root)
    {
        if (Directory.Exists(root))
        {
            Directory.Delete(root, recursive: true);
        }

        Directory.CreateDirectory(root);
        Git(root, "init", "-q", "-b", "main");
        File.WriteAllText(Path.Combine(root, "policy.yaml"), """
            apiVersion: gitorch.dev/v1
            kind: ClusterPolicy
            metadata: {name: cluster}
            spec:
              security:
                exceptions:
                  - namespaces: ["*"]
                    allow: ["runtime:process"]
              rollouts: {maxStepPercent: 100, approvers: [sre-team]}
            """);
        var perFile = 10;
        for (var file = 0; file * perFile < objects; file++)
        {
            var text = new StringBuilder();
            for (var i = file * perFile; i < Math.Min(objects, (file + 1) * perFile); i++)
            {
                text.Append(i % 50 == 7 ? PinnedDeployment(i) : i % 200 == 13 ? Loop(i) : Pod(i)).Append("---\n");
            }

            var folder = Path.Combine(root, $"team-{file % 20:00}");
            Directory.CreateDirectory(folder);
            File.WriteAllText(Path.Combine(folder, $"apps-{file:00000}.yaml"), text.ToString());
        }

        Commit(root, "Generated config");
        return root;
    }

    public static string Pod(int i, string greeting = "hello") => string.Create(CultureInfo.InvariantCulture, $$"""
        # Service {{i}}: a typical pod with env, ports and resources.
        apiVersion: gitorch.dev/v1
        kind: Pod
        metadata:
          name: svc-{{i}}
          namespace: ns-{{i % 10}}
          labels: {app: svc-{{i}}, team: team-{{i % 20}}, tier: backend}
        spec:
          runtime: process
          restartPolicy: Always
          terminationGracePeriodSeconds: 10
          containers:
            - name: main
              command: ["/bin/sh", "-c", "while true; do echo svc-{{i}} $(PORT_HTTP); sleep 30; done"]
              env: {GREETING: {{greeting}}, SERVICE: svc-{{i}}, LOG_LEVEL: info, REGION: home}
              ports: [{name: http}, {name: metrics}]
              resources: {cpu: 10m, memory: 16Mi}

        """);

    private static string PinnedDeployment(int i) => string.Create(CultureInfo.InvariantCulture, $$"""
        apiVersion: gitorch.dev/v1
        kind: PinnedDeployment
        metadata:
          name: web-{{i}}
          namespace: ns-{{i % 10}}
        spec:
          replicas: 3
          percentNext: 33
          previous:
            labels:
              version: "1.16"
            spec:
              runtime: process
              containers:
                - name: main
                  command: ["/bin/sh", "-c", "sleep 3600"]
                  env:
                    V: "1.16"
                  resources:
                    cpu: 10m
                    memory: 16Mi
          next:
            labels:
              version: "1.17"
            spec:
              runtime: process
              containers:
                - name: main
                  command: ["/bin/sh", "-c", "sleep 3600"]
                  env:
                    V: "1.17"
                  resources:
                    cpu: 10m
                    memory: 16Mi

        """);

    private static string Loop(int i) => string.Create(CultureInfo.InvariantCulture, $$"""
        apiVersion: gitorch.dev/v1
        kind: ControlLoop
        metadata:
          name: loop-{{i}}
        spec:
          objectKinds: [Pod]
          selector:
            labels:
              app: svc-{{i}}
          step:
            after: [scheduled.target]
            before: [running.target]
            timeoutSeconds: 30
          owns: ["Pod:status.loop{{i}}"]
          reads: ["Pod:metadata.labels"]
          exec:
            command: ["/bin/true"]

        """);

    /// <summary>Changes one pod in one file and commits; returns the commit.</summary>
    public static string ChangeOneFile(string root, int round)
    {
        var file = Directory.EnumerateFiles(root, "apps-00000.yaml", SearchOption.AllDirectories).First();
        var text = File.ReadAllText(file);
        var start = text.IndexOf("GREETING: ", StringComparison.Ordinal) + "GREETING: ".Length;
        var end = text.IndexOf(',', start);
        File.WriteAllText(file, text[..start] + $"hello-{round}" + text[end..]);
        return Commit(root, $"Change one pod ({round})");
    }

    public static string Commit(string root, string message)
    {
        Git(root, "add", "-A");
        Git(root, "-c", "user.name=Bench", "-c", "user.email=bench@example.com", "commit", "-q", "-m", message);
        return Git(root, "rev-parse", "HEAD").Trim();
    }

    public static string Git(string root, params string[] args)
    {
        var info = new ProcessStartInfo("git") { WorkingDirectory = root, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var arg in args)
        {
            info.ArgumentList.Add(arg);
        }

        using var process = Process.Start(info)!;
        var output = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        return process.ExitCode == 0 ? output : throw new InvalidOperationException($"git {string.Join(' ', args)}: {process.StandardError.ReadToEnd()}");
    }
}

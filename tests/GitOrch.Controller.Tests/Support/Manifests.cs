namespace GitOrch.Controller.Tests.Support;

/// <summary>Manifest texts with known line numbers, so diagnostics can be asserted exactly.</summary>
internal static class Manifests
{
    /// <summary>
    /// A pod; line 7 is <c>  containers:</c>, line 11 is the GREETING env value, line 9 the image.
    /// A nodeSelector (inline YAML mapping such as <c>{zone: home}</c>) goes after the containers.
    /// </summary>
    public static string Pod(
        string name,
        string ns = "demo",
        string greeting = "hello",
        string image = "busybox:1.35",
        string cpu = "250m",
        string memory = "64Mi",
        string? nodeSelector = null)
    {
        var text = $"""
            apiVersion: gitorch.dev/v1
            kind: Pod
            metadata:
              name: {name}
              namespace: {ns}
            spec:
              containers:
                - name: main
                  image: {image}
                  env:
                    GREETING: {greeting}
                  resources:
                    cpu: {cpu}
                    memory: {memory}

            """;
        return nodeSelector is null ? text : text + $"  nodeSelector: {nodeSelector}\n";
    }

    /// <summary>The worker pod with an unknown field <c>colour</c> at line 7, column 3.</summary>
    /// <summary>A pod on the process runtime (a weakening that needs the exception runtime:process).</summary>
    public static string ProcessPod(string name, string ns = "demo") =>
        Pod(name, ns).Replace("spec:\n", "spec:\n  runtime: process\n", StringComparison.Ordinal)
            .Replace("      image: busybox:1.35\n", "      image: busybox:1.35\n      command: [/bin/sleep, \"3600\"]\n", StringComparison.Ordinal);

    public static string PodWithUnknownField(string name, string ns = "demo") =>
        Pod(name, ns).Replace("spec:\n", "spec:\n  colour: blue\n", StringComparison.Ordinal);

    public static string Policy(int keepVersions) => $"""
        apiVersion: gitorch.dev/v1
        kind: ClusterPolicy
        metadata:
          name: cluster
        spec:
          history:
            keepVersions: {keepVersions}

        """;

    /// <summary>
    /// A PinnedDeployment; line 9 is <c>  percentNext: N</c> (column 3). The next template may run on
    /// the process runtime (a weakening), on the line after its <c>spec:</c>, with a command.
    /// </summary>
    public static string PinnedDeployment(
        int replicas = 5,
        int percentNext = 40,
        string name = "web",
        string ns = "demo",
        int maxUnavailable = 1,
        string previousVersion = "1.16",
        string previousImage = "busybox:1.35",
        string nextVersion = "1.17",
        string nextImage = "busybox:1.36",
        string? nextRuntime = null) => $"""
        apiVersion: gitorch.dev/v1
        kind: PinnedDeployment
        metadata:
          name: {name}
          namespace: {ns}
          labels: {"{"}app: {name}{"}"}
        spec:
          replicas: {replicas}
          percentNext: {percentNext}
          maxUnavailable: {maxUnavailable}
          previous:
            labels: {"{"}version: "{previousVersion}"{"}"}
            spec:
              containers:
                - name: main
                  image: {previousImage}
          next:
            labels: {"{"}version: "{nextVersion}"{"}"}
            spec:
        {(nextRuntime is null ? string.Empty : $"      runtime: {nextRuntime}\n")}      containers:
                - name: main
                  image: {nextImage}
        {(nextRuntime == "process" ? "          command: [/bin/sleep, \"3600\"]\n" : string.Empty)}
        """;

    /// <summary>A ClusterPolicy with a rollout limit and approvers, and optionally security exceptions for namespace demo.</summary>
    public static string RolloutPolicy(int maxStepPercent = 25, string approvers = "[sre-team]", string? allow = null)
    {
        var security = allow is null ? string.Empty : $"  security:\n    exceptions:\n      - namespaces: [demo]\n        allow: {allow}\n";
        return $"""
            apiVersion: gitorch.dev/v1
            kind: ClusterPolicy
            metadata:
              name: cluster
            spec:
              rollouts:
                maxStepPercent: {maxStepPercent}
                approvers: {approvers}

            """ + security;
    }
}

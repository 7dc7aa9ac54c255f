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
}

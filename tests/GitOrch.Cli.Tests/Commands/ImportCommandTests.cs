namespace GitOrch.Cli.Tests.Commands;

/// <summary><c>gitorch import k8s PATH [-o DIR] [-n NS]</c> through the real command line, then <c>gitorch validate</c> on what it wrote.</summary>
public sealed class ImportCommandTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("gitorch-import-cli-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string Write(string name, string text)
    {
        var path = Path.Combine(_dir, "k8s", name);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, text);
        return path;
    }

    private const string Deployment = """
        apiVersion: apps/v1
        kind: Deployment
        metadata: {name: web, labels: {app: web}}
        spec:
          replicas: 4
          selector: {matchLabels: {app: web}}
          template:
            metadata: {labels: {app: web}}
            spec:
              securityContext: {runAsNonRoot: true, seccompProfile: {type: RuntimeDefault}}
              initContainers:
              - name: migrate
                image: busybox:1.35
                command: [/bin/sh, -c, "echo migrated"]
                securityContext: {runAsUser: 0}
              containers:
              - name: main
                image: busybox:1.35
                command: [/bin/sh, -c, "sleep 3600"]
                securityContext: {allowPrivilegeEscalation: false, capabilities: {drop: [ALL]}}
        ---
        apiVersion: v1
        kind: Service
        metadata: {name: web}
        spec: {ports: [{port: 80}]}
        """;

    [Fact]
    public void WritesOneFilePerObject_WithAHeader_PrintsTheSummary_AndValidateNamesTheExceptionsNeeded()
    {
        Write("app.yaml", Deployment);
        var output = Path.Combine(_dir, "out");

        var (exit, stdout, stderr) = CliRunner.Run("import", "k8s", Path.Combine(_dir, "k8s"), "-o", output, "-n", "demo");

        Assert.Equal(0, exit);
        var file = Path.Combine(output, "demo", "pinneddeployment-web.yaml");
        Assert.Equal([file], Directory.GetFiles(output, "*", SearchOption.AllDirectories));
        var yaml = File.ReadAllText(file);
        Assert.StartsWith($"# Imported by `gitorch import k8s` from {Path.Combine(_dir, "k8s", "app.yaml")} (Deployment web, document 1).\n", yaml, StringComparison.Ordinal);
        Assert.Contains("percentNext: 0", yaml, StringComparison.Ordinal);
        Assert.Contains($"converted  {Path.Combine(_dir, "k8s", "app.yaml")}: Deployment web → PinnedDeployment demo/web ({file})", stdout, StringComparison.Ordinal);
        Assert.Contains("skipped    ", stdout, StringComparison.Ordinal);
        Assert.Contains("import: 1 converted, 4 absorbed, 0 ignored, 0 adjusted, 1 skipped, 0 refused", stdout, StringComparison.Ordinal);
        Assert.Contains("gitorch validate", stderr, StringComparison.Ordinal);

        var (validExit, validOut, _) = CliRunner.Run("validate", output);
        Assert.Equal(1, validExit);
        Assert.Contains("GO2001", validOut, StringComparison.Ordinal);
        Assert.Contains("\"runAsRoot\"", validOut, StringComparison.Ordinal);
    }

    [Fact]
    public void WithoutOutputDir_PrintsTheManifestsOnStdout_AndTheSummaryOnStderr()
    {
        var path = Write("app.yaml", Deployment);

        var (exit, stdout, stderr) = CliRunner.Run("import", "k8s", path);

        Assert.Equal(0, exit);
        Assert.StartsWith("# Imported by `gitorch import k8s`", stdout, StringComparison.Ordinal);
        Assert.Contains("kind: PinnedDeployment", stdout, StringComparison.Ordinal);
        Assert.Contains("namespace: default", stdout, StringComparison.Ordinal);
        Assert.Contains("import: 1 converted", stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("import:", stdout, StringComparison.Ordinal);
    }

    [Fact]
    public void ARefusedSetting_ExitsOne_NamingFileObjectAndField_AndWritesNothing()
    {
        var path = Write("app.yaml", Deployment.Replace("command: [/bin/sh, -c, \"sleep 3600\"]", "ports: [{containerPort: 80, hostPort: 80}]", StringComparison.Ordinal));
        var output = Path.Combine(_dir, "out");

        var (exit, stdout, stderr) = CliRunner.Run("import", "k8s", path, "-o", output);

        Assert.Equal(1, exit);
        Assert.Contains($"refused    {path}:19:37: Deployment web spec.template.spec.containers[0].ports[0].hostPort: hostPort 80 binds a port on the node itself", stdout, StringComparison.Ordinal);
        Assert.Contains("nothing was written", stderr, StringComparison.Ordinal);
        Assert.Contains("import: 0 converted, ", stdout, StringComparison.Ordinal);
        Assert.DoesNotContain("converted  ", stdout, StringComparison.Ordinal);
        Assert.False(Directory.Exists(output));
    }
}

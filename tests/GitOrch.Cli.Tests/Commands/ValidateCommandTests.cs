using System.Text.Json;

namespace GitOrch.Cli.Tests.Commands;

public sealed class ValidateCommandTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("gitorch-validate-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private void Write(string relative, string text)
    {
        var path = Path.Combine(_dir, relative);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, text);
    }

    private const string BadPod = """
        apiVersion: gitorch.dev/v1
        kind: Pod
        metadata: {name: p, namespace: demo}
        spec:
          containers:
            - name: main
              image: busybox:1.35
              imagePullPolicy: Always
        ---
        apiVersion: gitorch.dev/v1
        kind: Pod
        metadata: {name: root, namespace: demo}
        spec:
          security: {runAsUser: 0}
          containers: [{name: main, image: busybox:1.35}]
        """;

    [Fact]
    public void ValidRepo_ExitsZero_AndPrintsNoDiagnostics()
    {
        var (exit, stdout, stderr) = CliRunner.Run("validate", CliRunner.ExampleRepo());
        Assert.Equal(0, exit);
        Assert.Equal(string.Empty, stdout);
        Assert.Contains("valid", stderr, StringComparison.Ordinal);
    }

    [Fact]
    public void InvalidRepo_ExitsOne_WithCompilerStyleLines_RelativeToThePath()
    {
        Write("apps/pod.yaml", BadPod);
        var (exit, stdout, _) = CliRunner.Run("validate", _dir);
        Assert.Equal(1, exit);
        var lines = stdout.TrimEnd().Split('\n');
        Assert.Equal(2, lines.Length);
        Assert.StartsWith("apps/pod.yaml:8:7: error GO1004: Pod demo/p: unknown field \"imagePullPolicy\"", lines[0], StringComparison.Ordinal);
        Assert.StartsWith("apps/pod.yaml:14:14: error GO2001: Pod demo/root: spec.security.runAsUser", lines[1], StringComparison.Ordinal);
    }

    /// <summary>
    /// A name with a newline cannot forge a line of output, and an escape sequence in a field
    /// (here one that would retitle the terminal) reaches the terminal as text, not as a command.
    /// </summary>
    [Fact]
    public void HostileText_InAFinding_IsPrintedEscaped_OnItsOwnLine()
    {
        Write("apps/pod.yaml", "apiVersion: gitorch.dev/v1\nkind: Pod\nmetadata:\n  name: \"web\\nsrc/ok.yaml:1:1: note: all good\"\n  namespace: demo\n"
            + "spec:\n  containers:\n    - name: main\n      image: \"busybox:1.35\\e]0;pwned\\a\\u202e\"\n      command: [sleep, \"1\"]\n");
        var (exit, stdout, _) = CliRunner.Run("validate", _dir);

        Assert.Equal(1, exit);
        var lines = stdout.TrimEnd().Split('\n');
        Assert.Equal(2, lines.Length);
        Assert.All(lines, l => Assert.StartsWith("apps/pod.yaml:", l, StringComparison.Ordinal));
        Assert.Contains(@"web\nsrc/ok.yaml:1:1: note: all good", lines[0], StringComparison.Ordinal);
        Assert.Contains(@"busybox:1.35\u001b]0;pwned\u0007\u202e", lines[1], StringComparison.Ordinal);
        Assert.DoesNotContain(stdout, c => c is '\u001b' or '\u0007' or '\u202e');
    }

    [Fact]
    public void JsonOutput_IsAnArrayOfPositionedDiagnostics()
    {
        Write("pod.yaml", BadPod);
        var (exit, stdout, _) = CliRunner.Run("validate", _dir, "--output", "json");
        Assert.Equal(1, exit);
        using var doc = JsonDocument.Parse(stdout);
        var first = doc.RootElement[0];
        Assert.Equal("pod.yaml", first.GetProperty("file").GetString());
        Assert.Equal(8, first.GetProperty("line").GetInt32());
        Assert.Equal(7, first.GetProperty("column").GetInt32());
        Assert.Equal("error", first.GetProperty("severity").GetString());
        Assert.Equal("GO1004", first.GetProperty("code").GetString());
        Assert.Equal("Pod/demo/p", first.GetProperty("object").GetString());
    }

    [Fact]
    public void JsonOutput_OfAValidRepo_IsAnEmptyArray()
    {
        var (exit, stdout, _) = CliRunner.Run("validate", CliRunner.ExampleRepo(), "--output", "json");
        Assert.Equal(0, exit);
        Assert.Equal(0, JsonDocument.Parse(stdout).RootElement.GetArrayLength());
    }

    [Fact]
    public void Warnings_DoNotFailValidation()
    {
        Write("policy.yaml", """
            apiVersion: gitorch.dev/v1
            kind: ClusterPolicy
            metadata: {name: cluster}
            spec: {security: {exceptions: [{namespaces: [demo], allow: [runAsRoot]}]}}
            """);
        var (exit, stdout, _) = CliRunner.Run("validate", _dir);
        Assert.Equal(0, exit);
        Assert.Contains("policy.yaml:4:61: warning GO2002:", stdout, StringComparison.Ordinal);
    }

    [Fact]
    public void ASingleFile_IsShownAsGiven()
    {
        Write("pod.yaml", BadPod);
        var file = Path.Combine(_dir, "pod.yaml");
        var (exit, stdout, _) = CliRunner.Run("validate", file);
        Assert.Equal(1, exit);
        Assert.StartsWith($"{file}:8:7: error GO1004", stdout, StringComparison.Ordinal);
    }

    [Fact]
    public void AMissingPath_ExitsOne_WithAClearMessage_AndNoStackTrace()
    {
        var (exit, stdout, stderr) = CliRunner.Run("validate", Path.Combine(_dir, "nope"));
        Assert.Equal(1, exit);
        Assert.Equal(string.Empty, stdout);
        Assert.Contains("no such file or folder", stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", stderr, StringComparison.Ordinal);
    }

    [Fact]
    public void AnUnknownOutputFormat_IsAUsageError()
    {
        var (exit, _, stderr) = CliRunner.Run("validate", _dir, "--output", "xml");
        Assert.Equal(1, exit);
        Assert.Contains("--output must be one of: text, json", stderr, StringComparison.Ordinal);
    }

    [Fact]
    public void BinaryGarbage_IsADiagnostic_NotACrash()
    {
        File.WriteAllBytes(Path.Combine(_dir, "junk.yaml"), [0xff, 0xfe, 0x00, 0x01, (byte)':', (byte)'[', 0x7f]);
        var (exit, stdout, stderr) = CliRunner.Run("validate", _dir);
        Assert.Equal(1, exit);
        Assert.StartsWith("junk.yaml:", stdout, StringComparison.Ordinal);
        Assert.DoesNotContain("internal error", stderr, StringComparison.Ordinal);
    }
}

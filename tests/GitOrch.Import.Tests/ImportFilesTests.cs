namespace GitOrch.Import.Tests;

/// <summary>What <c>import k8s PATH</c> reads: regular YAML files only, bounded, never through a symlink.</summary>
public sealed class ImportFilesTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("gitorch-import-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void AFolder_IsReadRecursively_YamlOnly_SkippingHiddenEntries_InNameOrder()
    {
        Directory.CreateDirectory(Path.Combine(_dir, "b"));
        Directory.CreateDirectory(Path.Combine(_dir, ".git"));
        File.WriteAllText(Path.Combine(_dir, "b", "two.yml"), "kind: Service\n");
        File.WriteAllText(Path.Combine(_dir, "a.yaml"), "kind: Service\n");
        File.WriteAllText(Path.Combine(_dir, "notes.txt"), "not yaml\n");
        File.WriteAllText(Path.Combine(_dir, ".git", "x.yaml"), "kind: Service\n");

        var (files, problems) = ImportFiles.Read(_dir);

        Assert.Empty(problems);
        Assert.Equal([Path.Combine(_dir, "a.yaml"), Path.Combine(_dir, "b", "two.yml")], files.Select(f => f.File));
    }

    [Fact]
    public void ASymlink_IsRefused_NeverFollowed()
    {
        var secret = Path.Combine(_dir, "outside.txt");
        File.WriteAllText(secret, "apiVersion: v1\nkind: Pod\n");
        var inside = Directory.CreateDirectory(Path.Combine(_dir, "manifests")).FullName;
        File.CreateSymbolicLink(Path.Combine(inside, "pod.yaml"), secret);

        var (files, problems) = ImportFiles.Read(inside);

        Assert.Empty(files);
        var problem = Assert.Single(problems);
        Assert.Equal((NoteKind.Refused, Path.Combine(inside, "pod.yaml")), (problem.Kind, problem.File));
        Assert.Contains("symbolic link", problem.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void AFileOverTheLimit_IsRefused_BeforeItIsRead()
    {
        var big = Path.Combine(_dir, "big.yaml");
        using (var stream = File.Create(big))
        {
            stream.SetLength(ImportFiles.MaxFileBytes + 1);
        }

        var (files, problems) = ImportFiles.Read(big);

        Assert.Empty(files);
        Assert.Contains("over the 1048576-byte limit", Assert.Single(problems).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void AMissingPath_IsRefused_SayingWhatToGive()
    {
        var (_, problems) = ImportFiles.Read(Path.Combine(_dir, "nope"));

        Assert.Contains("no such file or folder", Assert.Single(problems).Message, StringComparison.Ordinal);
    }
}

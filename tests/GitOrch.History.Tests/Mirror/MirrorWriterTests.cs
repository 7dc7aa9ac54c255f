using GitOrch.Core.Diagnostics;
using GitOrch.Git;
using GitOrch.History.Mirror;
using GitOrch.History.Store;
using GitOrch.Testing;

namespace GitOrch.History.Tests.Mirror;

/// <summary>Two controllers writing one mirror would interleave their histories; the second writer is noticed.</summary>
public sealed class MirrorWriterTests : IDisposable
{
    private readonly TempGitRepo _repo = TempGitRepo.Create();
    private readonly string _stateA = Directory.CreateTempSubdirectory("gitorch-mirror-a-").FullName;
    private readonly string _stateB = Directory.CreateTempSubdirectory("gitorch-mirror-b-").FullName;

    public void Dispose()
    {
        _repo.Dispose();
        Directory.Delete(_stateA, recursive: true);
        Directory.Delete(_stateB, recursive: true);
    }

    private static void WriteOne(HistoryStore store, string name) =>
        store.Write(new ChangeBatch("control-loop/scheduler", ChangeKind.Mechanical, null, $"scheduler: place {name}", "scheduler", "s@x",
            [new ObjectChange(new ObjectRef("Pod", "demo", name), "{\"kind\":\"Pod\"}", ["status.nodeName"], null)]));

    [Fact]
    public async Task AMirrorRefMovedByAnotherWriter_StopsThisWriter_SayingSo()
    {
        _repo.Write("a.yaml", "a: 1\n");
        _repo.Commit("config");
        await using var git = new GitRepository(_repo.Path);
        using var a = HistoryStore.Open(_stateA);
        using var b = HistoryStore.Open(_stateB);
        var mirrorA = new HistoryMirror(git, a);
        var mirrorB = new HistoryMirror(git, b);

        WriteOne(a, "one");
        Assert.Equal(1, await mirrorA.CatchUpAsync(CancellationToken.None));
        await mirrorB.PrepareAsync(CancellationToken.None); // As a controller does before its first write.
        WriteOne(b, "two");
        Assert.Equal(1, await mirrorB.CatchUpAsync(CancellationToken.None)); // A fresh writer may take over (restore from backup).

        WriteOne(a, "three");
        var refused = await Assert.ThrowsAsync<StateException>(() => mirrorA.CatchUpAsync(CancellationToken.None));
        Assert.Contains("another controller (or a person) writes the same mirror", refused.Message, StringComparison.Ordinal);
    }
}

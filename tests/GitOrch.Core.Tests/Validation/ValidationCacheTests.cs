using GitOrch.Core.Diagnostics;
using GitOrch.Core.Loading;
using GitOrch.Core.Tests.Support;
using GitOrch.Core.Validation;

namespace GitOrch.Core.Tests.Validation;

/// <summary>
/// Successive commits validated with one <see cref="ValidationCache"/>, as the controller does:
/// unchanged objects are not checked again, and the result is always what a validation from
/// scratch gives, whatever changed (an object, the ClusterPolicy, a ControlLoop).
/// </summary>
public class ValidationCacheTests
{
    private static string Policy(string allow) => $$"""
        apiVersion: gitorch.dev/v1
        kind: ClusterPolicy
        metadata: {name: cluster}
        spec:
          security:
            exceptions:
              - namespaces: [demo]
                allow: {{allow}}
        """;

    private static string Pod(string name, string extra = "", string labels = "{}") => $$"""
        apiVersion: gitorch.dev/v1
        kind: Pod
        metadata: {name: {{name}}, namespace: demo, labels: {{labels}}}
        spec:
        {{extra}}
          containers:
            - name: main
              image: busybox:1.35
              command: [sleep, "1"]
        """;

    private static string Loop(string owns) => $$$"""
        apiVersion: gitorch.dev/v1
        kind: ControlLoop
        metadata: {name: pinner}
        spec:
          objectKinds: [Pod]
          step: {after: [scheduled.target], before: [running.target]}
          owns: {{{owns}}}
          selector: {labels: {pin: "yes"}}
          exec: {command: [/bin/true]}
        """;

    private static string Deployment(int replicas) => $$$"""
        apiVersion: gitorch.dev/v1
        kind: PinnedDeployment
        metadata: {name: web, namespace: demo}
        spec:
          replicas: {{{replicas}}}
          percentNext: 0
          previous: {spec: {containers: [{name: main, image: busybox:1.35}]}}
          next: {spec: {containers: [{name: main, image: busybox:1.35}]}}
        """;

    private static string Target(string name, string after) => $$"""
        apiVersion: gitorch.dev/v1
        kind: Target
        metadata: {name: {{name}}}
        spec:
          after: {{after}}
          before: [running.target]
        """;

    /// <summary>The files of one commit, loaded; a file whose text did not change keeps its loaded instance, as the controller's blob cache does.</summary>
    private sealed class Commits
    {
        private readonly Dictionary<string, (string Text, FileLoadResult Loaded)> _files = new(StringComparer.Ordinal);

        public IReadOnlyList<FileLoadResult> Next(params (string Path, string? Text)[] changes)
        {
            foreach (var (path, text) in changes)
            {
                if (text is null)
                {
                    _files.Remove(path);
                }
                else if (!_files.TryGetValue(path, out var known) || known.Text != text)
                {
                    _files[path] = (text, ManifestLoader.LoadFileReleased(new ManifestFile(path, text)));
                }
            }

            return [.. _files.OrderBy(f => f.Key, StringComparer.Ordinal).Select(f => f.Value.Loaded)];
        }
    }

    /// <summary>Validates with the cache and from scratch; both must give the same diagnostics.</summary>
    private static ValidationResult Both(IReadOnlyList<FileLoadResult> files, ValidationCache cache)
    {
        var cached = ManifestValidator.Validate(files, cache: cache);
        var scratch = ManifestValidator.Validate(files);
        Assert.Equal(scratch.Diagnostics.Select(d => d.ToString()), cached.Diagnostics.Select(d => d.ToString()));
        Assert.Equal(scratch.Diagnostics.Select(d => d.Object), cached.Diagnostics.Select(d => d.Object));
        Assert.Equal(scratch.Loops.Select(l => l.Name), cached.Loops.Select(l => l.Name));
        Assert.Equal(scratch.Targets.Select(t => (t.Name, t.Ordering.After.Count)), cached.Targets.Select(t => (t.Name, t.Ordering.After.Count)));
        Assert.Equal(scratch.Objects.Count, cached.Objects.Count);
        Assert.Equal(scratch.NotPods.Select(o => (o.Ref, o.Location)), cached.NotPods.Select(o => (o.Ref, o.Location)));
        return cached;
    }

    [Fact]
    public void AOneFileChange_ChecksOnlyThatFilesObjects_AndKeepsTheOthersFindings()
    {
        var commits = new Commits();
        var cache = new ValidationCache();
        var pods = Enumerable.Range(0, 20).Select(i => ($"pods/p{i:D2}.yaml", (string?)Pod($"p{i}"))).ToList();
        pods[3] = (pods[3].Item1, Pod("p3", "  security: {runAsUser: 0}"));
        var first = Both(commits.Next([.. pods]), cache);
        Assert.Equal((20, 0), (cache.Checked, cache.Reused));
        Assert.Equal("pods/p03.yaml", first.Single(DiagnosticCodes.WeakeningWithoutException).File);

        var second = Both(commits.Next(("pods/p07.yaml", Pod("p7", "  security: {hostNetwork: true}"))), cache);
        Assert.Equal((1, 19), (cache.Checked, cache.Reused));
        Assert.Equal(["pods/p03.yaml", "pods/p07.yaml"], second.Diagnostics.Where(d => d.Code == DiagnosticCodes.WeakeningWithoutException).Select(d => d.File));
    }

    [Fact]
    public void ADuplicate_IsFoundWhenItsSecondFileArrives_AndForgottenWhenItGoes()
    {
        var commits = new Commits();
        var cache = new ValidationCache();
        Both(commits.Next(("a.yaml", Pod("web")), ("b.yaml", Pod("api"))), cache).NoErrors();

        var twice = Both(commits.Next(("c.yaml", Pod("web"))), cache).Single(DiagnosticCodes.DuplicateObject);
        Assert.Equal("c.yaml", twice.File);
        Assert.Contains("a.yaml", twice.Message, StringComparison.Ordinal);

        Both(commits.Next(("a.yaml", null)), cache).NoErrors();
    }

    [Fact]
    public void APodInGitNamedAsAGeneratedPod_IsFound_WhenOnlyTheDeploymentChanges()
    {
        var commits = new Commits();
        var cache = new ValidationCache();
        Both(commits.Next(("pd.yaml", Deployment(2)), ("pod.yaml", Pod("web-3"))), cache).NoErrors();
        Assert.Equal("pod.yaml", Both(commits.Next(("pd.yaml", Deployment(4))), cache).Single(DiagnosticCodes.GeneratedObjectInGit).File);
    }

    [Fact]
    public void AChangedClusterPolicy_ChecksEveryObjectAgain()
    {
        var commits = new Commits();
        var cache = new ValidationCache();
        var root = Pod("root", "  security: {runAsUser: 0}");
        Both(commits.Next(("a.yaml", root), ("b.yaml", Pod("plain")), ("policy.yaml", Policy("[hostNetwork]"))), cache).Single(DiagnosticCodes.WeakeningWithoutException);

        // Only the policy's file changes; the pod's error goes away because the new policy allows it.
        var allowed = Both(commits.Next(("policy.yaml", Policy("[runAsRoot]"))), cache);
        Assert.Equal((3, 0), (cache.Checked, cache.Reused));
        allowed.NoErrors();
        Assert.DoesNotContain(allowed.Diagnostics, d => d.Code == DiagnosticCodes.UnusedException);
    }

    [Fact]
    public void AChangedControlLoop_ChecksEveryObjectAgain()
    {
        var commits = new Commits();
        var cache = new ValidationCache();
        var pinned = Pod("a", labels: "{pin: \"yes\"}");
        Both(commits.Next(("a.yaml", pinned), ("loop.yaml", Loop("[\"Pod:status.pinned\"]"))), cache).NoErrors();

        // The loop now owns the image, which the selected pod sets: an error on an unchanged pod.
        var owned = Both(commits.Next(("loop.yaml", Loop("[\"Pod:spec.containers[*].image\"]"))), cache);
        Assert.Equal("a.yaml", owned.Single(DiagnosticCodes.SetsLoopOwnedField).File);
        Assert.Equal(0, cache.Reused);
    }

    [Fact]
    public void AnExceptionUsedOnlyByAnUnchangedPod_IsNotCalledUnused()
    {
        var commits = new Commits();
        var cache = new ValidationCache();
        Both(commits.Next(("a.yaml", Pod("root", "  security: {runAsUser: 0}")), ("b.yaml", Pod("plain")), ("policy.yaml", Policy("[runAsRoot]"))), cache).NoErrors();

        var next = Both(commits.Next(("b.yaml", Pod("plain", "  security: {readOnlyRootFilesystem: true}"))), cache);
        Assert.Equal(1, cache.Checked);
        Assert.DoesNotContain(next.Diagnostics, d => d.Code == DiagnosticCodes.UnusedException);

        // The pod that used it goes: now it is unused.
        Both(commits.Next(("a.yaml", null)), cache).Single(DiagnosticCodes.UnusedException);
    }

    /// <summary>
    /// Random commits over a pool of variants of each file (pods with and without weakenings and
    /// owned fields, two policies, two loops, duplicates, files removed): the cached validation
    /// equals a validation from scratch after every commit. The seed is printed on failure;
    /// GITORCH_CACHE_SEED replays one.
    /// </summary>
    [Fact]
    public void APodChangedBesideATarget_KeepsTheTargetsFindings_UnlessTheTargetMovedOrChanged()
    {
        var commits = new Commits();
        var cache = new ValidationCache();
        string Mixed(string pod, string before = "") => before + Target("mixed.target", "[nothing.target]") + "\n---\n" + pod;
        var first = Both(commits.Next(("mixed.yaml", Mixed(Pod("m1"))), ("pods/p.yaml", Pod("p"))), cache);
        var finding = Assert.Single(first.Diagnostics, d => d.File == "mixed.yaml");

        // The pod after the target changes: the target is the same text at the same place.
        var second = Both(commits.Next(("mixed.yaml", Mixed(Pod("m1", "  security: {runAsUser: 0}")))), cache);
        Assert.True(cache.ReusedGlobals);
        Assert.Contains(second.Diagnostics, d => d.ToString() == finding.ToString());

        // A line above it moves it down: its finding is worked out again, one line lower.
        var third = Both(commits.Next(("mixed.yaml", Mixed(Pod("m1"), "# moved\n"))), cache);
        Assert.False(cache.ReusedGlobals);
        Assert.Equal(finding.Line + 1, Assert.Single(third.Diagnostics, d => d.Code == finding.Code).Line);
    }

    [Fact]
    public void RandomCommits_GiveWhatAValidationFromScratchGives()
    {
        var seed = int.TryParse(Environment.GetEnvironmentVariable("GITORCH_CACHE_SEED"), out var s) ? s : Random.Shared.Next();
        var random = new Random(seed);
        string?[] podVariants(string name) =>
        [
            Pod(name), Pod(name, "  security: {runAsUser: 0}"), Pod(name, "  security: {hostNetwork: true}"),
            Pod(name, labels: "{pin: \"yes\"}"), Pod(name, "  security: {runAsUser: 0}", "{pin: \"yes\"}"),
            Pod(name) + "status: {phase: Running}\n", Pod("dup"), Pod("web-1"), Pod("web-3"), null,
        ];
        var pools = new Dictionary<string, string?[]>(StringComparer.Ordinal)
        {
            ["policy.yaml"] = [Policy("[runAsRoot]"), Policy("[hostNetwork, runAsRoot]"), Policy("[capability:NET_ADMIN]"), null],
            ["loop.yaml"] = [Loop("[\"Pod:status.pinned\"]"), Loop("[\"Pod:spec.containers[*].image\"]"), null],
            ["pd.yaml"] = [Deployment(2), Deployment(4), null],
            ["target.yaml"] = [Target("secrets.target", "[scheduled.target]"), Target("secrets.target", "[nothing.target]"), Target("scheduled.target", "[network.target]"), null],
            // Objects that are not pods beside pods, edited around them: unchanged, moved down a line, or changed.
            ["mixed.yaml"] =
            [
                Target("mixed.target", "[nothing.target]") + "\n---\n" + Pod("m1"),
                Target("mixed.target", "[nothing.target]") + "\n---\n" + Pod("m1", "  security: {runAsUser: 0}"),
                "# moved\n" + Target("mixed.target", "[nothing.target]") + "\n---\n" + Pod("m1"),
                Target("mixed.target", "[scheduled.target]") + "\n---\n" + Pod("m1"),
                Pod("m1") + "\n---\n" + Target("mixed.target", "[nothing.target]"),
                Pod("m1", "  security: {hostNetwork: true}") + "\n---\n" + Target("mixed.target", "[nothing.target]"),
                Deployment(2).Replace("name: web,", "name: mixed,", StringComparison.Ordinal) + "\n---\n" + Pod("m2"),
                Deployment(2).Replace("name: web,", "name: mixed,", StringComparison.Ordinal) + "\n---\n" + Pod("m2", "  security: {runAsUser: 0}"),
                null,
            ],
        };
        for (var i = 0; i < 8; i++)
        {
            pools[$"pods/p{i}.yaml"] = podVariants($"p{i}");
        }

        var commits = new Commits();
        var cache = new ValidationCache();
        try
        {
            for (var commit = 0; commit < 150; commit++)
            {
                var changes = Enumerable.Range(0, random.Next(1, 4))
                    .Select(_ => pools.ElementAt(random.Next(pools.Count)))
                    .Select(p => (p.Key, p.Value[random.Next(p.Value.Length)]))
                    .ToArray();
                IReadOnlyList<FileLoadResult> files = commits.Next(changes);
                var order = random.Next(6);
                if (order == 0 && files.Count > 1)
                {
                    // Given in another order: two files swap places.
                    var swapped = files.ToArray();
                    var (a, b) = (random.Next(swapped.Length), random.Next(swapped.Length));
                    (swapped[a], swapped[b]) = (swapped[b], swapped[a]);
                    files = swapped;
                }
                else if (order == 1 && files.Count > 1)
                {
                    // The same loaded file at two places (one file in place of another).
                    var twice = files.ToArray();
                    twice[random.Next(twice.Length)] = twice[random.Next(twice.Length)];
                    files = twice;
                }

                Both(files, cache);
            }
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            throw new Xunit.Sdk.XunitException($"seed {seed} (replay with GITORCH_CACHE_SEED={seed}): {e.Message}");
        }
    }

    /// <summary>
    /// The files of a commit are compared by position with the last commit's when they come in the
    /// same order; files that change places, a file given twice and a file given in place of
    /// another still give what a validation from scratch gives.
    /// </summary>
    [Fact]
    public void FilesThatChangePlaces_OrComeTwice_GiveWhatAValidationFromScratchGives()
    {
        var cache = new ValidationCache();
        var a = ManifestLoader.LoadFileReleased(new ManifestFile("a.yaml", Pod("a")));
        var b = ManifestLoader.LoadFileReleased(new ManifestFile("b.yaml", Target("b.target", "[scheduled.target]") + "\n---\n" + Pod("b")));
        var c = ManifestLoader.LoadFileReleased(new ManifestFile("c.yaml", Deployment(2)));
        var d = ManifestLoader.LoadFileReleased(new ManifestFile("d.yaml", Pod("web-1")));
        var e = ManifestLoader.LoadFileReleased(new ManifestFile("e.yaml", Pod("e")));

        Both([a, b, c, e], cache);
        Assert.Equal(["web", "b.target"], Both([c, a, e, b], cache).NotPods.Select(o => o.Ref.Name)); // b and c swapped.
        Assert.Equal(["b.target", "web"], Both([b, a, e, c], cache).NotPods.Select(o => o.Ref.Name)); // And the others in pairs.
        var twice = Both([b, b, e, c], cache); // b in place of a: defined twice.
        Assert.Contains(twice.Diagnostics, x => x.Code == DiagnosticCodes.DuplicateObject);
        Assert.Equal(2, twice.NotPods.Count(o => o.Ref.Name == "b.target"));
        var back = Both([b, a, e, c], cache); // And back.
        Assert.DoesNotContain(back.Diagnostics, x => x.Code == DiagnosticCodes.DuplicateObject);
        Assert.Contains(Both([b, a, d, c], cache).Diagnostics, x => x.Code == DiagnosticCodes.GeneratedObjectInGit); // A pod named as a generated one, in e's place.
        Assert.DoesNotContain(Both([b, a, e, c], cache).Diagnostics, x => x.Code == DiagnosticCodes.GeneratedObjectInGit);
        Assert.DoesNotContain(Both([b, e, a, d], cache).Diagnostics, x => x.Code == DiagnosticCodes.GeneratedObjectInGit); // Moved and replaced: the deployment is gone, so web-1 is no longer its.
    }

    /// <summary>
    /// A result answers "does the commit define this object?" from the cache's index while that
    /// index is still at its commit, and from its own objects once a later commit has moved it on.
    /// </summary>
    [Fact]
    public void AResult_SaysWhichObjectsItsCommitDefines_AfterALaterCommitReusedTheCache()
    {
        var cache = new ValidationCache();
        ValidationResult Validate(params string[] names) =>
            ManifestValidator.Validate([.. names.Select(n => ManifestLoader.LoadFileReleased(new ManifestFile($"{n}.yaml", Pod(n))))], cache: cache);
        ObjectRef PodNamed(string name) => new("Pod", "demo", name);

        var first = Validate("a", "b");
        Assert.True(first.Declares(PodNamed("a")));
        Assert.False(first.Declares(PodNamed("c")));

        var second = Validate("b", "c");
        Assert.True(second.Declares(PodNamed("c")));
        Assert.False(second.Declares(PodNamed("a")));
        Assert.True(first.Declares(PodNamed("a")));
        Assert.False(first.Declares(PodNamed("c")));
    }
}

using System.Diagnostics;
using System.Globalization;
using System.Text;
using GitOrch.Agent.Pods;
using GitOrch.Agent.Runtimes;
using GitOrch.Bench;
using GitOrch.Controller;
using GitOrch.Controller.Plans;
using GitOrch.Controller.Reconcile;
using GitOrch.Controller.Source;
using GitOrch.Core.AgentApi;
using GitOrch.Core.Diagnostics;
using GitOrch.Core.Ownership;
using GitOrch.Core.Validation;
using GitOrch.Core.Workflow;
using GitOrch.Git;
using GitOrch.History;
using GitOrch.History.Mirror;
using GitOrch.History.Store;
using GitOrch.Workflow.Execution;
using GitOrch.Workflow.Planning;
using GitOrch.Workflow.Store;
using Microsoft.Extensions.Logging.Abstractions;
using YamlDotNet.RepresentationModel;

CultureInfo.DefaultThreadCurrentCulture = CultureInfo.InvariantCulture;
string[] allCases = ["load", "history", "engine", "restart", "validate", "controller", "ha"];
if (args.Contains("--help") || args.Contains("-h"))
{
    Console.WriteLine($"""
        GitOrch benchmarks (bench/run runs them all and writes docs/benchmarks.md).

          dotnet run -c Release --project bench/GitOrch.Bench -- [--full] [--cases LIST] [--out FILE] [--gitorch PATH] [--ajv PATH]

          --full          the sizes the targets speak of (10,000 objects, 1,000 pods x 100 versions); default: the quick profile
          --cases LIST    only these cases, comma-separated: {string.Join(",", allCases)} (default: all).
                          load = full load, floors, stages and the incremental apply; history = store size and mirror
                          throughput; engine = workflow engine; restart = in-place restart vs delete + create through a
                          controller and an agent; validate = gitorch validate vs ajv-cli; controller = a gitorch
                          controller process following a repo; ha = replicated controllers on etcd against one
                          controller. A subset is printed, never written to --out.
          --out FILE      rewrite the results block of the profile in FILE (docs/benchmarks.md)
          --gitorch PATH  the published gitorch (validate, controller and ha cases)
          --ajv PATH      ajv-cli (validate case)

        Cases that run alone:
          --case history [--pods N] [--versions M]   the store case at any size
          --case generate --objects N --dir D        write a generated test repo
          --case ha --gitorch PATH [--objects N] [--commits C] [--kills K]   replicated controllers on etcd against one controller
        """);
    return 0;
}

var full = args.Contains("--full");
var selected = Arg("--cases")?.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries) ?? allCases;
if (selected.FirstOrDefault(c => !allCases.Contains(c)) is { } unknown)
{
    Console.Error.WriteLine($"unknown case \"{unknown}\"; the cases are {string.Join(", ", allCases)} (see --help)");
    return 2;
}

var outPath = selected.Length == allCases.Length ? Arg("--out") : null;
if (outPath is null && Arg("--out") is not null)
{
    Console.Error.WriteLine("a subset of the cases is printed only: --out is ignored");
}

if (Arg("--case") == "generate")
{
    RepoGenerator.Create(int.Parse(Arg("--objects")!, CultureInfo.InvariantCulture), Arg("--dir")!);
    return 0;
}

if (Arg("--case") == "ha")
{
    var haWork = Path.Combine(Path.GetTempPath(), "gitorch-bench-ha-" + Environment.ProcessId);
    Directory.CreateDirectory(haWork);
    foreach (var row in await HaCase.RunAsync(Arg("--gitorch"), haWork, int.Parse(Arg("--objects") ?? "1000", CultureInfo.InvariantCulture), int.Parse(Arg("--commits") ?? "5", CultureInfo.InvariantCulture), int.Parse(Arg("--kills") ?? "5", CultureInfo.InvariantCulture)))
    {
        Console.WriteLine($"| {row.Item1} | {row.Item2} | {row.Item3} | {row.Item4} |");
    }

    Directory.Delete(haWork, recursive: true);
    return 0;
}

if (Arg("--case") == "history")
{
    var historyWork = Path.Combine(Path.GetTempPath(), "gitorch-bench-history-" + Environment.ProcessId);
    Directory.CreateDirectory(historyWork);
    foreach (var row in await HistoryCase.RunAsync(historyWork, int.Parse(Arg("--pods") ?? "1000", CultureInfo.InvariantCulture), int.Parse(Arg("--versions") ?? "100", CultureInfo.InvariantCulture), 500))
    {
        Console.WriteLine($"| {row.Case} | {row.Measured} | {row.Target} | {row.Verdict} |");
    }

    Directory.Delete(historyWork, recursive: true);
    return 0;
}

var sizes = full
    ? new { Objects = 10_000, Pods = 1_000, Versions = 100, EngineSmall = 1_000, EngineLarge = 10_000, MirrorCommits = 2_000, MemoryObjects = 10_000 }
    : new { Objects = 2_000, Pods = 200, Versions = 30, EngineSmall = 200, EngineLarge = 2_000, MirrorCommits = 500, MemoryObjects = 2_000 };
var work = Path.Combine(Path.GetTempPath(), "gitorch-bench-" + Environment.ProcessId);
Directory.CreateDirectory(work);
var report = new StringBuilder();
var rows = new List<(string Case, string Measured, string Target, string Verdict)>();
Console.WriteLine($"GitOrch benchmarks ({(full ? "full" : "quick")} profile) in {work}");

// 1. Full load: validate + plan of an N-object repo, next to two floors measured in this run.
if (selected.Contains("load"))
{
    var repo = RepoGenerator.Create(sizes.Objects, Path.Combine(work, "repo"));
    var head = RepoGenerator.Git(repo, "rev-parse", "HEAD").Trim();
    await using (var git = new GitRepository(repo))
    {
        var blobs = (await git.ListTreeAsync(head, null, CancellationToken.None)).Where(e => e.Path.EndsWith(".yaml", StringComparison.Ordinal)).ToList();
        var texts = new List<string>();
        foreach (var b in blobs)
        {
            texts.Add((await git.Objects.ReadTextAsync(b.Blob, CancellationToken.None))!);
        }

        // Floors with the same threads as the measured path: the load reads blobs on one thread and
        // parses and validates files on every core, so the parse floor is given both ways. Each
        // round times the floors and the load back to back (after a warm-up round), and the ratio is
        // the median of the rounds' ratios: a noisy moment weighs on both sides of it, never on one.
        var emptyBase = RepoGenerator.Git(repo, "commit-tree", RepoGenerator.Git(repo, "hash-object", "-t", "tree", "/dev/null").Trim(), "-m", "empty").Trim();
        var readTimes = new List<TimeSpan>();
        var parseOneTimes = new List<TimeSpan>();
        var parseAllTimes = new List<TimeSpan>();
        var loadTimes = new List<TimeSpan>();
        var loadRatios = new List<double>();
        for (var round = -1; round < Measure.Runs; round++)
        {
            var readOnce = await Measure.OnceAsync(async () =>
            {
                foreach (var b in blobs)
                {
                    await git.Objects.ReadAsync(b.Blob, CancellationToken.None);
                }
            });
            var one = await Measure.OnceAsync(() =>
            {
                foreach (var text in texts)
                {
                    new YamlStream().Load(new StringReader(text));
                }

                return Task.CompletedTask;
            });
            var all = await Measure.OnceAsync(() =>
            {
                texts.AsParallel().WithDegreeOfParallelism(Environment.ProcessorCount).ForAll(text => new YamlStream().Load(new StringReader(text)));
                return Task.CompletedTask;
            });
            var loadOnce = await Measure.OnceAsync(() => PlanBuilder.BuildAsync(repo, emptyBase, head, null, CancellationToken.None));
            if (round < 0)
            {
                continue; // Warm-up.
            }

            readTimes.Add(readOnce);
            parseOneTimes.Add(one);
            parseAllTimes.Add(all);
            loadTimes.Add(loadOnce);
            // The parse floor is the faster of the ways that use no more threads than the load
            // (ManifestValidator.LoadThreads: every core but one): the best it could do with them.
            loadRatios.Add(loadOnce / (readOnce + (ManifestValidator.LoadThreads >= Environment.ProcessorCount && all < one ? all : one)));
        }

        var readFloor = Stats.Of(readTimes);
        var parseOne = Stats.Of(parseOneTimes);
        var parseAll = Stats.Of(parseAllTimes);
        var load = Stats.Of(loadTimes);
        var loadRatio = Measure.SortedMedian(loadRatios);
        Console.WriteLine($"full load of {sizes.Objects} objects: {load}; read floor {readFloor}; parse floor one thread {parseOne}, {Environment.ProcessorCount} threads {parseAll}; ratios per round {string.Join(", ", loadRatios.Select(r => r.ToString("0.00", CultureInfo.InvariantCulture)))}");
        var threads = ManifestValidator.LoadThreads == 1 ? "one thread" : $"{ManifestValidator.LoadThreads} threads";
        rows.Add(($"Full load (validate + plan) of {sizes.Objects:N0} objects in {blobs.Count:N0} files, files loaded on every core but one ({threads} here)", load.ToString(), "-", "-"));
        rows.Add(("  floor: libgit2 reads the same blobs (one thread, as the load does)", readFloor.ToString(), "-", "-"));
        rows.Add(("  floor: YamlDotNet parses the same bytes, one thread", parseOne.ToString(), "-", "-"));
        rows.Add(($"  floor: YamlDotNet parses the same bytes, all {Environment.ProcessorCount} cores (more threads than the load uses: shown, not used in the ratio)", parseAll.ToString(), "-", "-"));
        rows.Add(($"  ratio full load / (read floor + parse floor with at most the load's threads), each round timed back to back (median; min, max)", string.Create(CultureInfo.InvariantCulture, $"{loadRatio:0.00}× ({loadRatios[0]:0.00}×, {loadRatios[^1]:0.00}×)"), "≤ 3×", loadRatio <= 3 ? "met" : "missed"));
        rows.Add(("  ratio full load / one-thread parse floor (for comparison only)", $"{load.Median / parseOne.Median:0.00}×", "-", "-"));

        // Where the time goes: the stages of the load, each measured alone on the same texts.
        var files = blobs.Select((b, i) => new GitOrch.Core.Loading.ManifestFile(b.Path, texts[i])).ToList();
        var read = await Measure.StatsAsync(Measure.Runs, () =>
        {
            foreach (var f in files)
            {
                GitOrch.Core.Loading.YamlReader.Read(f.Path, f.Text, new List<Diagnostic>());
            }

            return Task.CompletedTask;
        });
        var perFile = await Measure.StatsAsync(Measure.Runs, () =>
        {
            foreach (var f in files)
            {
                GitOrch.Core.Loading.ManifestLoader.LoadFile(f);
            }

            return Task.CompletedTask;
        });
        var loadOnly = await Measure.StatsAsync(Measure.Runs, async () => await PlanBuilder.LoadAsync(git, head, string.Empty, CancellationToken.None));
        Console.WriteLine($"stage: read + load + validate at head (PlanBuilder.LoadAsync) {loadOnly}");
        rows.Add(("  stage: read, load and validate head (no diff)", loadOnly.ToString(), "-", "-"));
        var loaded = files.Select(f => GitOrch.Core.Loading.ManifestLoader.LoadFile(f)).ToList();
        var cross = await Measure.StatsAsync(Measure.Runs, () =>
        {
            GitOrch.Core.Validation.ManifestValidator.Validate(loaded);
            return Task.CompletedTask;
        });
        Console.WriteLine($"stages: yaml tree {read}, per-file load (tree + schema + records) {perFile}, cross-object rules {cross}");
        rows.Add(("  stage: YAML to GitOrch's positioned node tree, one thread", read.ToString(), "-", "-"));
        rows.Add(("  stage: per-file load (tree, JSON Schema, records), one thread", perFile.ToString(), "-", "-"));
        rows.Add(("  stage: cross-object rules over all objects", cross.ToString(), "-", "-"));

        // JSON Schema per object, both ways on the same trees, one thread: the compiled check that
        // decides valid documents now, and JsonSchema.Net's pass/fail evaluation it stands in front of.
        var documents = files.SelectMany(f => GitOrch.Core.Loading.YamlReader.Read(f.Path, f.Text, new List<Diagnostic>()))
            .Select(d => (Kind: ((GitOrch.Core.Loading.ScalarNode)((GitOrch.Core.Loading.MappingNode)d.Root)["kind"]!).Value, Document: d)).ToList();
        var passedFast = documents.Count(d => GitOrch.Core.Schema.SchemaValidator.PassesFastCheck(d.Kind, d.Document));
        long Allocated(Func<(string Kind, GitOrch.Core.Loading.SourceDocument Document), bool> check)
        {
            var before = GC.GetAllocatedBytesForCurrentThread();
            foreach (var d in documents)
            {
                check(d);
            }

            return GC.GetAllocatedBytesForCurrentThread() - before;
        }

        var fastCheck = await Measure.StatsAsync(Measure.Runs, () => { Allocated(d => GitOrch.Core.Schema.SchemaValidator.PassesFastCheck(d.Kind, d.Document)); return Task.CompletedTask; });
        var library = await Measure.StatsAsync(Measure.Runs, () => { Allocated(d => GitOrch.Core.Schema.SchemaValidator.LibraryPasses(d.Kind, d.Document)); return Task.CompletedTask; });
        var (fastBytes, libraryBytes) = (Allocated(d => GitOrch.Core.Schema.SchemaValidator.PassesFastCheck(d.Kind, d.Document)), Allocated(d => GitOrch.Core.Schema.SchemaValidator.LibraryPasses(d.Kind, d.Document)));
        Console.WriteLine($"JSON Schema of {documents.Count} objects: compiled check {fastCheck} ({fastBytes} bytes allocated, {passedFast} passed), JsonSchema.Net pass/fail {library} ({libraryBytes} bytes)");
        rows.Add(($"  stage: JSON Schema, the compiled check on the YAML trees ({passedFast:N0} of {documents.Count:N0} objects shown valid by it), one thread", string.Create(CultureInfo.InvariantCulture, $"{fastCheck}; {fastBytes / 1024.0:N0} KB allocated"), "-", "-"));
        rows.Add(("  stage: JSON Schema, JsonSchema.Net's pass/fail evaluation of the same objects (what each object cost before the check)", string.Create(CultureInfo.InvariantCulture, $"{library}; {libraryBytes / 1024.0 / 1024:N0} MB allocated"), "-", "-"));

        // 2. Incremental: a one-file commit through the reconciler, as a ratio of the full load.
        var state = Path.Combine(work, "state-incremental");
        var options = new ControllerOptions { Repo = repo, StateDir = state };
        await using var source = await ConfigSource.OpenAsync(options, CancellationToken.None);
        using var store = HistoryStore.Open(state);
        var snapshots = new GitOrch.Controller.Snapshots.ConfigSnapshotProvider();
        var reconciler = new Reconciler(source, store, new ObjectWriter(store, snapshots), snapshots, TimeProvider.System, NullLogger<Reconciler>.Instance);
        var watch = Stopwatch.StartNew();
        await reconciler.SyncAsync(CancellationToken.None);
        var firstApply = watch.Elapsed;
        // The commit is the user's work: make it outside the clock, time only the apply. Each round
        // times a full load and a one-file apply back to back, so each ratio compares one moment.
        var rounds = new List<TimeSpan>();
        var ratios = new List<double>();
        for (var round = 1; round <= Measure.Runs + 1; round++)
        {
            RepoGenerator.ChangeOneFile(repo, round);
            var now = RepoGenerator.Git(repo, "rev-parse", "HEAD").Trim();
            // Each from a collected heap, as the load case's runs: neither pays for the other's garbage.
            var fullNow = await Measure.OnceAsync(() => PlanBuilder.BuildAsync(repo, emptyBase, now, null, CancellationToken.None));
            IReadOnlyList<ApplyOutcome> outcomes = [];
            var applyNow = await Measure.OnceAsync(async () => outcomes = await reconciler.SyncAsync(CancellationToken.None));
            if (outcomes.Count != 1 || !outcomes[0].Applied || outcomes[0].Changed.Count != 1)
            {
                throw new InvalidOperationException("the incremental commit did not apply as one changed object");
            }

            if (round > 1) // the first round warms up
            {
                rounds.Add(applyNow);
                ratios.Add(fullNow / applyNow);
            }
        }

        var incremental = Stats.Of(rounds);
        var ratio = Measure.SortedMedian(ratios);
        Console.WriteLine($"incremental one-file commit: {incremental} (first apply {Measure.Ms(firstApply)}); same-moment ratios 1/{ratios[0]:0} .. 1/{ratios[^1]:0}");
        rows.Add(("Incremental: apply a one-file commit (read, validate, version)", incremental.ToString(), "-", "-"));
        rows.Add(("  ratio incremental / full load, each pair timed back to back (median; min, max)", $"1/{ratio:0} (1/{ratios[0]:0}, 1/{ratios[^1]:0})", "≤ 1/100", ratio >= 100 ? "met" : "missed"));
        rows.Add(("  first apply of the whole repo (every object versioned, durable)", Measure.Ms(firstApply), "-", "-"));
    }
}

// 3. History size: pods × versions, store and packed mirror vs full copies; 4. mirror throughput.
if (selected.Contains("history"))
{
    rows.AddRange(await HistoryCase.RunAsync(work, sizes.Pods, sizes.Versions, sizes.MirrorCommits));
}

// 5. Workflow engine: plan and run N pods' graphs with no-op loops.
if (selected.Contains("engine"))
{
    async Task<(TimeSpan Time, long Steps)> RunEngine(int pods, int run)
    {
        var dir = Path.Combine(work, $"engine-{pods}-{run}");
        Directory.CreateDirectory(dir);
        using var store = new WorkflowStore(Path.Combine(dir, "state.db"));
        await using var engine = new WorkflowEngine(store, new NoOpRunner(), TimeProvider.System, new EngineOptions { Concurrency = 16, FlushInterval = TimeSpan.FromMilliseconds(200) });
        var planner = new TransactionPlanner(BuiltInLoops.All, BuiltInTargets.All);
        var pod = new GitOrch.Core.Manifests.Pod
        {
            ApiVersion = "gitorch.dev/v1",
            Kind = "Pod",
            Metadata = new GitOrch.Core.Manifests.ObjectMeta { Name = "p", Namespace = "bench" },
            Spec = new GitOrch.Core.Manifests.PodSpec { Containers = [new GitOrch.Core.Manifests.Container { Name = "main", Command = ["true"] }] },
        };
        var watch = Stopwatch.StartNew();
        for (var i = 0; i < pods; i++)
        {
            engine.Start(new ObjectRef("Pod", "bench", $"p-{i}"), null, planner.Plan(pod));
        }

        await engine.WhenIdleAsync(CancellationToken.None);
        store.Flush();
        return (watch.Elapsed, engine.StepsRun);
    }

    // Both sizes alternate, each on a fresh store; the first pair warms up.
    var smallTimes = new List<TimeSpan>();
    var largeTimes = new List<TimeSpan>();
    long steps = 0;
    for (var run = 0; run <= Measure.Runs; run++)
    {
        var small = await RunEngine(sizes.EngineSmall, run);
        var large = await RunEngine(sizes.EngineLarge, run);
        steps = large.Steps;
        if (run > 0)
        {
            smallTimes.Add(small.Time);
            largeTimes.Add(large.Time);
        }
    }

    var smallStats = Stats.Of(smallTimes);
    var largeStats = Stats.Of(largeTimes);
    var scale = largeStats.Median / smallStats.Median;
    Console.WriteLine($"engine: {sizes.EngineSmall} pods {smallStats}, {sizes.EngineLarge} pods {largeStats}");
    rows.Add(($"Workflow engine: {sizes.EngineLarge:N0} pods' graphs, no-op loops ({steps:N0} steps)", largeStats.ToString(), "-", "-"));
    rows.Add(($"  the same with {sizes.EngineSmall:N0} pods", smallStats.ToString(), "-", "-"));
    rows.Add(("  cost per step", $"{largeStats.Median.TotalMilliseconds * 1000 / steps:0} µs", "-", "-"));
    var linear = sizes.EngineLarge / sizes.EngineSmall;
    rows.Add(($"  ratio {sizes.EngineLarge:N0} / {sizes.EngineSmall:N0} pods, medians (linear is {linear})", $"{scale:0.0}", $"≤ {linear * 1.2:0} (at most 20% worse than linear)", scale <= linear * 1.2 ? "met" : "missed"));
}

// 6. In-place restart vs delete + create, both through a real controller and a real node agent.
if (selected.Contains("restart"))
{
    // An oci pod (what restarting in place keeps: its sandbox, network namespace and address), then
    // a process pod (no sandbox: both paths are the same workflow and agent round trip).
    if (RestartCase.OciUnavailable() is { } why)
    {
        rows.Add(("In-place restart of an oci pod", $"not run: {why}", "≤ 0.5", "-"));
    }
    else
    {
        rows.AddRange(await RestartCase.RunAsync(Path.Combine(work, "restart-oci"), Measure.Runs, "oci"));
    }

    rows.AddRange(await RestartCase.RunAsync(Path.Combine(work, "restart"), Measure.Runs, "process"));
}

// 7. Processes: `gitorch validate` against ajv-cli, and a real `gitorch controller` following the repo.
if (selected.Contains("validate"))
{
    rows.AddRange(ProcessCases.ValidateVsAjv(Arg("--gitorch"), Arg("--ajv"), Path.Combine(work, "ajv"), sizes.Objects));
}

if (selected.Contains("controller"))
{
    rows.AddRange(await ProcessCases.ControllerAsync(Arg("--gitorch"), work, sizes.MemoryObjects, 5));
}

// 8. The replicated control plane (3 etcd members, 3 replicas) against the embedded store, and takeover after kill -9.
if (selected.Contains("ha"))
{
    rows.AddRange(await HaCase.RunAsync(Arg("--gitorch"), Path.Combine(work, "ha"), full ? 1_000 : 200, 5, 5));
}

report.Append("| Case | Measured | Target | |\n|---|---|---|---|\n");
foreach (var (name, measured, target, verdict) in rows)
{
    report.Append($"| {name} | {measured} | {target} | {verdict} |\n");
}

var machine = $"{Environment.ProcessorCount} cores, {GC.GetGCMemoryInfo().TotalAvailableMemoryBytes / (1 << 30)} GiB, {System.Runtime.InteropServices.RuntimeInformation.OSDescription}, .NET {Environment.Version}";
var table = $"Profile **{(full ? "full" : "quick")}**{(selected.Length == allCases.Length ? string.Empty : $" (cases {string.Join(", ", selected)})")}, measured {DateTimeOffset.UtcNow:yyyy-MM-dd HH:mm} UTC on {machine}.\n\n{report}";
Console.WriteLine(table);
if (outPath is not null)
{
    var doc = File.Exists(outPath) ? File.ReadAllText(outPath) : string.Empty;
    var profile = full ? "full" : "quick";
    var Begin = $"<!-- bench:results:{profile} -->";
    var End = $"<!-- /bench:results:{profile} -->";
    var block = $"{Begin}\n{table}{End}";
    doc = doc.Contains(Begin, StringComparison.Ordinal)
        ? doc[..doc.IndexOf(Begin, StringComparison.Ordinal)] + block + doc[(doc.IndexOf(End, StringComparison.Ordinal) + End.Length)..]
        : doc + "\n" + block + "\n";
    File.WriteAllText(outPath, doc);
    Console.WriteLine($"wrote {outPath}");
}

Directory.Delete(work, recursive: true);
return 0;

string? Arg(string name) => args.SkipWhile(a => a != name).Skip(1).FirstOrDefault();

/// <summary>A loop that does nothing: the engine's own cost per step.</summary>
internal sealed class NoOpRunner : IStepRunner
{
    public ValueTask<StepOutcome> RunAsync(StepInvocation invocation, CancellationToken ct) => ValueTask.FromResult(StepOutcome.Done("no-op"));
}

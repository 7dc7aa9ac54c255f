using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using GitOrch.Core.Diagnostics;
using GitOrch.Core.Loading;
using GitOrch.Core.Manifests;
using GitOrch.Core.Ownership;

namespace GitOrch.Core.Validation;

/// <summary>
/// What one validation keeps for the next, so that validating a commit costs what it changed.
/// An unchanged file is the same <see cref="FileLoadResult"/> instance (the controller keeps loaded
/// files by blob), which gives two things:
/// <list type="bullet">
/// <item>The rules of one object (its limits, pod specs, security requests and loop-owned fields)
/// read the object and the commit's ClusterPolicy and ControlLoops, nothing else. While those are
/// the same too, an unchanged file's findings still hold and are not worked out again. A change to
/// the ClusterPolicy or to any ControlLoop starts over; a ClusterPolicy or ControlLoop in a changed
/// file whose own text and place did not change is the same (see <see cref="LoadedObject.SameTextAs"/>).</item>
/// <item>Which objects the commit defines, and how often (duplicates, generated pods defined in
/// Git), is kept as counts and updated with the files that came and went.</item>
/// </list>
/// One validation at a time.
/// </summary>
public sealed class ValidationCache
{
    // By instance, pruned to the files of the last commit each time the counts are brought up to
    // date (a weak table cost about half a microsecond a lookup, three lookups per file per commit).
    private readonly Dictionary<FileLoadResult, FileEntry> _entries = new(ReferenceEqualityComparer.Instance);
    private readonly RefIndex _refs = new();
    private HashSet<FileLoadResult> _files = new(ReferenceEqualityComparer.Instance);

    // The last commit's files in the order given, their entries by position, and their objects that
    // are not pods: a commit given in the same order is compared position by position, so that a
    // one-file commit does not look every file up by instance.
    private FileLoadResult[] _last = [];
    private FileEntry[] _lastEntries = [];
    private IReadOnlyList<LoadedObject>? _lastNotPods;
    private LoadedObject[] _inputs = [];
    private int _generation;
    private bool _recount;
    private Globals? _globals;

    /// <summary>Objects whose own rules the last validation ran.</summary>
    public int Checked { get; private set; }

    /// <summary>Objects whose own rules' findings the last validation took from the cache.</summary>
    public int Reused { get; private set; }

    /// <summary>Positions compared one by one at most; past this many changed files a commit is brought up to date by instance.</summary>
    internal const int MaxChangedPositions = 64;

    /// <summary>
    /// Brings the cache to <paramref name="files"/>: the objects that are not pods (in file order)
    /// and how often each object is defined. When the files come in the order of last time with a
    /// few positions changed, only those positions are read; otherwise every file is looked up.
    /// </summary>
    internal (IReadOnlyList<LoadedObject> NotPods, RefIndex Refs) Update(IReadOnlyList<FileLoadResult> files)
    {
        if (UpdateByPosition(files) is { } notPods)
        {
            return (notPods, _refs);
        }

        var all = NotPods(files);
        var refs = Refs(files);
        _last = [.. files];
        _lastEntries = new FileEntry[_last.Length];
        for (var i = 0; i < _last.Length; i++)
        {
            _lastEntries[i] = Entry(_last[i]);
        }

        _lastNotPods = all;
        return (all, refs);
    }

    /// <summary>
    /// The not-pods after bringing the counts up to date from the positions that changed since the
    /// last commit, or null (nothing done) when the files are not the last commit's with at most
    /// <see cref="MaxChangedPositions"/> positions changed, or a file would be there twice.
    /// </summary>
    private IReadOnlyList<LoadedObject>? UpdateByPosition(IReadOnlyList<FileLoadResult> files)
    {
        if (_recount || _lastNotPods is null || files.Count != _last.Length)
        {
            return null;
        }

        var changed = new List<int>();
        for (var i = 0; i < files.Count; i++)
        {
            if (!ReferenceEquals(files[i], _last[i]))
            {
                if (changed.Count == MaxChangedPositions)
                {
                    return null;
                }

                changed.Add(i);
            }
        }

        var olds = new HashSet<FileLoadResult>(ReferenceEqualityComparer.Instance);
        var news = new HashSet<FileLoadResult>(ReferenceEqualityComparer.Instance);
        foreach (var i in changed)
        {
            olds.Add(_last[i]); // Distinct: the last commit had no file twice (else it is counted again).
            if (!news.Add(files[i]))
            {
                return null; // The same file at two changed positions.
            }
        }

        foreach (var file in news)
        {
            if (!olds.Contains(file) && _files.Contains(file))
            {
                return null; // Also at a position that did not change: the same file twice.
            }
        }

        var notPodsMoved = false;
        foreach (var gone in olds.Where(f => !news.Contains(f)))
        {
            var entry = Entry(gone);
            notPodsMoved |= entry.NotPods.Length > 0;
            _refs.Remove(entry.Refs);
            _entries.Remove(gone);
            _files.Remove(gone);
        }

        foreach (var came in news.Where(f => !olds.Contains(f)))
        {
            var entry = Entry(came);
            notPodsMoved |= entry.NotPods.Length > 0;
            _refs.Add(entry.Refs);
            _files.Add(came);
        }

        foreach (var i in changed)
        {
            _last[i] = files[i];
            _lastEntries[i] = Entry(files[i]);
        }

        // A file that moved to another position moves its not-pods too.
        notPodsMoved |= changed.Any(i => _lastEntries[i].NotPods.Length > 0);
        if (notPodsMoved)
        {
            var all = new List<LoadedObject>();
            foreach (var entry in _lastEntries)
            {
                all.AddRange(entry.NotPods);
            }

            _lastNotPods = all;
        }

        return _lastNotPods;
    }

    /// <summary>Brings the object counts to <paramref name="files"/> (only the files that came or went are read).</summary>
    private RefIndex Refs(IReadOnlyList<FileLoadResult> files)
    {
        var now = new HashSet<FileLoadResult>(files, ReferenceEqualityComparer.Instance);
        if (now.Count != files.Count || _recount)
        {
            // The same loaded file twice (or after that): count from scratch. Counts by the set of
            // files would miss the second instance, so the next validation counts from scratch too.
            _refs.Clear();
            foreach (var file in files)
            {
                _refs.Add(RefsOf(file));
            }

            _recount = now.Count != files.Count;
            _files = now;
            foreach (var stale in _entries.Keys.Where(f => !now.Contains(f)).ToList())
            {
                _entries.Remove(stale);
            }

            return _refs;
        }

        foreach (var gone in _files.Where(f => !now.Contains(f)))
        {
            _refs.Remove(RefsOf(gone));
            _entries.Remove(gone);
        }

        foreach (var came in files.Where(f => !_files.Contains(f)))
        {
            _refs.Add(RefsOf(came));
        }

        _files = now;
        return _refs;
    }

    /// <summary>Starts the rules of each object: findings made under another ClusterPolicy or other ControlLoops no longer count.</summary>
    internal void Begin(IEnumerable<LoadedObject> inputs)
    {
        var current = inputs.ToArray();
        if (!current.SequenceEqual(_inputs, SameText.Instance))
        {
            _generation++;
        }

        _inputs = current;

        Reused = 0;
        Checked = 0;
    }

    /// <summary>
    /// The findings of a file's objects, if worked out under the current ClusterPolicy and
    /// ControlLoops; <paramref name="position"/> is the file's place in the list given to <see cref="Update"/>.
    /// </summary>
    internal bool TryGet(int position, FileLoadResult file, out Findings findings)
    {
        var entry = position < _last.Length && ReferenceEquals(_last[position], file)
            ? _lastEntries[position]
            : _entries.GetValueOrDefault(file);
        if (entry is { Findings: { } known } && entry.Generation == _generation)
        {
            Reused += file.Objects.Count;
            findings = known;
            return true;
        }

        findings = Findings.None;
        return false;
    }

    internal void Add(FileLoadResult file, Findings findings)
    {
        Checked += file.Objects.Count;
        var entry = Entry(file);
        entry.Findings = findings;
        entry.Generation = _generation;
    }

    /// <summary>
    /// What the policy, loop and workflow rules found for these objects that are not pods, if they
    /// are the objects of last time. An object of a changed file counts as the same when its text
    /// and place are (see <see cref="LoadedObject.SameTextAs"/>): a commit that changes a pod in a
    /// file that also holds a PinnedDeployment or a Target does not check them all again.
    /// </summary>
    internal Globals? GlobalsFor(IReadOnlyList<LoadedObject> notPods)
    {
        ReusedGlobals = _globals is { } known && known.NotPods.SequenceEqual(notPods, SameText.Instance);
        if (!ReusedGlobals)
        {
            return null;
        }

        var reused = _globals!;
        _globals = reused with { NotPods = [.. notPods] }; // Later commits compare with these instances.
        return reused;
    }

    /// <summary>Whether the last validation took the policy, loop and workflow findings from the cache.</summary>
    public bool ReusedGlobals { get; private set; }

    internal void Keep(Globals globals) => _globals = globals;

    /// <summary>The objects of <paramref name="files"/> that are not pods, in file order (kept per file).</summary>
    private List<LoadedObject> NotPods(IReadOnlyList<FileLoadResult> files)
    {
        var all = new List<LoadedObject>();
        foreach (var file in files)
        {
            all.AddRange(Entry(file).NotPods);
        }

        return all;
    }

    private ObjectRef[] RefsOf(FileLoadResult file) => Entry(file).Refs;

    /// <summary>Objects compared as <see cref="LoadedObject.SameTextAs"/> does.</summary>
    private sealed class SameText : IEqualityComparer<LoadedObject>
    {
        public static readonly SameText Instance = new();

        public bool Equals(LoadedObject? x, LoadedObject? y) => ReferenceEquals(x, y) || x is not null && y is not null && x.SameTextAs(y);

        public int GetHashCode(LoadedObject obj) => obj.Ref.GetHashCode();
    }

    private FileEntry Entry(FileLoadResult file)
    {
        ref var entry = ref CollectionsMarshal.GetValueRefOrAddDefault(_entries, file, out _);
        return entry ??= new FileEntry([.. file.Objects.Select(o => o.Ref)], [.. file.Objects.Where(o => o.Object.Kind != Kinds.Pod)]);
    }

    private sealed class FileEntry(ObjectRef[] refs, LoadedObject[] notPods)
    {
        public ObjectRef[] Refs { get; } = refs;

        public LoadedObject[] NotPods { get; } = notPods;

        public Findings? Findings { get; set; }

        public int Generation { get; set; }
    }

    /// <summary>
    /// The findings of the rules that read only the objects that are not pods (the ClusterPolicy,
    /// ControlLoops, Targets, PinnedDeployments): the policy's own checks, the loop registry and its
    /// checks, the workflow graph's checks and the targets, with the exceptions the policy's checks
    /// mark as used, and the pods the PinnedDeployments generate.
    /// </summary>
    internal sealed record Globals(
        LoadedObject[] NotPods,
        LoopDeclaration[] Loops,
        Diagnostic[] Policy,
        (int Exception, int Allow)[] UsedByPolicy,
        Diagnostic[] Workflow,
        IReadOnlyList<Workflow.UnitDeclaration> Targets,
        IReadOnlyDictionary<ObjectRef, string> GeneratedPods);

    /// <summary>The diagnostics of a file's objects and the ClusterPolicy exceptions they used.</summary>
    internal sealed record Findings(Diagnostic[] Diagnostics, (int Exception, int Allow)[] UsedExceptions)
    {
        /// <summary>Nothing found and no exception used: most files, sharing one instance.</summary>
        public static readonly Findings None = new([], []);
    }
}

/// <summary>How many times a commit defines each object, and which objects it defines more than once.</summary>
internal sealed class RefIndex
{
    private readonly Dictionary<ObjectRef, int> _counts = [];
    private readonly HashSet<ObjectRef> _duplicated = [];

    /// <summary>Objects defined more than once.</summary>
    public IReadOnlySet<ObjectRef> Duplicated => _duplicated;

    /// <summary>Counts every change (a cache brings its one index up to each commit in turn).</summary>
    public int Generation { get; private set; }

    public bool Contains(ObjectRef obj) => _counts.ContainsKey(obj);

    /// <summary>Counts every object of <paramref name="objects"/> (a commit validated without a cache).</summary>
    public static RefIndex Of(IEnumerable<LoadedObject> objects)
    {
        var index = new RefIndex();
        foreach (var obj in objects)
        {
            index.Add(obj.Ref);
        }

        return index;
    }

    public void Add(ObjectRef[] refs)
    {
        Generation++;
        foreach (var obj in refs)
        {
            Add(obj);
        }
    }

    public void Remove(ObjectRef[] refs)
    {
        Generation++;
        foreach (var obj in refs)
        {
            var count = _counts[obj] - 1;
            if (count == 0)
            {
                _counts.Remove(obj);
            }
            else
            {
                _counts[obj] = count;
            }

            if (count <= 1)
            {
                _duplicated.Remove(obj);
            }
        }
    }

    public void Clear()
    {
        Generation++;
        _counts.Clear();
        _duplicated.Clear();
    }

    private void Add(ObjectRef obj)
    {
        ref var count = ref CollectionsMarshal.GetValueRefOrAddDefault(_counts, obj, out _);
        if (++count > 1)
        {
            _duplicated.Add(obj);
        }
    }
}

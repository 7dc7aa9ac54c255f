using System.Runtime.CompilerServices;
using GitOrch.Core.Diagnostics;
using GitOrch.Core.Loading;
using GitOrch.Core.Manifests;

namespace GitOrch.Core.Validation;

/// <summary>
/// What the rules of one object found (its limits, pod specs, security requests and loop-owned
/// fields), kept between the validations of successive commits. Those rules read the object and
/// the commit's ClusterPolicy and ControlLoops, nothing else. An object whose file did not change
/// is the same <see cref="LoadedObject"/> instance (the controller keeps loaded files by blob), so
/// while the ClusterPolicy and ControlLoops are the same instances too, its findings are still
/// true and are not worked out again: a one-file commit checks only its own objects. A change to
/// the ClusterPolicy or to any ControlLoop starts over. One validation at a time.
/// </summary>
public sealed class ObjectRuleCache
{
    private ConditionalWeakTable<LoadedObject, Findings> _findings = [];
    private LoadedObject[] _inputs = [];

    /// <summary>Objects whose findings the last validation took from the cache.</summary>
    public int Reused { get; private set; }

    /// <summary>Objects the last validation checked.</summary>
    public int Checked { get; private set; }

    /// <summary>Starts a validation: findings made under another ClusterPolicy or other ControlLoops are dropped.</summary>
    internal void Begin(IReadOnlyList<LoadedObject> objects)
    {
        var inputs = objects.Where(o => o.Object.Kind is Kinds.ClusterPolicy or Kinds.ControlLoop).ToArray();
        if (!inputs.SequenceEqual(_inputs, ReferenceEqualityComparer.Instance))
        {
            _findings = [];
            _inputs = inputs;
        }

        Reused = 0;
        Checked = 0;
    }

    internal bool TryGet(LoadedObject obj, out Findings findings)
    {
        if (_findings.TryGetValue(obj, out findings!))
        {
            Reused++;
            return true;
        }

        return false;
    }

    internal void Add(LoadedObject obj, Findings findings)
    {
        Checked++;
        _findings.AddOrUpdate(obj, findings);
    }

    /// <summary>One object's diagnostics and the ClusterPolicy exceptions it used.</summary>
    internal sealed record Findings(Diagnostic[] Diagnostics, (int Exception, int Allow)[] UsedExceptions)
    {
        /// <summary>Nothing found and no exception used: most objects, sharing one instance.</summary>
        public static readonly Findings None = new([], []);
    }
}

using GitOrch.Core.Admission;
using GitOrch.Core.Validation;
using GitOrch.History.Store;
using Microsoft.Extensions.Primitives;

namespace GitOrch.Controller.Snapshots;

/// <summary>
/// Publishes <see cref="ConfigSnapshot"/>s (like YARP's IProxyConfigProvider): the reconciler
/// publishes after each applied commit; everyone else reads <see cref="Current"/>.
/// </summary>
public sealed class ConfigSnapshotProvider : IAdmissionPolicySource
{
    private readonly Lock _gate = new();
    private CancellationTokenSource _changed = new();
    private ConfigSnapshot _current;

    public ConfigSnapshotProvider() => _current = new ConfigSnapshot(null, null, new CancellationChangeToken(_changed.Token));

    public ConfigSnapshot Current => Volatile.Read(ref _current);

    AdmissionPolicy IAdmissionPolicySource.Policy => Current.Admission;

    public void Publish(string? commit, ValidationResult? result)
    {
        CancellationTokenSource previous;
        lock (_gate)
        {
            previous = _changed;
            _changed = new CancellationTokenSource();
            Volatile.Write(ref _current, new ConfigSnapshot(commit, result, new CancellationChangeToken(_changed.Token)));
        }

        previous.Cancel(); // Not disposed: a reader may still register on its token.
    }
}

using System.Globalization;

namespace GitOrch.Controller.Ui;

/// <summary>
/// A fingerprint of what the web view shows: the newest commit processed, the newest version
/// batch, workflow steps run, and node conditions. When it moves, pages refresh (server-sent
/// events). It is computed at most once per <see cref="Interval"/>, whatever the number of
/// browsers watching.
/// </summary>
internal sealed class UiChangeFeed(ControllerService controller, TimeProvider time)
{
    public static readonly TimeSpan Interval = TimeSpan.FromMilliseconds(500);

    private readonly Lock _gate = new();
    private long _lastBatch;
    private string _fingerprint = string.Empty;
    private DateTimeOffset _computedAt = DateTimeOffset.MinValue;

    public string Current
    {
        get
        {
            lock (_gate)
            {
                var now = time.GetUtcNow();
                if (now - _computedAt < Interval && _fingerprint.Length > 0)
                {
                    return _fingerprint;
                }

                for (var batches = controller.Store.BatchesAfter(_lastBatch); batches.Count > 0; batches = controller.Store.BatchesAfter(_lastBatch))
                {
                    _lastBatch = batches[^1].Id;
                }

                var commit = controller.Store.Commits(1).FirstOrDefault();
                var nodes = string.Join(',', controller.Nodes.All.Select(n => n.Name + "=" + (controller.Nodes.Condition(n.Name) ?? (controller.Agents.LastSeen(n.Name) is null ? "new" : "ready"))));
                _fingerprint = string.Create(CultureInfo.InvariantCulture,
                    $"{commit?.Sha}:{commit?.State}|{_lastBatch}|{controller.Workflows.Engine.StepsRun}:{controller.Workflows.Engine.ActiveCount}|{nodes}|{controller.Status.LastError}");
                _computedAt = now;
                return _fingerprint;
            }
        }
    }
}

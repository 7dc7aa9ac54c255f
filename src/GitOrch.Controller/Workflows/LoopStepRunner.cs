using System.Globalization;
using System.Text.Json.Nodes;
using GitOrch.Controller.Loops;
using GitOrch.Core.Diagnostics;
using GitOrch.Core.Manifests;
using GitOrch.Core.Ownership;
using GitOrch.Core.Validation;
using GitOrch.History.Store;
using GitOrch.Workflow.Execution;
using GitOrch.Workflow.Loops;

namespace GitOrch.Controller.Workflows;

/// <summary>
/// Runs a step: reads the object as it is now (level-based), calls its loop (built-in, exec or
/// http) with only the fields the loop may see, and writes the answer through the admission gate
/// as a mechanical version in one store transaction. A refused write fails the step with the
/// gate's positioned diagnostic (so <c>gitorch why</c> shows it).
/// </summary>
public sealed class LoopStepRunner(HistoryStore store, IObjectWriter writer, IReadOnlyDictionary<string, IBuiltInLoop> builtIns, Snapshots.ConfigSnapshotProvider snapshots) : IStepRunner
{
    /// <summary>The longest "not yet" a loop's answer gets (a day): a longer one, or one beyond what a timer or a time can hold, waits a day.</summary>
    internal const double MaxRequeueSeconds = 86_400;

    public async ValueTask<StepOutcome> RunAsync(StepInvocation invocation, CancellationToken ct)
    {
        var obj = invocation.Transaction.Object;
        var snapshot = snapshots.Current;
        var registry = snapshot.Loops;
        var loop = registry.FirstOrDefault(l => l.Name == invocation.Unit.Owner);
        if (loop is null)
        {
            return StepOutcome.Failed($"control loop {invocation.Unit.Owner} is no longer registered (its ControlLoop was removed from Git)");
        }

        var stored = store.Get(obj);
        if (stored is null || stored.Deleted)
        {
            return StepOutcome.Done($"{obj.Display} no longer exists; nothing to do");
        }

        var current = GitOrch.Core.Manifests.ManifestJson.Parse(stored.ObjectJson);
        LoopAnswer answer;
        try
        {
            answer = loop.IsBuiltIn
                ? await builtIns[loop.Name].RunAsync(new BuiltInStep(obj, current, snapshot.Result, invocation), ct)
                : await CallAsync(loop, obj, current, invocation, ct);
        }
        catch (LoopCallException ex)
        {
            return StepOutcome.Failed(ex.Message);
        }

        // Whether the loop owns what it sets is admission's to judge (below), on the real difference.
        var changes = new List<(string Path, IReadOnlyList<object> Segments, JsonNode? Value)>();
        foreach (var (path, value) in answer.Set)
        {
            var segments = FieldAccess.Parse(path);
            if (segments is null)
            {
                return StepOutcome.Failed($"answered with set \"{path}\", which is not a field path (for example status.volumes or status.volumes[0].ready)");
            }

            changes.Add((path, segments, value));
        }

        var message = answer.Message ?? (changes.Count == 0 ? "done" : $"set {string.Join(", ", changes.Select(c => c.Path))}");
        if (changes.Count > 0)
        {
            var commit = invocation.Transaction.Commit;
            var written = writer.Update(obj, loop.Name, commit, $"{loop.Name}: {message}", target =>
            {
                var changed = new List<string>();
                foreach (var (path, segments, value) in changes)
                {
                    if (FieldAccess.Set(target, segments, value))
                    {
                        changed.Add(path);
                    }
                }

                return changed;
            });
            if (written.IsRefused)
            {
                return StepOutcome.Failed($"admission refused the answer: {written.Describe()}");
            }
        }

        return answer.RequeueAfterSeconds is { } seconds
            ? StepOutcome.Requeue(TimeSpan.FromSeconds(Math.Clamp(seconds, 0.05, MaxRequeueSeconds)), message)
            : StepOutcome.Done(message);
    }

    private static async Task<LoopAnswer> CallAsync(LoopDeclaration loop, ObjectRef obj, JsonObject current, StepInvocation invocation, CancellationToken ct)
    {
        var input = FieldAccess.Project(current, obj.Kind, loop.Reads.Concat(loop.Owns)).Write();
        var spec = ((Core.Manifests.ControlLoop)loop.Source!.Object).Spec;
        string output;
        if (spec.Exec is { } exec)
        {
            var env = new Dictionary<string, string>(exec.Env ?? new Dictionary<string, string>())
            {
                ["GITORCH_OBJECT"] = obj.Key,
                ["GITORCH_STEP"] = loop.Name,
                ["GITORCH_COMMIT"] = invocation.Transaction.Commit ?? string.Empty,
                ["GITORCH_ATTEMPT"] = invocation.Attempt.ToString(CultureInfo.InvariantCulture),
            };
            // stderr lines become the step's log lines; the last one is also the message of a failure.
            string? lastError = null;
            var logged = new StepInvocation(invocation.Transaction, invocation.Unit, invocation.Attempt, (level, line) =>
            {
                if (!string.IsNullOrWhiteSpace(line))
                {
                    lastError = line.Trim();
                }

                invocation.Log(level, line);
            });
            var (exit, stdout) = await ExecLoop.RunAsync(exec.Command, env, input, logged, ExecSandbox.From(spec.Security), ct);
            var parsed = LoopAnswer.TryParse(stdout, out var parseError);
            if (exit != 0)
            {
                var why = lastError ?? parsed?.Message;
                throw new LoopCallException($"{exec.Command[0]} exited with code {exit}{(why is null ? string.Empty : ": " + why)}");
            }

            return parsed ?? throw new LoopCallException($"{exec.Command[0]} {parseError}");
        }

        output = await HttpLoop.PostAsync(spec.Http!.Url, spec.Http.Headers ?? new Dictionary<string, string>(), input, ct);
        return LoopAnswer.TryParse(output, out var error) ?? throw new LoopCallException($"{spec.Http.Url} {error}");
    }
}

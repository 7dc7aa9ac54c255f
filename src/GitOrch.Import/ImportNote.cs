namespace GitOrch.Import;

/// <summary>What happened to one setting or object of the Kubernetes input.</summary>
public enum NoteKind
{
    /// <summary>Asks only for what GitOrch enforces anyway (runAsNonRoot, seccomp RuntimeDefault, drop ALL, …): nothing to write.</summary>
    Absorbed,

    /// <summary>No GitOrch counterpart, and leaving it out weakens nothing (probes, affinity, …): left out, said so.</summary>
    Ignored,

    /// <summary>Carried over in another form, said so (an image without a tag gets <c>:latest</c>, a name is made a DNS label, …).</summary>
    Adjusted,

    /// <summary>A whole object of a kind GitOrch does not run (Service, ConfigMap, CronJob, …).</summary>
    Skipped,

    /// <summary>Cannot be honoured, and leaving it out or keeping it would weaken the sandbox or change what runs: the import fails.</summary>
    Refused,
}

/// <summary>
/// One note of an import: where (file, line, column of the setting), which Kubernetes object, which
/// field (a path such as <c>spec.containers[0].ports[0].hostPort</c>), and what was done and why.
/// </summary>
public sealed record ImportNote(NoteKind Kind, string File, int Line, int Column, string Object, string? Field, string Message)
{
    public override string ToString() =>
        $"{File}:{Line}:{Column}: {Object}{(Field is null ? string.Empty : " " + Field)}: {Message}";
}

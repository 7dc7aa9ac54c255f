namespace GitOrch.Core.Manifests;

/// <summary>A control loop from the config repo: a step in every selected object's workflow.</summary>
public sealed record ControlLoop : ManifestObject
{
    public required ControlLoopSpec Spec { get; init; }

    public override bool IsNamespaced => false;
}

public sealed record ControlLoopSpec
{
    public string? Description { get; init; }

    public required IReadOnlyList<string> ObjectKinds { get; init; }

    public LoopSelector? Selector { get; init; }

    public required StepPlacement Step { get; init; }

    public IReadOnlyList<string>? Owns { get; init; }

    public IReadOnlyList<string>? Reads { get; init; }

    public ExecHandler? Exec { get; init; }

    public HttpHandler? Http { get; init; }

    /// <summary>Requests to weaken the exec sandbox (the same block as a pod's); each needs a ClusterPolicy exception naming the loop.</summary>
    public PodSecurity? Security { get; init; }
}

/// <summary>Which objects a loop applies to; absent parts match everything.</summary>
public sealed record LoopSelector
{
    public IReadOnlyList<string>? Namespaces { get; init; }

    public IReadOnlyDictionary<string, string>? Labels { get; init; }
}

/// <summary>Where a step sits in the workflow graph (systemd semantics: ordering and requirement are orthogonal).</summary>
public sealed record StepPlacement
{
    public IReadOnlyList<string>? Before { get; init; }

    public IReadOnlyList<string>? After { get; init; }

    public IReadOnlyList<string>? Requires { get; init; }

    public IReadOnlyList<string>? Wants { get; init; }

    public int TimeoutSeconds { get; init; } = 300;

    /// <summary>How many times a failing step is tried before it stays failed (1 = no retry).</summary>
    public int MaxAttempts { get; init; } = 3;
}

public sealed record ExecHandler
{
    public required IReadOnlyList<string> Command { get; init; }

    public IReadOnlyDictionary<string, string>? Env { get; init; }
}

public sealed record HttpHandler
{
    public required string Url { get; init; }

    public IReadOnlyDictionary<string, string>? Headers { get; init; }
}

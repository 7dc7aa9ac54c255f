using GitOrch.Core.Diagnostics;
using GitOrch.Core.Loading;
using GitOrch.Core.Manifests;
using GitOrch.Core.Security;

namespace GitOrch.Core.Validation;

/// <summary>
/// Security is yes: every weakening needs the pod's request (the field) and a ClusterPolicy
/// exception for its namespace; a ControlLoop's <c>spec.security</c> (its exec sandbox) needs an
/// exception that names the loop (<c>loops: [name]</c>). Unknown exception names are errors;
/// unused ones, warnings.
/// </summary>
internal static class SecurityRules
{
    /// <summary>The ClusterPolicy itself: one per cluster, and exceptions that name something known.</summary>
    public static void CheckPolicy(ValidationContext context)
    {
        var policies = context.OfKind(Kinds.ClusterPolicy).ToList();
        for (var i = 1; i < policies.Count; i++)
        {
            context.Error(policies[i].At("metadata", "name"), DiagnosticCodes.DuplicatePolicy,
                $"a cluster has one ClusterPolicy, and {policies[0].Ref.Display} is already defined at {policies[0].At("metadata", "name")}; merge them", policies[i]);
        }

        var policyObj = context.Policy;
        var exceptions = Exceptions(context);
        var used = context.UsedExceptions;

        for (var e = 0; e < exceptions.Count; e++)
        {
            if (exceptions[e].Namespaces is null && exceptions[e].Loops is null)
            {
                context.Error(policyObj!.At("spec", "security", "exceptions", e), DiagnosticCodes.MissingField,
                    "this exception names no namespaces and no loops, so it permits nothing; add namespaces: [NAME] (for pods) or loops: [NAME] (for ControlLoops)", policyObj);
            }

            for (var a = 0; a < exceptions[e].Allow.Count; a++)
            {
                if (!Weakenings.IsKnownException(exceptions[e].Allow[a], out var hint))
                {
                    used.Add((e, a)); // Reported as unknown; do not also call it unused.
                    context.Error(policyObj!.ValueAt("spec", "security", "exceptions", e, "allow", a), DiagnosticCodes.UnknownException,
                        $"\"{exceptions[e].Allow[a]}\" is not a known exception; {hint}", policyObj);
                }
            }
        }
    }

    /// <summary>
    /// One object's weakenings against the policy's exceptions; the exceptions it uses go into
    /// <see cref="ValidationContext.UsedExceptions"/>.
    /// </summary>
    public static void CheckObject(ValidationContext context, LoadedObject obj)
    {
        var policyObj = context.Policy;
        var exceptions = Exceptions(context);
        var used = context.UsedExceptions;
        foreach (var (spec, prefix) in ValidationContext.PodSpecs(obj))
        {
            foreach (var weakening in Weakenings.Of(spec))
            {
                if (!Permitted(exceptions, e => AppliesTo(e, obj.Object.Namespace), weakening, used))
                {
                    object[] field = [.. prefix, .. weakening.Field];
                    var fix = policyObj is null
                        ? $"which needs a ClusterPolicy exception \"{weakening.Exception}\" for namespace {obj.Object.Namespace} (there is no ClusterPolicy yet: add one with spec.security.exceptions in a reviewed change), or remove the request"
                        : $"which needs the exception \"{weakening.Exception}\" for namespace {obj.Object.Namespace} in ClusterPolicy {policyObj.Object.Metadata.Name} (spec.security.exceptions); add it in a reviewed change, or remove the request";
                    context.Error(obj.At(field), DiagnosticCodes.WeakeningWithoutException,
                        $"{ValidationContext.Render(field)} {weakening.What}, {fix}",
                        obj);
                }
            }
        }

        if (obj.Object is ControlLoop { Spec.Security: { } loopSecurity } loop)
        {
            var name = loop.Metadata.Name;
            foreach (var weakening in Weakenings.Of(loopSecurity))
            {
                if (!Permitted(exceptions, e => e.Loops?.Contains(name) == true, weakening, used))
                {
                    object[] field = ["spec", .. weakening.Field];
                    var wanted = $"{{loops: [{name}], allow: [\"{weakening.Exception}\"]}}";
                    var fix = policyObj is null
                        ? $"which needs a ClusterPolicy exception {wanted} in spec.security.exceptions (there is no ClusterPolicy yet: add one in a reviewed change), or remove the request"
                        : $"which needs the exception {wanted} in ClusterPolicy {policyObj.Object.Metadata.Name} (spec.security.exceptions); add it in a reviewed change, or remove the request";
                    context.Error(obj.At(field), DiagnosticCodes.WeakeningWithoutException,
                        $"{ValidationContext.Render(field)}: the loop's exec sandbox {weakening.What}, {fix}",
                        obj);
                }
            }
        }
    }

    /// <summary>Warns of each exception no pod or loop used (after every object's <see cref="CheckObject"/>).</summary>
    public static void ReportUnused(ValidationContext context)
    {
        var policyObj = context.Policy;
        var exceptions = Exceptions(context);
        var used = context.UsedExceptions;
        for (var e = 0; e < exceptions.Count; e++)
        {
            for (var a = 0; a < exceptions[e].Allow.Count; a++)
            {
                if (!used.Contains((e, a)))
                {
                    context.Warning(policyObj!.ValueAt("spec", "security", "exceptions", e, "allow", a), DiagnosticCodes.UnusedException,
                        $"exception \"{exceptions[e].Allow[a]}\" for {Scope(exceptions[e])} is not used by any pod or loop; remove it to keep the policy tight",
                        policyObj);
                }
            }
        }
    }

    private static IReadOnlyList<SecurityException> Exceptions(ValidationContext context) =>
        (context.Policy?.Object as ClusterPolicy)?.Spec.Security?.Exceptions ?? [];

    private static bool Permitted(IReadOnlyList<SecurityException> exceptions, Func<SecurityException, bool> applies, Weakening weakening, HashSet<(int, int)> used)
    {
        var permitted = false;
        for (var e = 0; e < exceptions.Count; e++)
        {
            if (!applies(exceptions[e]))
            {
                continue;
            }

            for (var a = 0; a < exceptions[e].Allow.Count; a++)
            {
                if (Weakenings.Permits(exceptions[e].Allow[a], weakening.Exception))
                {
                    permitted = true;
                    used.Add((e, a));
                }
            }
        }

        return permitted;
    }

    private static bool AppliesTo(SecurityException exception, string ns) =>
        exception.Namespaces is { } namespaces && (namespaces.Contains("*") || namespaces.Contains(ns));

    private static string Scope(SecurityException exception) => (exception.Namespaces, exception.Loops) switch
    {
        ({ } ns, { } loops) => $"namespaces [{string.Join(", ", ns)}] and loops [{string.Join(", ", loops)}]",
        (null, { } loops) => $"loops [{string.Join(", ", loops)}]",
        ({ } ns, null) => $"namespaces [{string.Join(", ", ns)}]",
        _ => "nothing (it names no namespaces and no loops)",
    };
}

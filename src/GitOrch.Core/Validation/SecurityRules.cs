using GitOrch.Core.Diagnostics;
using GitOrch.Core.Loading;
using GitOrch.Core.Manifests;
using GitOrch.Core.Security;

namespace GitOrch.Core.Validation;

/// <summary>
/// Security is yes: every weakening needs the pod's request (the field) and a ClusterPolicy
/// exception for its namespace. Unknown exception names are errors; unused ones, warnings.
/// </summary>
internal static class SecurityRules
{
    public static void Check(ValidationContext context)
    {
        var policies = context.OfKind(Kinds.ClusterPolicy).ToList();
        for (var i = 1; i < policies.Count; i++)
        {
            context.Error(policies[i].At("metadata", "name"), DiagnosticCodes.DuplicatePolicy,
                $"a cluster has one ClusterPolicy, and {policies[0].Ref.Display} is already defined at {policies[0].At("metadata", "name")}; merge them", policies[i]);
        }

        var policyObj = policies.FirstOrDefault();
        var exceptions = (policyObj?.Object as ClusterPolicy)?.Spec.Security?.Exceptions ?? [];
        var used = new HashSet<(int Exception, int Allow)>();

        for (var e = 0; e < exceptions.Count; e++)
        {
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

        foreach (var obj in context.Objects)
        {
            foreach (var (spec, prefix) in ValidationContext.PodSpecs(obj))
            {
                foreach (var weakening in Weakenings.Of(spec))
                {
                    var permitted = false;
                    for (var e = 0; e < exceptions.Count; e++)
                    {
                        if (!AppliesTo(exceptions[e], obj.Object.Namespace))
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

                    if (!permitted)
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
        }

        for (var e = 0; e < exceptions.Count; e++)
        {
            for (var a = 0; a < exceptions[e].Allow.Count; a++)
            {
                if (!used.Contains((e, a)))
                {
                    context.Warning(policyObj!.ValueAt("spec", "security", "exceptions", e, "allow", a), DiagnosticCodes.UnusedException,
                        $"exception \"{exceptions[e].Allow[a]}\" for namespaces [{string.Join(", ", exceptions[e].Namespaces)}] is not used by any pod; remove it to keep the policy tight",
                        policyObj);
                }
            }
        }
    }

    private static bool AppliesTo(SecurityException exception, string ns) =>
        exception.Namespaces.Contains("*") || exception.Namespaces.Contains(ns);
}

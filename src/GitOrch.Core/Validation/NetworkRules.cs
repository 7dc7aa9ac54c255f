using GitOrch.Core.Diagnostics;
using GitOrch.Core.Manifests;
using GitOrch.Core.Network;

namespace GitOrch.Core.Validation;

/// <summary>The ClusterPolicy's network block: the pod prefix is a ULA /48 with nothing past its 48th bit.</summary>
internal static class NetworkRules
{
    public static void Check(ValidationContext context)
    {
        foreach (var obj in context.OfKind(Kinds.ClusterPolicy))
        {
            if (((ClusterPolicy)obj.Object).Spec.Network?.PodPrefix is { } prefix && !PodPrefix.TryParse(prefix, out _, out var problem))
            {
                context.Error(obj.ValueAt("spec", "network", "podPrefix"), DiagnosticCodes.BadPodPrefix, $"spec.network.podPrefix: {problem}", obj);
            }
        }
    }
}

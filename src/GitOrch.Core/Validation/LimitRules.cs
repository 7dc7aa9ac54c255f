using GitOrch.Core.Diagnostics;
using GitOrch.Core.Loading;
using GitOrch.Core.Manifests;

namespace GitOrch.Core.Validation;

/// <summary>
/// Bounded input: an object whose JSON is over the ClusterPolicy's <c>limits.maxObjectBytes</c>
/// (256 KiB by default) is an error. File sizes and alias expansion are checked earlier, while
/// reading, so their cost is never paid.
/// </summary>
internal static class LimitRules
{
    /// <summary>One object against the limits of the commit's ClusterPolicy (<see cref="ValidationContext.Policy"/>).</summary>
    public static void CheckObject(ValidationContext context, LoadedObject obj)
    {
        var limits = context.Limits;
        if (obj.JsonBytes > limits.MaxObjectBytes)
        {
            context.Error(obj.Location, DiagnosticCodes.ObjectTooLarge,
                $"the object is {obj.JsonBytes} bytes as JSON, over the limit of {limits.MaxObjectBytes} bytes (ClusterPolicy spec.limits.maxObjectBytes); make it smaller (long env maps belong in a file the pod reads), or raise the limit in a reviewed change",
                obj);
        }
    }
}

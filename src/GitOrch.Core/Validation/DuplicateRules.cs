using GitOrch.Core.Diagnostics;
using GitOrch.Core.Loading;

namespace GitOrch.Core.Validation;

/// <summary>The same kind/namespace/name defined twice is an error naming both places.</summary>
internal static class DuplicateRules
{
    public static void Check(ValidationContext context)
    {
        var duplicated = context.Refs.Duplicated;
        if (duplicated.Count == 0)
        {
            return; // Most commits: the counts say so without looking at each object.
        }

        var first = new Dictionary<ObjectRef, LoadedObject>();
        foreach (var obj in context.Objects)
        {
            if (!duplicated.Contains(obj.Ref))
            {
                continue;
            }

            if (first.TryGetValue(obj.Ref, out var earlier))
            {
                context.Error(obj.At("metadata", "name"), DiagnosticCodes.DuplicateObject,
                    $"defined twice: here and at {earlier.At("metadata", "name")}; keep one of them (rename or delete the other)", obj);
            }
            else
            {
                first.Add(obj.Ref, obj);
            }
        }
    }
}

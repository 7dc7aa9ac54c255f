using GitOrch.Core.Objects;

namespace GitOrch.History;

/// <summary>Which version (and so which changer) last set a field.</summary>
public static class Blame
{
    /// <summary>The newest version whose changes touch <paramref name="field"/>, or null when none did.</summary>
    public static VersionRecord? LastSetter(IReadOnlyList<VersionRecord> versionsOldestFirst, string field)
    {
        for (var i = versionsOldestFirst.Count - 1; i >= 0; i--)
        {
            var v = versionsOldestFirst[i];
            if (v.Deleted || v.Fields.Any(f => f == "*" || FieldDiff.Touches(f, field)))
            {
                return v;
            }
        }

        return null;
    }
}

namespace GitOrch.Core.Diagnostics;

/// <summary>Orders diagnostics the way an editor lists them: by file, line, column, then code.</summary>
public sealed class DiagnosticOrder : IComparer<Diagnostic>
{
    public static DiagnosticOrder Instance { get; } = new();

    public int Compare(Diagnostic? x, Diagnostic? y)
    {
        if (ReferenceEquals(x, y))
        {
            return 0;
        }

        if (x is null)
        {
            return -1;
        }

        if (y is null)
        {
            return 1;
        }

        var c = string.CompareOrdinal(x.File, y.File);
        if (c != 0)
        {
            return c;
        }

        c = x.Line.CompareTo(y.Line);
        if (c != 0)
        {
            return c;
        }

        c = x.Column.CompareTo(y.Column);
        return c != 0 ? c : string.CompareOrdinal(x.Code, y.Code);
    }
}

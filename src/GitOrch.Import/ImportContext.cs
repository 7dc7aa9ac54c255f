using GitOrch.Core.Loading;

namespace GitOrch.Import;

/// <summary>One Kubernetes object being converted: its file, its YAML tree (for positions) and the notes it produces.</summary>
internal sealed class ImportContext(string file, SourceNode root, string objectName, List<ImportNote> notes)
{
    public string File => file;

    /// <summary>"Deployment default/frontend".</summary>
    public string Object => objectName;

    public void Note(NoteKind kind, string? field, string message)
    {
        var (line, column) = field is null ? (root.Line, root.Column) : Position(field);
        notes.Add(new ImportNote(kind, file, line, column, objectName, field, message));
    }

    public void Absorbed(string field, string message) => Note(NoteKind.Absorbed, field, message);

    public void Ignored(string field, string message) => Note(NoteKind.Ignored, field, message);

    public void Adjusted(string field, string message) => Note(NoteKind.Adjusted, field, message);

    public void Refused(string? field, string message) => Note(NoteKind.Refused, field, message);

    /// <summary>The position of a field, or of its nearest written ancestor (a default has no position of its own).</summary>
    private (int Line, int Column) Position(string field)
    {
        try
        {
            return NodeLocator.FindNearest(root, field).Position;
        }
        catch (ArgumentException)
        {
            return (root.Line, root.Column);
        }
    }
}

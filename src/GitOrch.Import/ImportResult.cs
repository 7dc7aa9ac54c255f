namespace GitOrch.Import;

/// <summary>The outcome of an import: the converted objects and every note. Refused when any note is <see cref="NoteKind.Refused"/>.</summary>
public sealed record ImportResult(IReadOnlyList<ImportedObject> Objects, IReadOnlyList<ImportNote> Notes)
{
    public bool Refused => Notes.Any(n => n.Kind == NoteKind.Refused);

    public IEnumerable<ImportNote> Of(NoteKind kind) => Notes.Where(n => n.Kind == kind);
}

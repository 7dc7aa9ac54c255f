using System.Text;

namespace GitOrch.Core.Loading;

/// <summary>
/// The text a file's documents were read from, so that a released document (see
/// <see cref="LoadedObject.ReleaseDocument"/>) can be read again when a position in it is asked
/// for. Reading is pure: the same text gives the same documents, nodes and positions. Once
/// <see cref="Compact"/> is called the text is kept as UTF-8 (half the size of a string); the
/// documents read again are held weakly, so asking for several positions in one file reads it once.
/// </summary>
public sealed class DocumentSource(string file, string text)
{
    private readonly Lock _gate = new();
    private string? _text = text;
    private byte[]? _utf8;
    private WeakReference<IReadOnlyList<SourceDocument>>? _read;

    /// <summary>How many times the text was read again (a position asked for in a released document).</summary>
    public int Rereads { get; private set; }

    /// <summary>Keeps the text as UTF-8 from now on.</summary>
    public void Compact()
    {
        lock (_gate)
        {
            if (_text is { } t)
            {
                _utf8 = Encoding.UTF8.GetBytes(t);
                _text = null;
            }
        }
    }

    /// <summary>The document with this index, read again from the text.</summary>
    public SourceDocument Document(int index)
    {
        lock (_gate)
        {
            if (_read is null || !_read.TryGetTarget(out var documents))
            {
                Rereads++;
                documents = YamlReader.Read(file, _text ?? Encoding.UTF8.GetString(_utf8!), new List<Diagnostics.Diagnostic>());
                _read = new WeakReference<IReadOnlyList<SourceDocument>>(documents);
            }

            return documents.FirstOrDefault(d => d.Index == index)
                ?? throw new InvalidOperationException($"{file} no longer reads as it did: document {index + 1} is missing");
        }
    }
}

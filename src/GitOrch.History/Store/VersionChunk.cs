using System.IO.Compression;
using System.Text;

namespace GitOrch.History.Store;

/// <summary>
/// Up to <see cref="Size"/> consecutive versions of one object, stored as one compressed row: the
/// first version with an object is the chunk's snapshot, every later one a delta against it, so
/// any version is one row read, one decompression and at most one delta away. Metadata is
/// interned: a version holds its batch id (changer, kind, source commit and time live on the
/// batch) and the id of its field list.
/// </summary>
internal sealed class VersionChunk
{
    /// <summary>Versions per chunk: a new snapshot every this many versions.</summary>
    public const int Size = 128;

    private const byte Format = 1;
    private const byte DeletedEntry = 0;
    private const byte SnapshotEntry = 1;
    private const byte DeltaEntry = 2;

    private readonly List<Entry> _entries;
    private byte[]? _snapshot;

    private VersionChunk(List<Entry> entries)
    {
        _entries = entries;
        _snapshot = entries.FirstOrDefault(e => e.Type == SnapshotEntry)?.Payload;
    }

    public static VersionChunk Empty() => new([]);

    /// <summary>The chunk a version belongs to.</summary>
    public static long NumberOf(int version) => (version - 1) / Size;

    public IReadOnlyList<Entry> Entries => _entries;

    public void Append(int version, long batch, long fields, string? objectJson)
    {
        if (_entries.Count > 0 && _entries[^1].Version >= version)
        {
            throw new InvalidOperationException($"version {version} is not after {_entries[^1].Version}");
        }

        if (objectJson is null)
        {
            _entries.Add(new Entry(version, batch, fields, DeletedEntry, null));
            return;
        }

        var bytes = Encoding.UTF8.GetBytes(objectJson);
        if (_snapshot is null)
        {
            _snapshot = bytes;
            _entries.Add(new Entry(version, batch, fields, SnapshotEntry, bytes));
        }
        else
        {
            _entries.Add(new Entry(version, batch, fields, DeltaEntry, Delta.Create(_snapshot, bytes)));
        }
    }

    /// <summary>The object of an entry as written (null for a deletion).</summary>
    public string? ObjectOf(Entry entry) => entry.Type switch
    {
        DeletedEntry => null,
        SnapshotEntry => Encoding.UTF8.GetString(entry.Payload!),
        _ => Encoding.UTF8.GetString(Delta.Apply(_snapshot ?? throw new InvalidDataException("a version chunk has a delta but no snapshot"), entry.Payload)),
    };

    /// <summary>A new chunk with only the versions <paramref name="keep"/> accepts, re-based on the first kept object.</summary>
    public VersionChunk Where(Func<Entry, bool> keep)
    {
        var result = Empty();
        foreach (var entry in _entries.Where(keep))
        {
            result.Append(entry.Version, entry.Batch, entry.Fields, ObjectOf(entry));
        }

        return result;
    }

    public byte[] Encode()
    {
        var body = new Varint.Writer(256 + (_snapshot?.Length ?? 0));
        body.Write((ulong)_entries.Count);
        foreach (var e in _entries)
        {
            body.Write((ulong)e.Version);
            body.Write((ulong)e.Batch);
            body.Write((ulong)e.Fields);
            body.WriteByte(e.Type);
            if (e.Payload is { } payload)
            {
                body.Write((ulong)payload.Length);
                body.Write(payload);
            }
        }

        return Compress(body.Written);
    }

    /// <summary>Format byte, raw length (varint), then the raw bytes deflated.</summary>
    internal static byte[] Compress(ReadOnlySpan<byte> raw)
    {
        using var output = new MemoryStream(64 + raw.Length / 2);
        output.WriteByte(Format);
        var header = new Varint.Writer(10);
        header.Write((ulong)raw.Length);
        output.Write(header.Written);
        using (var deflate = new DeflateStream(output, CompressionLevel.Optimal, leaveOpen: true))
        {
            deflate.Write(raw);
        }

        return output.ToArray();
    }

    internal static byte[] Decompress(byte[] data)
    {
        if (data.Length == 0 || data[0] != Format)
        {
            throw new InvalidDataException($"a version chunk has an unknown format ({(data.Length == 0 ? "empty" : data[0])})");
        }

        var header = new Varint.Reader(data.AsSpan(1));
        var rawLength = checked((int)header.ReadUInt64());
        var at = 1;
        while (data[at] >= 0x80)
        {
            at++;
        }

        at++;
        var raw = new byte[rawLength];
        using var deflate = new DeflateStream(new MemoryStream(data, at, data.Length - at), CompressionMode.Decompress);
        deflate.ReadExactly(raw);
        return raw;
    }

    public static VersionChunk Decode(byte[] data)
    {
        var raw = Decompress(data);
        var reader = new Varint.Reader(raw);
        var count = checked((int)reader.ReadUInt64());
        var entries = new List<Entry>(count);
        for (var i = 0; i < count; i++)
        {
            var version = checked((int)reader.ReadUInt64());
            var batch = checked((long)reader.ReadUInt64());
            var fields = checked((long)reader.ReadUInt64());
            var type = reader.ReadByte();
            var payload = type == DeletedEntry ? null : reader.ReadBytes(checked((int)reader.ReadUInt64())).ToArray();
            entries.Add(new Entry(version, batch, fields, type, payload));
        }

        return new VersionChunk(entries);
    }

    /// <summary>One version in a chunk: its batch, its interned field list, and a snapshot, a delta or nothing (deleted).</summary>
    public sealed record Entry(int Version, long Batch, long Fields, byte Type, byte[]? Payload)
    {
        public bool Deleted => Type == DeletedEntry;
    }
}

using System.IO.Compression;
using System.Text.Json;

namespace GitOrch.Controller.Replication;

/// <summary>One journal entry's content: the database it changes and the statements, gzip-compressed JSON.</summary>
public sealed record JournalEntry(long Index, string Database, IReadOnlyList<string> Statements)
{
    private sealed record Body(string Database, IReadOnlyList<string> Statements);

    public static byte[] Encode(string database, IReadOnlyList<string> statements)
    {
        using var buffer = new MemoryStream();
        using (var gzip = new GZipStream(buffer, CompressionLevel.Fastest, leaveOpen: true))
        {
            JsonSerializer.Serialize(gzip, new Body(database, statements));
        }

        return buffer.ToArray();
    }

    /// <summary>Decodes an entry; throws <see cref="InvalidDataException"/> when it is not one.</summary>
    public static JournalEntry Decode(long index, ReadOnlySpan<byte> payload)
    {
        try
        {
            using var gzip = new GZipStream(new MemoryStream(payload.ToArray()), CompressionMode.Decompress);
            var body = JsonSerializer.Deserialize<Body>(gzip) ?? throw new InvalidDataException("empty");
            if (string.IsNullOrEmpty(body.Database) || body.Database.Contains('/', StringComparison.Ordinal) || body.Database.StartsWith('.') || body.Statements is null)
            {
                throw new InvalidDataException($"entry {index} names no valid database");
            }

            return new JournalEntry(index, body.Database, body.Statements);
        }
        catch (JsonException ex)
        {
            throw new InvalidDataException($"entry {index} of the journal is not readable ({ex.Message})", ex);
        }
    }

    /// <summary>Whether a header is an inline entry (gzip) rather than a parts list.</summary>
    public static bool IsInline(ReadOnlySpan<byte> header) => header.Length >= 2 && header[0] == 0x1f && header[1] == 0x8b;
}

/// <summary>The header of an entry written in parts.</summary>
public sealed record JournalParts(int Parts, string Sha256);

using System.Buffers.Binary;

namespace GitOrch.History.Store;

/// <summary>
/// A copy/insert delta between two byte strings (a version against its chunk's snapshot): the
/// common prefix and suffix are copied, and the middle is matched against the base by 8-byte
/// windows. Ops: a varint header <c>length &lt;&lt; 1 | copy</c>, then the base offset for a copy
/// or the bytes for an insert.
/// </summary>
internal static class Delta
{
    private const int Window = 8;

    public static byte[] Create(ReadOnlySpan<byte> source, ReadOnlySpan<byte> target)
    {
        var output = new Varint.Writer(32);
        var prefix = source.CommonPrefixLength(target);
        var maxSuffix = Math.Min(source.Length, target.Length) - prefix;
        var suffix = 0;
        while (suffix < maxSuffix && source[^(suffix + 1)] == target[^(suffix + 1)])
        {
            suffix++;
        }

        if (prefix > 0)
        {
            Copy(ref output, 0, prefix);
        }

        Middle(ref output, source, target, prefix, target.Length - suffix);
        if (suffix > 0)
        {
            Copy(ref output, source.Length - suffix, suffix);
        }

        return output.ToArray();
    }

    public static byte[] Apply(ReadOnlySpan<byte> source, ReadOnlySpan<byte> delta)
    {
        var result = new List<byte>(source.Length + 64);
        var reader = new Varint.Reader(delta);
        while (!reader.End)
        {
            var header = reader.ReadUInt64();
            var length = checked((int)(header >> 1));
            if ((header & 1) == 1)
            {
                var offset = checked((int)reader.ReadUInt64());
                result.AddRange(source.Slice(offset, length));
            }
            else
            {
                result.AddRange(reader.ReadBytes(length));
            }
        }

        return [.. result];
    }

    private static void Middle(ref Varint.Writer output, ReadOnlySpan<byte> source, ReadOnlySpan<byte> target, int start, int end)
    {
        if (start >= end)
        {
            return;
        }

        var index = new Dictionary<ulong, int>();
        for (var i = 0; i + Window <= source.Length; i++)
        {
            index.TryAdd(BinaryPrimitives.ReadUInt64LittleEndian(source[i..]), i);
        }

        var literal = start;
        var at = start;
        while (at + Window <= end)
        {
            if (index.TryGetValue(BinaryPrimitives.ReadUInt64LittleEndian(target[at..]), out var offset))
            {
                var length = Window;
                while (at + length < end && offset + length < source.Length && source[offset + length] == target[at + length])
                {
                    length++;
                }

                if (at > literal)
                {
                    Insert(ref output, target[literal..at]);
                }

                Copy(ref output, offset, length);
                at += length;
                literal = at;
            }
            else
            {
                at++;
            }
        }

        if (end > literal)
        {
            Insert(ref output, target[literal..end]);
        }
    }

    private static void Copy(ref Varint.Writer output, int offset, int length)
    {
        output.Write(((ulong)length << 1) | 1);
        output.Write((ulong)offset);
    }

    private static void Insert(ref Varint.Writer output, ReadOnlySpan<byte> bytes)
    {
        output.Write((ulong)bytes.Length << 1);
        output.Write(bytes);
    }
}

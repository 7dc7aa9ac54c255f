using System.Text;
using System.Text.Encodings.Web;

namespace GitOrch.Core.Manifests;

/// <summary>
/// Escapes what stored object JSON has always escaped and nothing more: <c>"</c>, <c>\</c>, control
/// characters (<c>\n</c>, <c>\t</c>, ... short forms, else <c>\u00xx</c> in lower case) and U+0085,
/// U+2028, U+2029. Non-ASCII text, emoji and <c>&lt; &gt; &amp; '</c> stay as written, so the JSON of
/// a version is the same bytes whichever release wrote it. Output is JSON for storage and the API,
/// never inlined into HTML (pages encode what they show).
/// </summary>
public sealed class ManifestJsonEncoder : JavaScriptEncoder
{
    public static ManifestJsonEncoder Instance { get; } = new();

    private ManifestJsonEncoder()
    {
    }

    public override int MaxOutputCharactersPerInputCharacter => 6;

    public override bool WillEncode(int unicodeScalar) =>
        unicodeScalar < 0x20 || unicodeScalar is '"' or '\\' or 0x85 or 0x2028 or 0x2029;

    public override unsafe int FindFirstCharacterToEncode(char* text, int textLength)
    {
        var span = new ReadOnlySpan<char>(text, textLength);
        for (var i = 0; i < span.Length; i++)
        {
            var c = span[i];
            if (WillEncode(c))
            {
                return i;
            }

            if (char.IsSurrogate(c))
            {
                // A lone surrogate cannot be written as UTF-8: let the writer see it.
                if (!char.IsHighSurrogate(c) || i + 1 >= span.Length || !char.IsLowSurrogate(span[i + 1]))
                {
                    return i;
                }

                i++;
            }
        }

        return -1;
    }

    public override int FindFirstCharacterToEncodeUtf8(ReadOnlySpan<byte> utf8Text)
    {
        var i = 0;
        while (i < utf8Text.Length)
        {
            var b = utf8Text[i];
            if (b < 0x80)
            {
                if (b < 0x20 || b is (byte)'"' or (byte)'\\')
                {
                    return i;
                }

                i++;
                continue;
            }

            if (Rune.DecodeFromUtf8(utf8Text[i..], out var rune, out var consumed) != System.Buffers.OperationStatus.Done || WillEncode(rune.Value))
            {
                return i;
            }

            i += consumed;
        }

        return -1;
    }

    public override unsafe bool TryEncodeUnicodeScalar(int unicodeScalar, char* buffer, int bufferLength, out int numberOfCharactersWritten)
    {
        var escaped = unicodeScalar switch
        {
            '"' => "\\\"",
            '\\' => "\\\\",
            '\n' => "\\n",
            '\r' => "\\r",
            '\t' => "\\t",
            '\f' => "\\f",
            '\b' => "\\b",
            _ when WillEncode(unicodeScalar) => "\\u" + unicodeScalar.ToString("x4", System.Globalization.CultureInfo.InvariantCulture),
            _ => null,
        };
        if (escaped is null)
        {
            if (!new Rune(unicodeScalar).TryEncodeToUtf16(new Span<char>(buffer, bufferLength), out numberOfCharactersWritten))
            {
                numberOfCharactersWritten = 0;
                return false;
            }

            return true;
        }

        if (escaped.Length > bufferLength)
        {
            numberOfCharactersWritten = 0;
            return false;
        }

        escaped.AsSpan().CopyTo(new Span<char>(buffer, bufferLength));
        numberOfCharactersWritten = escaped.Length;
        return true;
    }
}

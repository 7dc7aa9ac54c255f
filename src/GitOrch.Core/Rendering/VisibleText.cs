using System.Buffers;
using System.Globalization;
using System.Text;

namespace GitOrch.Core.Rendering;

/// <summary>
/// Text from a commit, a manifest, a node or a pod, made safe to show: control characters (C0, C1
/// and DEL) and the bidirectional overrides and isolates, which can make a line read differently
/// from what it says, are shown as escapes (<c>\u001b</c>, <c>\u202e</c>; <c>\n</c>, <c>\r</c> and
/// <c>\t</c> as such). Everything printable, in any script, passes unchanged.
/// </summary>
public static class VisibleText
{
    // C0 controls, DEL and C1 controls, the line and paragraph separators (a line break to some
    // readers), and the characters that reorder text: the Arabic letter mark, the left-to-right and
    // right-to-left marks, embeddings, overrides and isolates.
    private static readonly char[] Controls = [.. Enumerable.Range(0, 0x20).Select(i => (char)i), (char)0x7f, .. Enumerable.Range(0x80, 0x20).Select(i => (char)i), '\u2028', '\u2029'];
    private static readonly char[] Reordering = ['\u061c', '\u200e', '\u200f', '\u202a', '\u202b', '\u202c', '\u202d', '\u202e', '\u2066', '\u2067', '\u2068', '\u2069'];

    private static readonly SearchValues<char> Hidden = SearchValues.Create([.. Controls, .. Reordering]);

    private static readonly SearchValues<char> HiddenBesideLineBreaks = SearchValues.Create([.. Controls.Where(c => c is not ('\n' or '\r' or '\t')), .. Reordering]);

    /// <summary>Whether the text holds a character this class shows as an escape.</summary>
    internal static bool Hides(string text) => text.AsSpan().IndexOfAny(Hidden) >= 0;

    /// <summary>Whether this class shows the character as an escape.</summary>
    internal static bool Hides(char c) => Hidden.Contains(c);

    /// <summary>
    /// The text for one line of a terminal: newlines and tabs escaped too, so a name with a newline
    /// cannot forge a line of output and an escape sequence cannot drive the terminal.
    /// </summary>
    public static string OneLine(string? text) => Escape(text, Hidden);

    /// <summary>The text for a page, where line breaks and tabs keep their meaning (a log in a &lt;pre&gt;).</summary>
    public static string KeepingLineBreaks(string? text) => Escape(text, HiddenBesideLineBreaks);

    private static string Escape(string? text, SearchValues<char> hidden)
    {
        if (text is null)
        {
            return string.Empty;
        }

        var first = text.AsSpan().IndexOfAny(hidden);
        if (first < 0)
        {
            return text;
        }

        var result = new StringBuilder(text.Length + 8).Append(text, 0, first);
        foreach (var c in text.AsSpan(first))
        {
            if (!hidden.Contains(c))
            {
                result.Append(c);
                continue;
            }

            result.Append(c switch
            {
                '\n' => @"\n",
                '\r' => @"\r",
                '\t' => @"\t",
                _ => string.Create(CultureInfo.InvariantCulture, $@"\u{(int)c:x4}"),
            });
        }

        return result.ToString();
    }
}

using System.Runtime.CompilerServices;
using System.Text;

namespace GitOrch.Controller.Ui;

/// <summary>
/// An HTML document being written. Every value interpolated into <see cref="Add"/> is HTML-encoded
/// (names, labels, log lines and diagnostics come from people and processes we do not trust);
/// only <see cref="Raw"/> markup, which the view writes itself, goes in as it is.
/// </summary>
internal sealed class Html
{
    public StringBuilder Builder { get; } = new();

    public Html Add([InterpolatedStringHandlerArgument("")] ref HtmlHandler markup)
    {
        _ = markup;
        return this;
    }

    /// <summary>Appends markup this view wrote itself (never text from outside).</summary>
    public Html Add(Raw markup)
    {
        Builder.Append(markup.Value);
        return this;
    }

    /// <summary>Appends text, encoded.</summary>
    public Html Text(string? text)
    {
        Builder.Append(Encode(text));
        return this;
    }

    /// <summary>
    /// Text as HTML, with control characters and bidirectional overrides shown as escapes
    /// (<see cref="Core.Rendering.VisibleText.KeepingLineBreaks"/>): a name or a log line cannot make
    /// what the page shows read differently from what it holds. Line breaks stay (logs in a &lt;pre&gt;).
    /// </summary>
    public static string Encode(string? text) => System.Text.Encodings.Web.HtmlEncoder.Default.Encode(Core.Rendering.VisibleText.KeepingLineBreaks(text));

    public override string ToString() => Builder.ToString();
}

using System.Globalization;
using System.Runtime.CompilerServices;

namespace GitOrch.Controller.Ui;

/// <summary>Interpolation into <see cref="Html"/>: literals as written, every hole encoded unless it is <see cref="Raw"/>.</summary>
[InterpolatedStringHandler]
internal ref struct HtmlHandler
{
    private readonly Html _html;

    public HtmlHandler(int literalLength, int formattedCount, Html html)
    {
        _ = literalLength;
        _ = formattedCount;
        _html = html;
    }

    public readonly void AppendLiteral(string literal) => _html.Builder.Append(literal);

    public readonly void AppendFormatted(Raw markup) => _html.Builder.Append(markup.Value);

    public readonly void AppendFormatted(Html markup) => _html.Builder.Append(markup.Builder);

    public readonly void AppendFormatted<T>(T value) =>
        _html.Builder.Append(Html.Encode(value switch
        {
            null => string.Empty,
            DateTimeOffset time => time.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss'Z'", CultureInfo.InvariantCulture),
            IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
            _ => value.ToString(),
        }));
}

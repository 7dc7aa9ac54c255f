using GitOrch.Core.Diagnostics;
using YamlDotNet.Core;
using YamlDotNet.Core.Events;

namespace GitOrch.Core.Loading;

/// <summary>
/// Reads the documents of one YAML file into <see cref="SourceNode"/> trees, from the parser's
/// events. A syntax error ends the file (the parser cannot resynchronise) but keeps the documents
/// before it; duplicate keys are diagnostics, not exceptions.
/// </summary>
public static class YamlReader
{
    /// <summary>The deepest nesting accepted; deeper input is reported, not followed (no stack overflow).</summary>
    public const int MaxDepth = 64;

    public static IReadOnlyList<SourceDocument> Read(string file, string text, ICollection<Diagnostic> diagnostics)
    {
        var documents = new List<SourceDocument>();
        var parser = new Parser(new StringReader(text));
        var anchors = new Dictionary<string, SourceNode>(StringComparer.Ordinal);
        try
        {
            parser.Consume<StreamStart>();
            var index = 0;
            while (parser.TryConsume<DocumentStart>(out _))
            {
                anchors.Clear();
                var root = ReadNode(parser, file, anchors, diagnostics, 0);
                parser.Consume<DocumentEnd>();
                if (root is not null and not ScalarNode { Kind: ScalarKind.Null })
                {
                    documents.Add(new SourceDocument(file, index, root));
                }

                index++;
            }

            parser.Consume<StreamEnd>();
        }
        catch (YamlException ex)
        {
            var lines = text.Split('\n');
            var lastLine = text.EndsWith('\n') ? lines.Length - 1 : lines.Length;
            var line = Math.Max(1, (int)ex.Start.Line);
            var column = Math.Max(1, (int)ex.Start.Column);
            if (line > lastLine && lastLine >= 1)
            {
                (line, column) = (lastLine, lines[lastLine - 1].Length + 1); // "at the end of the file", not past it
            }

            diagnostics.Add(Diagnostic.Error(
                new SourceLocation(file, line, column),
                DiagnosticCodes.YamlSyntax,
                $"YAML syntax error: {Describe(ex)}; fix the YAML at this position (documents after it in this file were not read)"));
        }
        catch (Exception ex) when (ex is InvalidOperationException or ArgumentException or FormatException or OverflowException)
        {
            // YamlDotNet's scanner throws these on some malformed input instead of a YamlException.
            var mark = parser.Current?.Start;
            diagnostics.Add(Diagnostic.Error(
                new SourceLocation(file, Math.Max(1, (int)(mark?.Line ?? 1)), Math.Max(1, (int)(mark?.Column ?? 1))),
                DiagnosticCodes.YamlSyntax,
                "YAML syntax error: the parser could not continue here; check indentation, quotes and brackets near this position (documents after it in this file were not read)"));
        }
        catch (DepthException ex)
        {
            diagnostics.Add(Diagnostic.Error(
                new SourceLocation(file, ex.Line, ex.Column),
                DiagnosticCodes.YamlSyntax,
                $"YAML nesting deeper than {MaxDepth} levels; flatten the document"));
        }

        return documents;
    }

    private static SourceNode? ReadNode(
        IParser parser, string file, Dictionary<string, SourceNode> anchors, ICollection<Diagnostic> diagnostics, int depth)
    {
        var current = parser.Current ?? throw new YamlException("unexpected end of the document");
        var line = (int)current.Start.Line;
        var column = (int)current.Start.Column;
        if (depth > MaxDepth)
        {
            throw new DepthException(line, column);
        }

        switch (current)
        {
            case AnchorAlias alias:
                parser.MoveNext();
                if (anchors.TryGetValue(alias.Value.Value, out var target))
                {
                    return target;
                }

                throw new YamlException(alias.Start, alias.End, $"the alias *{alias.Value.Value} names no anchor defined before it");

            case Scalar scalar:
            {
                parser.MoveNext();
                var kind = scalar.Style == ScalarStyle.Plain && scalar.Tag.IsEmpty
                    ? YamlScalars.Resolve(scalar.Value)
                    : ResolveTagged(scalar);
                var node = new ScalarNode(line, column, scalar.Value, kind)
                {
                    EndLine = (int)scalar.End.Line,
                    EndColumn = (int)scalar.End.Column,
                    Quote = scalar.Style switch
                    {
                        ScalarStyle.DoubleQuoted => '"',
                        ScalarStyle.SingleQuoted => '\'',
                        _ => null,
                    },
                };
                Remember(scalar.Anchor, node, anchors);
                return node;
            }

            case SequenceStart start:
            {
                parser.MoveNext();
                var node = new SequenceNode(line, column);
                Remember(start.Anchor, node, anchors);
                while (!parser.TryConsume<SequenceEnd>(out _))
                {
                    var item = ReadNode(parser, file, anchors, diagnostics, depth + 1);
                    if (item is not null)
                    {
                        node.Add(item);
                    }
                }

                return node;
            }

            case MappingStart start:
            {
                parser.MoveNext();
                var node = new MappingNode(line, column);
                Remember(start.Anchor, node, anchors);
                var seen = new Dictionary<string, ScalarNode>(StringComparer.Ordinal);
                while (!parser.TryConsume<MappingEnd>(out _))
                {
                    var keyNode = ReadNode(parser, file, anchors, diagnostics, depth + 1);
                    var value = ReadNode(parser, file, anchors, diagnostics, depth + 1);
                    if (keyNode is not ScalarNode key)
                    {
                        diagnostics.Add(Diagnostic.Error(
                            new SourceLocation(file, keyNode?.Line ?? line, keyNode?.Column ?? column),
                            DiagnosticCodes.YamlSyntax,
                            "a mapping key must be a plain string, not a list or mapping; rewrite the key"));
                        continue;
                    }

                    if (seen.TryGetValue(key.Value, out var first))
                    {
                        diagnostics.Add(Diagnostic.Error(
                            new SourceLocation(file, key.Line, key.Column),
                            DiagnosticCodes.DuplicateKey,
                            $"duplicate key \"{key.Value}\" (first defined at line {first.Line}, column {first.Column}); remove one of them"));
                        continue;
                    }

                    seen.Add(key.Value, key);
                    if (value is not null)
                    {
                        node.Add(key, value);
                    }
                }

                return node;
            }

            default:
                throw new YamlException(current.Start, current.End, $"unexpected {current.GetType().Name}");
        }
    }

    private static ScalarKind ResolveTagged(Scalar scalar)
    {
        if (scalar.Tag.IsEmpty)
        {
            return ScalarKind.String;
        }

        return scalar.Tag.Value switch
        {
            "tag:yaml.org,2002:int" => ScalarKind.Integer,
            "tag:yaml.org,2002:float" => ScalarKind.Float,
            "tag:yaml.org,2002:bool" => ScalarKind.Boolean,
            "tag:yaml.org,2002:null" => ScalarKind.Null,
            _ => ScalarKind.String,
        };
    }

    private static void Remember(AnchorName anchor, SourceNode node, Dictionary<string, SourceNode> anchors)
    {
        if (!anchor.IsEmpty)
        {
            anchors[anchor.Value] = node;
        }
    }

    private static string Describe(YamlException ex)
    {
        // YamlDotNet prefixes messages with "(Line: x, Col: y, Idx: z) - (…): "; the position is shown already.
        var message = ex.InnerException is YamlException inner ? inner.Message : ex.Message;
        var cut = message.LastIndexOf("): ", StringComparison.Ordinal);
        message = cut >= 0 ? message[(cut + 3)..] : message;
        return message.TrimEnd('.').Trim();
    }

    private sealed class DepthException(int line, int column) : Exception
    {
        public int Line { get; } = line;

        public int Column { get; } = column;
    }
}

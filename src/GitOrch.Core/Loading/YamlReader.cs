using GitOrch.Core.Diagnostics;
using YamlDotNet.Core;
using YamlDotNet.Core.Events;

namespace GitOrch.Core.Loading;

/// <summary>
/// Reads the documents of one YAML file into <see cref="SourceNode"/> trees, from the parser's
/// events. A syntax error ends the file (the parser cannot resynchronise) but keeps the documents
/// before it; duplicate keys are diagnostics, not exceptions.
/// Aliases share the anchored node rather than copying it, and every node is counted as if
/// expanded while the tree is built: a document that aliases would expand past
/// <see cref="InputLimits.MaxAliasNodes"/> nodes, or past <see cref="InputLimits.ObjectBytesCeiling"/>
/// bytes of JSON, stops there (a "billion laughs" costs its 10,000 nodes, never its billion).
/// </summary>
public static class YamlReader
{
    /// <summary>The deepest nesting accepted; deeper input is reported, not followed (no stack overflow).</summary>
    public const int MaxDepth = 64;

    /// <summary>Up to this many keys, a mapping's keys are checked for duplicates by a walk over its entries (no dictionary per mapping).</summary>
    private const int SmallMapping = 16;

    public static IReadOnlyList<SourceDocument> Read(string file, string text, ICollection<Diagnostic> diagnostics)
    {
        var documents = new List<SourceDocument>();
        var parser = new Parser(new StringReader(text));
        var anchors = new Dictionary<string, Anchored>(StringComparer.Ordinal);
        try
        {
            parser.Consume<StreamStart>();
            var index = 0;
            while (parser.TryConsume<DocumentStart>(out var start))
            {
                anchors.Clear();
                var budget = new Budget();
                var root = ReadNode(parser, file, anchors, diagnostics, 0, budget);
                var end = parser.Consume<DocumentEnd>();
                if (root is not null and not ScalarNode { Kind: ScalarKind.Null })
                {
                    documents.Add(new SourceDocument(file, index, root)
                    {
                        JsonBytes = budget.Bytes,
                        TextStart = (int)start.Start.Index,
                        TextEnd = (int)Math.Max(start.Start.Index, end.End.Index),
                    });
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
        catch (BudgetException ex)
        {
            diagnostics.Add(Diagnostic.Error(new SourceLocation(file, ex.Line, ex.Column), ex.Code, ex.Message));
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
        IParser parser, string file, Dictionary<string, Anchored> anchors, ICollection<Diagnostic> diagnostics, int depth, Budget budget)
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
                    if (target.Nodes < 0)
                    {
                        throw new BudgetException(line, column, DiagnosticCodes.AliasExpansion,
                            $"the alias *{alias.Value.Value} is inside the node its anchor names, so it would expand forever; remove the alias");
                    }

                    budget.Aliased(target.Nodes, target.Bytes, line, column, alias.Value.Value);
                    return target.Node;
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
                var bytes = JsonBytes(scalar.Value, kind);
                budget.Add(1, bytes, line, column);
                if (!scalar.Anchor.IsEmpty)
                {
                    anchors[scalar.Anchor.Value] = new Anchored(node, 1, bytes);
                }

                return node;
            }

            case SequenceStart start:
            {
                parser.MoveNext();
                var node = new SequenceNode(line, column);
                var (nodes, bytes) = (budget.Nodes, budget.Bytes);
                Begin(start.Anchor, node, anchors);
                budget.Add(1, 2, line, column); // [ ]
                while (!parser.TryConsume<SequenceEnd>(out _))
                {
                    var item = ReadNode(parser, file, anchors, diagnostics, depth + 1, budget);
                    if (item is not null)
                    {
                        budget.Add(0, node.Items.Count > 0 ? 1 : 0, line, column); // ,
                        node.Add(item);
                    }
                }

                End(start.Anchor, node, anchors, budget.Nodes - nodes, budget.Bytes - bytes);
                return node;
            }

            case MappingStart start:
            {
                parser.MoveNext();
                var node = new MappingNode(line, column);
                var (nodes, bytes) = (budget.Nodes, budget.Bytes);
                Begin(start.Anchor, node, anchors);
                budget.Add(1, 2, line, column); // { }
                Dictionary<string, ScalarNode>? seen = null; // for a large mapping; a small one is searched in place
                while (!parser.TryConsume<MappingEnd>(out _))
                {
                    var keyNode = ReadNode(parser, file, anchors, diagnostics, depth + 1, budget);
                    var value = ReadNode(parser, file, anchors, diagnostics, depth + 1, budget);
                    budget.Add(0, node.Entries.Count > 0 ? 2 : 1, line, column); // : and ,
                    if (keyNode is not ScalarNode key)
                    {
                        diagnostics.Add(Diagnostic.Error(
                            new SourceLocation(file, keyNode?.Line ?? line, keyNode?.Column ?? column),
                            DiagnosticCodes.YamlSyntax,
                            "a mapping key must be a plain string, not a list or mapping; rewrite the key"));
                        continue;
                    }

                    if (seen is null && node.Entries.Count >= SmallMapping)
                    {
                        seen = new Dictionary<string, ScalarNode>(StringComparer.Ordinal);
                        foreach (var (k, _) in node.Entries)
                        {
                            seen.Add(k.Value, k);
                        }
                    }

                    if ((seen is not null ? seen.GetValueOrDefault(key.Value) : node.Entry(key.Value)?.Key) is { } first)
                    {
                        diagnostics.Add(Diagnostic.Error(
                            new SourceLocation(file, key.Line, key.Column),
                            DiagnosticCodes.DuplicateKey,
                            $"duplicate key \"{key.Value}\" (first defined at line {first.Line}, column {first.Column}); remove one of them"));
                        continue;
                    }

                    if (value is not null)
                    {
                        seen?.Add(key.Value, key);
                        node.Add(key, value);
                    }
                }

                End(start.Anchor, node, anchors, budget.Nodes - nodes, budget.Bytes - bytes);
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

    /// <summary>An anchor defined, then completed: its node and its expanded size (-1 nodes while it is still being read).</summary>
    private static void Begin(AnchorName anchor, SourceNode node, Dictionary<string, Anchored> anchors)
    {
        if (!anchor.IsEmpty)
        {
            anchors[anchor.Value] = new Anchored(node, -1, 0);
        }
    }

    private static void End(AnchorName anchor, SourceNode node, Dictionary<string, Anchored> anchors, long nodes, long bytes)
    {
        if (!anchor.IsEmpty && anchors.TryGetValue(anchor.Value, out var current) && ReferenceEquals(current.Node, node))
        {
            anchors[anchor.Value] = new Anchored(node, nodes, bytes);
        }
    }

    /// <summary>The bytes a scalar takes in compact JSON: quoted and escaped for strings, as written for the rest.</summary>
    internal static long JsonBytes(string value, ScalarKind kind)
    {
        if (kind != ScalarKind.String)
        {
            return kind == ScalarKind.Null ? 4 : Math.Max(1, value.Length);
        }

        long bytes = 2;
        foreach (var c in value)
        {
            bytes += c switch
            {
                '"' or '\\' or '\n' or '\r' or '\t' or '\b' or '\f' => 2,
                < ' ' => 6,
                < (char)0x80 => 1,
                < (char)0x800 => 2,
                _ when char.IsSurrogate(c) => 2, // a pair is 4 bytes of UTF-8
                _ => 3,
            };
        }

        return bytes;
    }

    private sealed record Anchored(SourceNode Node, long Nodes, long Bytes);

    /// <summary>A document's size as if every alias were expanded, and where it must stop.</summary>
    private sealed class Budget
    {
        private (int Line, int Column, string Name)? _firstAlias;

        public long Nodes { get; private set; }

        public long Bytes { get; private set; }

        public void Add(long nodes, long bytes, int line, int column)
        {
            Nodes += nodes;
            Bytes += bytes;
            Check(line, column);
        }

        public void Aliased(long nodes, long bytes, int line, int column, string name)
        {
            _firstAlias ??= (line, column, name);
            Nodes += nodes;
            Bytes += bytes;
            Check(line, column);
        }

        private void Check(int line, int column)
        {
            if (Nodes > InputLimits.MaxAliasNodes && _firstAlias is { } first)
            {
                throw new BudgetException(line, column, DiagnosticCodes.AliasExpansion,
                    $"YAML aliases expand this document to more than {InputLimits.MaxAliasNodes} nodes (an alias bomb; the first alias is *{first.Name} at line {first.Line}, column {first.Column}); write the values out or use fewer aliases (documents after it in this file were not read)");
            }

            if (Bytes > InputLimits.ObjectBytesCeiling)
            {
                throw new BudgetException(line, column, DiagnosticCodes.ObjectTooLarge,
                    $"this document is larger than {InputLimits.ObjectBytesCeiling} bytes as JSON (the most any ClusterPolicy may allow), so reading stopped here; split the object (documents after it in this file were not read)");
            }
        }
    }

    private sealed class BudgetException(int line, int column, string code, string message) : Exception(message)
    {
        public int Line { get; } = line;

        public int Column { get; } = column;

        public string Code { get; } = code;
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

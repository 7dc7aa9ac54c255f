namespace GitOrch.Core.Loading;

/// <summary>
/// A YAML node with its position. GitOrch keeps its own small tree (rather than YamlDotNet's
/// representation model) so that every key and value has a line and column, duplicate keys are
/// reported instead of thrown, and one bad document does not lose the others.
/// </summary>
public abstract class SourceNode
{
    protected SourceNode(int line, int column)
    {
        Line = line;
        Column = column;
    }

    /// <summary>1-based line of the node's first character.</summary>
    public int Line { get; }

    /// <summary>1-based column of the node's first character.</summary>
    public int Column { get; }

    /// <summary>What the node is, for messages: "a mapping", "a list", "the string \"x\"".</summary>
    public abstract string Describe();
}

/// <summary>A YAML mapping; entries keep their order and their keys' positions.</summary>
public sealed class MappingNode(int line, int column) : SourceNode(line, column)
{
    private readonly List<KeyValuePair<ScalarNode, SourceNode>> _entries = [];

    public IReadOnlyList<KeyValuePair<ScalarNode, SourceNode>> Entries => _entries;

    internal void Add(ScalarNode key, SourceNode value) => _entries.Add(new(key, value));

    /// <summary>The value under <paramref name="key"/>, or null.</summary>
    public SourceNode? this[string key] => Entry(key)?.Value;

    /// <summary>The entry under <paramref name="key"/> (key node and value), or null.</summary>
    public KeyValuePair<ScalarNode, SourceNode>? Entry(string key)
    {
        foreach (var e in _entries)
        {
            if (e.Key.Value == key)
            {
                return e;
            }
        }

        return null;
    }

    public override string Describe() => "a mapping";
}

/// <summary>A YAML sequence.</summary>
public sealed class SequenceNode(int line, int column) : SourceNode(line, column)
{
    private readonly List<SourceNode> _items = [];

    public IReadOnlyList<SourceNode> Items => _items;

    internal void Add(SourceNode item) => _items.Add(item);

    public override string Describe() => "a list";
}

/// <summary>A YAML scalar with its resolved type (YAML 1.2 core schema for plain scalars).</summary>
public sealed class ScalarNode(int line, int column, string value, ScalarKind kind) : SourceNode(line, column)
{
    public string Value { get; } = value;

    /// <summary>1-based line just after the scalar's last character (with EndColumn: an exclusive end).</summary>
    public int EndLine { get; init; } = line;

    /// <summary>1-based column just after the scalar's last character.</summary>
    public int EndColumn { get; init; } = column;

    public ScalarKind Kind { get; } = kind;

    /// <summary>How the value was quoted in the file: '"', '\'' or null (plain or block), so that an edit can keep the file's own style.</summary>
    public char? Quote { get; init; }

    public override string Describe() => Kind switch
    {
        ScalarKind.Null => "null",
        ScalarKind.String => $"the string \"{Value}\"",
        ScalarKind.Boolean => $"the boolean {Value}",
        _ => $"the number {Value}",
    };
}

/// <summary>The type a scalar resolves to.</summary>
public enum ScalarKind
{
    String,
    Integer,
    Float,
    Boolean,
    Null,
}

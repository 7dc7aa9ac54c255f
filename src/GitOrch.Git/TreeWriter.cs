using System.Buffers;
using System.Text;
using LibGit2Sharp;

namespace GitOrch.Git;

/// <summary>
/// The tree of a run of commits, kept from one commit to the next: a folder is read from the object
/// database the first time a path goes through it and then kept, and each commit writes only the
/// folders its files changed, as git tree objects (entries in git's order). LibGit2Sharp's tree
/// definition read a folder again, making a few objects and marshalling a name for each of its
/// entries, every time a commit's path went through it; a mirror folder holds a namespace's objects
/// of one kind, thousands of them, and a run writes up to hundreds of one-file commits.
/// </summary>
internal sealed class TreeWriter
{
    private readonly Folder _root;

    private TreeWriter(Folder root) => _root = root;

    /// <summary>Starts from the tree <paramref name="tree"/> (null: an empty tree).</summary>
    public static TreeWriter From(ObjectId? tree) => new(new Folder(tree));

    /// <summary>Sets the file at <paramref name="path"/> (folders separated by '/') to the blob <paramref name="blob"/>, making the folders it needs.</summary>
    public void Set(Repository repo, string path, ObjectId blob)
    {
        var names = Split(path);
        var folder = _root;
        for (var i = 0; i < names.Length - 1; i++)
        {
            folder.Id = null;
            var entries = folder.Entries(repo);
            if (!entries.TryGetValue(names[i], out var entry) || entry.Mode != Mode.Directory)
            {
                // Missing, or a file where a folder must go: a new folder takes its place.
                entry = new Entry(names[i], Mode.Directory, null) { Folder = new Folder(null) };
                entries[names[i]] = entry;
            }

            folder = entry.Folder ??= new Folder(entry.Id);
        }

        folder.Id = null;
        folder.Entries(repo)[names[^1]] = new Entry(names[^1], Mode.NonExecutableFile, blob);
    }

    /// <summary>Removes the file or folder at <paramref name="path"/> if there is one; a folder left empty goes too, as git keeps none.</summary>
    public void Remove(Repository repo, string path)
    {
        var names = Split(path);
        var chain = new List<Folder>(names.Length) { _root };
        for (var i = 0; i < names.Length - 1; i++)
        {
            if (!chain[^1].Entries(repo).TryGetValue(names[i], out var entry) || entry.Mode != Mode.Directory)
            {
                return; // Nothing there.
            }

            chain.Add(entry.Folder ??= new Folder(entry.Id));
        }

        if (!chain[^1].Entries(repo).Remove(names[^1]))
        {
            return;
        }

        for (var i = chain.Count - 1; i >= 0; i--)
        {
            chain[i].Id = null;
            if (i > 0 && chain[i].Entries(repo).Count == 0)
            {
                chain[i - 1].Entries(repo).Remove(names[i - 1]);
            }
        }
    }

    /// <summary>Writes every folder changed since the last write (each before the folder holding it) and returns the root tree.</summary>
    public Tree Write(Repository repo) => repo.Lookup<Tree>(_root.Write(repo)) ?? throw new GitException("the tree just written cannot be read back", 1, string.Empty);

    private static string[] Split(string path)
    {
        var names = path.Split('/');
        foreach (var name in names)
        {
            // What git refuses in a tree (fsck: empty name, ".", "..", ".git", a NUL), and text
            // with no UTF-8 form (a lone surrogate), which two names could share.
            if (name.Length == 0 || name is "." or ".." || name.Contains('\0', StringComparison.Ordinal) || name.Equals(".git", StringComparison.OrdinalIgnoreCase)
                || !IsWholeText(name))
            {
                throw new ArgumentException($"'{path}' is not a path a git tree can hold", nameof(path));
            }
        }

        return names;
    }

    /// <summary>Whether <paramref name="text"/> is well-formed UTF-16 (no lone surrogate), so that it has one UTF-8 form.</summary>
    private static bool IsWholeText(string text)
    {
        for (var i = 0; i < text.Length;)
        {
            if (Rune.DecodeFromUtf16(text.AsSpan(i), out _, out var used) != OperationStatus.Done)
            {
                return false;
            }

            i += used;
        }

        return true;
    }

    /// <summary>One folder: its entries by name once read, and its tree id while unchanged since read or written.</summary>
    private sealed class Folder(ObjectId? id)
    {
        private Dictionary<string, Entry>? _entries;

        /// <summary>The folder's tree as last read or written; null once changed.</summary>
        public ObjectId? Id { get; set; } = id;

        // The tree the folder was read from (null: new).
        private readonly ObjectId? _source = id;

        public Dictionary<string, Entry> Entries(Repository repo)
        {
            if (_entries is null)
            {
                _entries = new Dictionary<string, Entry>(StringComparer.Ordinal);
                if (_source is not null)
                {
                    var tree = repo.Lookup<Tree>(_source) ?? throw new GitException($"tree {_source} is missing from the repository", 1, string.Empty);
                    foreach (var entry in tree)
                    {
                        _entries[entry.Name] = new Entry(entry.Name, entry.Mode, entry.Target.Id);
                    }
                }
            }

            return _entries;
        }

        public ObjectId Write(Repository repo)
        {
            if (Id is { } unchanged)
            {
                return unchanged;
            }

            var sorted = new List<Entry>(Entries(repo).Values);
            var size = 0;
            foreach (var entry in sorted)
            {
                if (entry.Folder is { } folder)
                {
                    entry.Id = folder.Write(repo);
                }

                size += entry.ModeText.Length + 1 + entry.NameBytes.Length + 1 + 20;
            }

            sorted.Sort(GitOrder);
            var data = new byte[size];
            var at = 0;
            foreach (var entry in sorted)
            {
                entry.ModeText.CopyTo(data, at);
                at += entry.ModeText.Length;
                data[at++] = (byte)' ';
                entry.NameBytes.CopyTo(data, at);
                at += entry.NameBytes.Length;
                data[at++] = 0;
                entry.Id!.RawId.CopyTo(data, at);
                at += 20;
            }

            Id = repo.ObjectDatabase.Write<Tree>(data);
            return Id;
        }

        /// <summary>Git's order: by the names' bytes, a folder's name read as if it ended in '/'.</summary>
        private static int GitOrder(Entry a, Entry b)
        {
            var x = a.NameBytes;
            var y = b.NameBytes;
            var common = Math.Min(x.Length, y.Length);
            var cmp = x.AsSpan(0, common).SequenceCompareTo(y.AsSpan(0, common));
            if (cmp != 0)
            {
                return cmp;
            }

            static int Next(byte[] name, int at, Mode mode) => at < name.Length ? name[at] : mode == Mode.Directory ? '/' : 0;
            return Next(x, common, a.Mode).CompareTo(Next(y, common, b.Mode));
        }
    }

    /// <summary>A folder's entry: a file, link or submodule by id, or a folder (by id until read).</summary>
    private sealed class Entry(string name, Mode mode, ObjectId? id)
    {
        private static readonly byte[] FileMode = "100644"u8.ToArray();
        private static readonly byte[] FolderMode = "40000"u8.ToArray();

        public Mode Mode { get; } = mode;

        public byte[] NameBytes { get; } = Encoding.UTF8.GetBytes(name);

        public byte[] ModeText => Mode switch
        {
            Mode.NonExecutableFile => FileMode,
            Mode.Directory => FolderMode,
            _ => Encoding.ASCII.GetBytes(Convert.ToString((int)Mode, 8)),
        };

        /// <summary>The blob, link or tree; a changed folder's is set when it is written.</summary>
        public ObjectId? Id { get; set; } = id;

        /// <summary>The folder, once a path went through it.</summary>
        public Folder? Folder { get; set; }
    }
}

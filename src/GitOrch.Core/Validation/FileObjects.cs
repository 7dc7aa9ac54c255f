using System.Collections;
using GitOrch.Core.Loading;

namespace GitOrch.Core.Validation;

/// <summary>
/// Every object of a commit's files, in file order, as one read-only list over the files' own
/// lists: a one-file commit in a repo of 10,000 objects does not copy them all into a new list.
/// </summary>
internal sealed class FileObjects : IReadOnlyList<LoadedObject>
{
    private readonly IReadOnlyList<LoadedObject>[] _files;
    private readonly int[] _starts; // index of each file's first object

    public FileObjects(IReadOnlyList<FileLoadResult> files)
    {
        _files = new IReadOnlyList<LoadedObject>[files.Count];
        _starts = new int[files.Count];
        var count = 0;
        for (var i = 0; i < files.Count; i++)
        {
            _files[i] = files[i].Objects;
            _starts[i] = count;
            count += _files[i].Count;
        }

        Count = count;
    }

    public int Count { get; }

    public LoadedObject this[int index]
    {
        get
        {
            ArgumentOutOfRangeException.ThrowIfNegative(index);
            ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(index, Count);
            // The last file that starts at or before the index and holds an object.
            var file = Array.BinarySearch(_starts, index);
            if (file < 0)
            {
                file = ~file - 1;
            }
            else
            {
                while (_files[file].Count == 0)
                {
                    file++;
                }
            }

            return _files[file][index - _starts[file]];
        }
    }

    public IEnumerator<LoadedObject> GetEnumerator()
    {
        foreach (var file in _files)
        {
            for (var i = 0; i < file.Count; i++)
            {
                yield return file[i];
            }
        }
    }

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();
}

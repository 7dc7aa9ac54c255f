using System.Text;

namespace GitOrch.Agent.Pods;

/// <summary>A container's log file, rotated at a size limit (file, file.1, … file.N).</summary>
public sealed class RotatingLog : IDisposable
{
    private readonly string _path;
    private readonly long _limit;
    private readonly int _keep;
    private readonly Lock _gate = new();
    private FileStream _stream;

    public RotatingLog(string path, long limitBytes = 10 * 1024 * 1024, int keep = 3)
    {
        _path = path;
        _limit = limitBytes;
        _keep = keep;
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        _stream = Open();
    }

    public string FilePath => _path;

    public void WriteLine(string stream, string line)
    {
        var bytes = Encoding.UTF8.GetBytes($"{DateTimeOffset.UtcNow:yyyy-MM-ddTHH:mm:ss.fffZ} {stream} {line}\n");
        lock (_gate)
        {
            if (_stream.Length + bytes.Length > _limit)
            {
                Rotate();
            }

            _stream.Write(bytes);
            _stream.Flush();
        }
    }

    /// <summary>
    /// Rotates a log file that a process appends to (O_APPEND) when it passes the limit: copies it to
    /// file.1 (shifting older ones) and truncates it in place, so the writer keeps its descriptor.
    /// </summary>
    public static bool RotateIfLarge(string path, long limitBytes = 10 * 1024 * 1024, int keep = 3)
    {
        var info = new FileInfo(path);
        if (!info.Exists || info.Length <= limitBytes)
        {
            return false;
        }

        for (var i = keep - 1; i >= 2; i--)
        {
            if (File.Exists($"{path}.{i - 1}"))
            {
                File.Move($"{path}.{i - 1}", $"{path}.{i}", overwrite: true);
            }
        }

        File.Copy(path, $"{path}.1", overwrite: true);
        using var truncate = new FileStream(path, FileMode.Open, FileAccess.Write, FileShare.ReadWrite);
        truncate.SetLength(0);
        return true;
    }

    /// <summary>The last <paramref name="lines"/> lines, across rotated files.</summary>
    public static IReadOnlyList<string> Tail(string path, int lines)
    {
        var result = new List<string>();
        foreach (var file in new[] { path }.Concat(Enumerable.Range(1, 9).Select(i => $"{path}.{i}")).Where(File.Exists))
        {
            string[] content;
            try
            {
                using var stream = new FileStream(file, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
                using var reader = new StreamReader(stream);
                content = reader.ReadToEnd().Split('\n', StringSplitOptions.RemoveEmptyEntries);
            }
            catch (IOException)
            {
                continue;
            }

            result.InsertRange(0, content);
            if (result.Count >= lines)
            {
                break;
            }
        }

        return result.Skip(Math.Max(0, result.Count - lines)).ToList();
    }

    /// <summary>
    /// The last <paramref name="lines"/> lines written to the log since it was <paramref name="offset"/>
    /// bytes long (one run's output, not the runs before it). A log that rotated since then is
    /// read whole from its new start.
    /// </summary>
    public static IReadOnlyList<string> TailSince(string path, long offset, int lines)
    {
        string text;
        try
        {
            using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
            stream.Position = stream.Length >= offset ? offset : 0;
            using var reader = new StreamReader(stream);
            text = reader.ReadToEnd();
        }
        catch (IOException)
        {
            return [];
        }

        var all = text.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        return all.Skip(Math.Max(0, all.Length - lines)).ToList();
    }

    /// <summary>The log's length now: where the next run's output starts.</summary>
    public static long LengthOf(string path) => File.Exists(path) ? new FileInfo(path).Length : 0;

    private void Rotate()
    {
        _stream.Dispose();
        for (var i = _keep - 1; i >= 1; i--)
        {
            var from = i == 1 ? _path : $"{_path}.{i - 1}";
            if (File.Exists(from))
            {
                File.Move(from, $"{_path}.{i}", overwrite: true);
            }
        }

        _stream = Open();
        _stream.SetLength(0);
    }

    private FileStream Open() => new(_path, Storage.StateFiles.PrivateWrite(FileMode.Append, FileAccess.Write, FileShare.ReadWrite));

    public void Dispose()
    {
        lock (_gate)
        {
            _stream.Dispose();
        }
    }
}

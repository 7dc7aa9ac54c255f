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
    /// The most of a log that one read takes into memory: a container writes its log itself, as
    /// fast as it likes, and the file can pass its rotation limit by far before the next rotation,
    /// so a read takes the newest bytes up to this bound, never the whole file.
    /// </summary>
    public const int ReadLimitBytes = 8 * 1024 * 1024;

    /// <summary>
    /// Rotates a log file that a process appends to (O_APPEND) when it passes the limit: copies it
    /// to file.1 (shifting older ones) and truncates it in place, so the writer keeps its
    /// descriptor. Of a file that grew far past the limit between two rotations, the copy keeps the
    /// newest <paramref name="copyLimitBytes"/> (from a line's start where there is one), so such a
    /// burst costs no more disk than that.
    /// </summary>
    public static bool RotateIfLarge(string path, long limitBytes = 10 * 1024 * 1024, int keep = 3, long copyLimitBytes = 32 * 1024 * 1024)
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

        using (var source = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite))
        using (var copy = new FileStream($"{path}.1", Storage.StateFiles.PrivateWrite(FileMode.Create, FileAccess.Write, FileShare.Read)))
        {
            var length = source.Length;
            source.Position = StartOfNewest(source, length, copyLimitBytes);
            var left = length - source.Position;
            var buffer = new byte[81920];
            while (left > 0 && source.Read(buffer, 0, (int)Math.Min(buffer.Length, left)) is > 0 and var read)
            {
                copy.Write(buffer, 0, read);
                left -= read;
            }
        }

        using var truncate = new FileStream(path, FileMode.Open, FileAccess.Write, FileShare.ReadWrite);
        truncate.SetLength(0);
        return true;
    }

    /// <summary>
    /// The last <paramref name="lines"/> lines, across rotated files, from at most
    /// <paramref name="maxBytes"/> of their newest bytes (a line cut by that bound is left out).
    /// </summary>
    public static IReadOnlyList<string> Tail(string path, int lines, int maxBytes = ReadLimitBytes)
    {
        var result = new List<string>();
        long budget = maxBytes;
        foreach (var file in new[] { path }.Concat(Enumerable.Range(1, 9).Select(i => $"{path}.{i}")).Where(File.Exists))
        {
            if (budget <= 0)
            {
                break;
            }

            try
            {
                using var stream = new FileStream(file, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
                var (content, read) = ReadNewest(stream, from: 0, budget, lines - result.Count);
                budget -= read;
                result.InsertRange(0, content);
            }
            catch (IOException)
            {
                continue;
            }

            if (result.Count >= lines)
            {
                break;
            }
        }

        return result; // Each file gave at most the lines still wanted.
    }

    /// <summary>
    /// The last <paramref name="lines"/> lines written to the log since it was <paramref name="offset"/>
    /// bytes long (one run's output, not the runs before it), from at most <paramref name="maxBytes"/>
    /// of its newest bytes. A log that rotated since then is read from its new start.
    /// </summary>
    public static IReadOnlyList<string> TailSince(string path, long offset, int lines, int maxBytes = ReadLimitBytes)
    {
        try
        {
            using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
            return ReadNewest(stream, from: stream.Length >= offset ? offset : 0, maxBytes, lines).Lines;
        }
        catch (IOException)
        {
            return [];
        }
    }

    /// <summary>
    /// The last <paramref name="lines"/> lines (or fewer) in the newest <paramref name="maxBytes"/>
    /// of a file after <paramref name="from"/>, and how many bytes that read. It reads from the end,
    /// 64 KB first and four times more each time until it has the lines or reaches the bound, so
    /// asking for a few lines of a large log reads little. When the bound cuts into a line, that
    /// partial line is dropped.
    /// </summary>
    private static (string[] Lines, long Read) ReadNewest(FileStream stream, long from, long maxBytes, int lines)
    {
        var length = stream.Length;
        var floor = Math.Max(from, length - maxBytes);
        for (long window = 64 * 1024; ; window *= 4)
        {
            var start = Math.Max(floor, length - window);
            var bytes = new byte[(int)(length - start)];
            stream.Position = start;
            stream.ReadExactly(bytes);
            var text = Encoding.UTF8.GetString(bytes);
            if (start > from && !PrecededByNewline(stream, start))
            {
                var newline = text.IndexOf('\n', StringComparison.Ordinal);
                text = newline < 0 ? string.Empty : text[(newline + 1)..];
            }

            var all = text.Split('\n', StringSplitOptions.RemoveEmptyEntries);
            if (all.Length >= lines || start == floor)
            {
                return (all.Length > lines ? all[^lines..] : all, bytes.Length);
            }
        }
    }

    private static bool PrecededByNewline(FileStream stream, long at)
    {
        stream.Position = at - 1;
        return stream.ReadByte() == '\n';
    }

    /// <summary>Where the newest <paramref name="limitBytes"/> of a file start, moved on to a line's start when one is within them.</summary>
    private static long StartOfNewest(FileStream stream, long length, long limitBytes)
    {
        var start = Math.Max(0, length - limitBytes);
        if (start == 0 || PrecededByNewline(stream, start))
        {
            return start;
        }

        // A line start is looked for before the last byte: a newline there ends the file, and
        // starting after it would keep nothing.
        var buffer = new byte[65536];
        for (var at = start; at < length - 1;)
        {
            stream.Position = at;
            var read = stream.Read(buffer, 0, (int)Math.Min(buffer.Length, length - 1 - at));
            if (read <= 0)
            {
                break;
            }

            var newline = Array.IndexOf(buffer, (byte)'\n', 0, read);
            if (newline >= 0)
            {
                return at + newline + 1;
            }

            at += read;
        }

        return start; // One line longer than the limit: its newest part (its first character may be cut).
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

using System.Globalization;
using Grpc.Core;

namespace GitOrch.Controller.Replication;

/// <summary>
/// What the journal and its snapshots share about etcd: values larger than a request may carry go
/// in numbered parts (<c>PREFIX/000000</c>, <c>PREFIX/000001</c>, ...) of at most
/// <see cref="EtcdJournal.MaxPart"/> bytes, and which failures mean etcd does not answer.
/// </summary>
internal static class EtcdParts
{
    public static int Count(int length) => Math.Max(1, (length + EtcdJournal.MaxPart - 1) / EtcdJournal.MaxPart);

    public static string Key(string prefix, int part) => prefix + part.ToString("D6", CultureInfo.InvariantCulture);

    public static Google.Protobuf.ByteString Slice(byte[] bytes, int part) =>
        Google.Protobuf.ByteString.CopyFrom(bytes, part * EtcdJournal.MaxPart, Math.Min(EtcdJournal.MaxPart, bytes.Length - (part * EtcdJournal.MaxPart)));

    /// <summary>etcd did not answer (or not in time); a cancellation of <paramref name="stopping"/> is a stop, not an outage.</summary>
    public static bool IsUnreachable(Exception ex, CancellationToken stopping = default) =>
        ex is RpcException or IOException or HttpRequestException || (ex is OperationCanceledException && !stopping.IsCancellationRequested);
}

using System.Text.Json;
using dotnet_etcd;
using Etcdserverpb;
using GitOrch.Contracts.Trust;
using GitOrch.Controller.Trust;
using Google.Protobuf;

namespace GitOrch.Controller.Replication;

/// <summary>
/// One cluster, one CA: the first replica to start puts its CA (certificate and key) in etcd under
/// <c>PREFIX/pki/ca</c> if nothing is there; every replica writes etcd's CA into its
/// <c>STATE/pki/</c> before its trust opens, so each replica's API certificate is issued by the
/// same CA and every agent and CLI credential works against every replica. The key is as secret
/// as etcd: reach etcd only from the replicas (see docs/security.md).
/// </summary>
public static class SharedCa
{
    private sealed record CaPair(string Certificate, string Key);

    public static async Task EnsureAsync(EtcdClient client, string prefix, string stateDir, TimeProvider time, CancellationToken ct)
    {
        var key = ByteString.CopyFromUtf8(prefix + "pki/ca");
        var folder = Path.Combine(stateDir, ClusterPki.FolderName);
        var crtPath = Path.Combine(folder, "ca.crt");
        var keyPath = Path.Combine(folder, "ca.key");
        var existing = await client.GetAsync(new RangeRequest { Key = key }, deadline: DateTime.UtcNow.AddSeconds(5), cancellationToken: ct);
        if (existing.Kvs.Count == 0)
        {
            // Nothing in etcd yet: offer this replica's CA (created now if it has none).
            using (ClusterPki.LoadOrCreate(stateDir, ["localhost"], time))
            {
            }

            var mine = new CaPair(await File.ReadAllTextAsync(crtPath, ct), await File.ReadAllTextAsync(keyPath, ct));
            var offer = new TxnRequest();
            offer.Compare.Add(new Compare { Key = key, Target = Compare.Types.CompareTarget.Version, Result = Compare.Types.CompareResult.Equal, Version = 0 });
            offer.Success.Add(new RequestOp { RequestPut = new PutRequest { Key = key, Value = ByteString.CopyFrom(JsonSerializer.SerializeToUtf8Bytes(mine)) } });
            offer.Failure.Add(new RequestOp { RequestRange = new RangeRequest { Key = key } });
            var answer = await client.TransactionAsync(offer, deadline: DateTime.UtcNow.AddSeconds(5), cancellationToken: ct);
            if (answer.Succeeded)
            {
                return;
            }

            existing = answer.Responses[0].ResponseRange;
        }

        var pair = JsonSerializer.Deserialize<CaPair>(existing.Kvs[0].Value.Span)
            ?? throw new InvalidDataException($"{prefix}pki/ca in etcd is not a CA pair");
        SecureFiles.CreateFolder(folder);
        if (!File.Exists(crtPath) || (await File.ReadAllTextAsync(crtPath, ct)).Trim() != pair.Certificate.Trim())
        {
            SecureFiles.WriteAllText(keyPath, pair.Key);
            SecureFiles.WriteAllText(crtPath, pair.Certificate);
        }
    }
}

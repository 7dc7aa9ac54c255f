using System.Text.Json;

namespace GitOrch.Controller.Replication;

/// <summary>A controller replica as it registers itself in etcd: its name and the URLs it serves.</summary>
public sealed record ReplicaInfo(string Name, string? ApiUrl, string? AgentUrl, DateTimeOffset Since)
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    public string ToJson() => JsonSerializer.Serialize(this, Json);

    /// <summary>Reads an entry back; an entry that is not valid JSON of this shape yields null (etcd content is not trusted blindly).</summary>
    public static ReplicaInfo? Parse(string json)
    {
        try
        {
            return JsonSerializer.Deserialize<ReplicaInfo>(json, Json) is { Name.Length: > 0 } info ? info : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }
}

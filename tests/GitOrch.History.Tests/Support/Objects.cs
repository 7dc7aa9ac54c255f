using GitOrch.Core.Diagnostics;
using Newtonsoft.Json;
using Newtonsoft.Json.Linq;

namespace GitOrch.History.Tests.Support;

/// <summary>Realistic objects and batches for history tests.</summary>
public static class Objects
{
    public static readonly ObjectRef Web0 = new("Pod", "demo", "web-0");
    public static readonly ObjectRef Web1 = new("Pod", "demo", "web-1");
    public static readonly ObjectRef Policy = new("ClusterPolicy", string.Empty, "cluster");

    public const string Ada = "git/ada@example.com";
    public const string Bob = "git/bob@example.com";
    public const string Scheduler = "control-loop/scheduler";

    public static string Pod(ObjectRef pod, string image, string? node = null)
    {
        var obj = new JObject
        {
            ["apiVersion"] = "gitorch.dev/v1",
            ["kind"] = "Pod",
            ["metadata"] = new JObject { ["name"] = pod.Name, ["namespace"] = pod.Namespace },
            ["spec"] = new JObject
            {
                ["containers"] = new JArray(new JObject { ["name"] = "web", ["image"] = image }),
            },
        };
        if (node is not null)
        {
            obj["status"] = new JObject { ["nodeName"] = node };
        }

        return obj.ToString(Formatting.None);
    }

    public static string ClusterPolicy(int keepVersions) => new JObject
    {
        ["apiVersion"] = "gitorch.dev/v1",
        ["kind"] = "ClusterPolicy",
        ["metadata"] = new JObject { ["name"] = "cluster" },
        ["spec"] = new JObject { ["history"] = new JObject { ["keepVersions"] = keepVersions } },
    }.ToString(Formatting.None);

    public static CommitRecord Applied(string sha, string email = "ada@example.com", string subject = "a change") =>
        new(sha, CommitRecord.Applied, "Someone", email, subject, DateTimeOffset.FromUnixTimeSeconds(1_700_000_000), DateTimeOffset.FromUnixTimeSeconds(1_700_000_100), [], 0, null);

    public static ChangeBatch External(string sha, string email, string message, params ObjectChange[] changes) =>
        new(Changers.Git(email), ChangeKind.External, sha, message, email == "ada@example.com" ? "Ada Lovelace" : "Bob Builder", email, changes);

    public static ChangeBatch Mechanical(string loop, string? source, string message, params ObjectChange[] changes) =>
        new(Changers.Loop(loop), ChangeKind.Mechanical, source, message, loop, $"{loop}@gitorch.local", changes);

    public static ObjectChange Change(ObjectRef obj, string? json, params string[] fields) =>
        new(obj, json, fields, json is null ? null : $"apps/{obj.Name}.yaml");
}

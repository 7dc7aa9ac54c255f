using System.Text.Json.Nodes;
using GitOrch.Core.Diagnostics;
using GitOrch.Core.Manifests;

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
        var obj = new JsonObject
        {
            ["apiVersion"] = "gitorch.dev/v1",
            ["kind"] = "Pod",
            ["metadata"] = new JsonObject { ["name"] = pod.Name, ["namespace"] = pod.Namespace },
            ["spec"] = new JsonObject
            {
                ["containers"] = new JsonArray(new JsonObject { ["name"] = "web", ["image"] = image }),
            },
        };
        if (node is not null)
        {
            obj["status"] = new JsonObject { ["nodeName"] = node };
        }

        return obj.Write();
    }

    public static string ClusterPolicy(int keepVersions) => new JsonObject
    {
        ["apiVersion"] = "gitorch.dev/v1",
        ["kind"] = "ClusterPolicy",
        ["metadata"] = new JsonObject { ["name"] = "cluster" },
        ["spec"] = new JsonObject { ["history"] = new JsonObject { ["keepVersions"] = keepVersions } },
    }.Write();

    public static CommitRecord Applied(string sha, string email = "ada@example.com", string subject = "a change") =>
        new(sha, CommitRecord.Applied, "Someone", email, subject, DateTimeOffset.FromUnixTimeSeconds(1_700_000_000), DateTimeOffset.FromUnixTimeSeconds(1_700_000_100), [], 0, null);

    public static ChangeBatch External(string sha, string email, string message, params ObjectChange[] changes) =>
        new(Changers.Git(email), ChangeKind.External, sha, message, email == "ada@example.com" ? "Ada Lovelace" : "Bob Builder", email, changes);

    public static ChangeBatch Mechanical(string loop, string? source, string message, params ObjectChange[] changes) =>
        new(Changers.Loop(loop), ChangeKind.Mechanical, source, message, loop, $"{loop}@gitorch.local", changes);

    public static ObjectChange Change(ObjectRef obj, string? json, params string[] fields) =>
        new(obj, json, fields, json is null ? null : $"apps/{obj.Name}.yaml");
}

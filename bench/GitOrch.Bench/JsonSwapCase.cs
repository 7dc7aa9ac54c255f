using System.Text.Json.Nodes;
using GitOrch.Core.Diagnostics;
using GitOrch.Core.Loading;
using GitOrch.Core.Manifests;

namespace GitOrch.Bench;

/// <summary>
/// Newtonsoft.Json against System.Text.Json on the same stored object JSON, in one run: parse the
/// text to a tree, read the fields the controller reads (kind, name, namespace, a label, an env
/// value, an integer), set status.nodeName as the scheduler does, and write the text back.
/// </summary>
public static class JsonSwapCase
{
    public static List<(string Case, string Measured, string Target, string Verdict)> Run(int pods)
    {
        var texts = Enumerable.Range(0, pods)
            .Select(i => ((Newtonsoft.Json.Linq.JObject)SourceJson.ToJson(YamlReader.Read("x.yaml", RepoGenerator.Pod(i), new List<Diagnostic>())[0].Root)).ToString(Newtonsoft.Json.Formatting.None))
            .ToArray();
        var bytes = texts.Sum(t => (long)t.Length);

        // Same output first: the new path must write the bytes the old one wrote.
        var same = texts.Count(t => Old(t) == New(t));
        string[] tricky = ["é ü 中文 😀 <b>&amp;</b> 'q'", "tab\tnl\ncr\rff\fbs\bnul\u0000us\u001f", "nel\u0085 ls\u2028 ps\u2029", "quote\" back\\ slash/"];
        var trickySame = tricky.Count(s =>
            new Newtonsoft.Json.Linq.JObject { [s] = s }.ToString(Newtonsoft.Json.Formatting.None)
            == JsonNode.Parse(new Newtonsoft.Json.Linq.JObject { [s] = s }.ToString(Newtonsoft.Json.Formatting.None))!.ToJsonString(ManifestJson.Options)
            && new Newtonsoft.Json.Linq.JObject { [s] = s }.ToString(Newtonsoft.Json.Formatting.None) == new JsonObject { [s] = s }.ToJsonString(ManifestJson.Options));
        Console.WriteLine($"json swap: {same}/{pods} objects and {trickySame}/{tricky.Length} escaping probes written identically");

        var rows = new List<(string, string, string, string)>
        {
            ($"JSON swap: {pods:N0} stored pod objects ({bytes / 1e6:0.0} MB of JSON), same output", $"{same:N0}/{pods:N0} identical; escaping probes {trickySame}/{tricky.Length}", "all", same == pods && trickySame == tricky.Length ? "met" : "missed"),
        };
        var threads = Environment.ProcessorCount;
        var oldOne = Measure.Sync(Measure.Runs, () => { foreach (var t in texts) { Old(t); } });
        var newOne = Measure.Sync(Measure.Runs, () => { foreach (var t in texts) { New(t); } });
        var oldAll = Measure.Sync(Measure.Runs, () => Parallel.ForEach(texts, t => Old(t)));
        var newAll = Measure.Sync(Measure.Runs, () => Parallel.ForEach(texts, t => New(t)));
        rows.Add(("  parse + reads + write back, one thread: Newtonsoft.Json JObject", $"{oldOne} = {oldOne.Median.TotalMicroseconds / pods:0.0} µs/object", "-", "-"));
        rows.Add(("  parse + reads + write back, one thread: System.Text.Json JsonNode", $"{newOne} = {newOne.Median.TotalMicroseconds / pods:0.0} µs/object", "-", "-"));
        rows.Add(($"  parse + reads + write back, {threads} threads: Newtonsoft.Json JObject", oldAll.ToString(), "-", "-"));
        rows.Add(($"  parse + reads + write back, {threads} threads: System.Text.Json JsonNode", newAll.ToString(), "-", "-"));
        return rows;
    }

    private static string Old(string text)
    {
        var json = ManifestJson.Parse(text);
        var kind = (string?)json["kind"];
        var name = (string?)json["metadata"]?["name"];
        var ns = (string?)json["metadata"]?["namespace"];
        var app = (string?)json["metadata"]?["labels"]?["app"];
        var greeting = (string?)json["spec"]?["containers"]?[0]?["env"]?["GREETING"];
        var grace = (int?)json["spec"]?["terminationGracePeriodSeconds"];
        if (kind is null || name is null || ns is null || app is null || greeting is null || grace is null)
        {
            throw new InvalidOperationException("field missing");
        }

        json["status"] = new Newtonsoft.Json.Linq.JObject { ["nodeName"] = "node-" + (grace % 7) };
        return json.ToString(Newtonsoft.Json.Formatting.None);
    }

    private static string New(string text)
    {
        var json = JsonNode.Parse(text)!.AsObject();
        var kind = (string?)json["kind"];
        var name = (string?)json["metadata"]?["name"];
        var ns = (string?)json["metadata"]?["namespace"];
        var app = (string?)json["metadata"]?["labels"]?["app"];
        var greeting = (string?)json["spec"]?["containers"]?[0]?["env"]?["GREETING"];
        var grace = (int?)json["spec"]?["terminationGracePeriodSeconds"];
        if (kind is null || name is null || ns is null || app is null || greeting is null || grace is null)
        {
            throw new InvalidOperationException("field missing");
        }

        json["status"] = new JsonObject { ["nodeName"] = "node-" + (grace % 7) };
        return json.ToJsonString(ManifestJson.Options);
    }
}

using System.Text.Json.Nodes;
using GitOrch.Core.Manifests;

namespace GitOrch.Core.Tests.Manifests;

public class ManifestJsonTests
{
    /// <summary>(text, the JSON string stored versions have always had for it).</summary>
    public static TheoryData<string, string> Escapes => new()
    {
        { "plain", "\"plain\"" },
        { "é ü 中文 😀", "\"é ü 中文 😀\"" },
        { "<b>&amp;</b> 'q'", "\"<b>&amp;</b> 'q'\"" },
        { "quote\" back\\ slash/", "\"quote\\\" back\\\\ slash/\"" },
        { "tab\tnl\ncr\rff\fbs\b", "\"tab\\tnl\\ncr\\rff\\fbs\\b\"" },
        { "nul\u0000us\u001f", "\"nul\\u0000us\\u001f\"" },
        { "nel\u0085 ls\u2028 ps\u2029", "\"nel\\u0085 ls\\u2028 ps\\u2029\"" },
    };

    [Theory]
    [MemberData(nameof(Escapes))]
    public void Write_EscapesOnlyWhatStoredJsonEscaped_InValuesKeysAndParsedText(string text, string expected)
    {
        Assert.Equal(expected, JsonValue.Create(text).Write());
        Assert.Equal("{" + expected + ":" + expected + "}", new JsonObject { [text] = text }.Write());
        Assert.Equal("{" + expected + ":" + expected + "}", ManifestJson.Parse("{" + expected + ":" + expected + "}").Write());
    }

    [Theory]
    [InlineData("""{"a":1.0,"b":1.10,"c":100000000000000000000000,"d":-0.0,"e":1E+20,"f":"2026-11-30T16:12:45.589+00:00"}""")]
    [InlineData("""{"x":[1,2.5,true,false,null,{}],"y":{"z":[]}}""")]
    public void Parse_ThenWrite_GivesTheSameBytes(string json) => Assert.Equal(json, ManifestJson.Parse(json).Write());

    [Theory]
    [InlineData("""{"a": 1, "a": 2}""")]
    [InlineData("""{"x": {"a": 1, "a": 2}}""")]
    [InlineData("""[{"a": 1, "a": 2}]""")]
    public void Parse_RefusesAKeyGivenTwice_WithAJsonError(string json)
    {
        var error = Assert.ThrowsAny<System.Text.Json.JsonException>(() => ManifestJson.ParseToken(json));

        Assert.Contains("'a'", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(1.0, "1.0")]
    [InlineData(0.5, "0.5")]
    [InlineData(1e20, "1E+20")]
    [InlineData(-2.0, "-2.0")]
    [InlineData(double.NaN, "\"NaN\"")]
    [InlineData(double.PositiveInfinity, "\"Infinity\"")]
    public void Float_IsWrittenWithItsDecimalPoint(double value, string expected) => Assert.Equal(expected, ManifestJson.Float(value).Write());

    [Fact]
    public void Integers_MadeInMemoryOrParsed_AreEqual_AndReadAsAnyNumericType()
    {
        var parsed = ManifestJson.Parse("""{"n":3}""")["n"];
        Assert.True(JsonNode.DeepEquals(parsed, ManifestJson.Integer(3)));
        Assert.True(JsonNode.DeepEquals(parsed, JsonValue.Create(3)));
        Assert.True(JsonNode.DeepEquals(parsed, JsonValue.Create(3L)));
        Assert.Equal(3, (int)ManifestJson.Integer(3));
        Assert.Equal(3.0, (double)ManifestJson.Integer(3));
        Assert.Equal(3, parsed.AsInteger());
        Assert.Equal(3, JsonValue.Create(3).AsInteger());
        Assert.Null(ManifestJson.Float(3).AsInteger());
        Assert.Null(JsonValue.Create("3").AsInteger());
    }

    [Theory]
    [InlineData("""{"a":1}""", JsonScalar.Object)]
    [InlineData("""[1]""", JsonScalar.Array)]
    [InlineData("null", JsonScalar.Null)]
    [InlineData("true", JsonScalar.Boolean)]
    [InlineData("7", JsonScalar.Integer)]
    [InlineData("7.0", JsonScalar.Float)]
    [InlineData("7e3", JsonScalar.Float)]
    [InlineData("\"7\"", JsonScalar.String)]
    public void ScalarKind_TellsIntegersFromFloats(string json, JsonScalar expected) =>
        Assert.Equal(expected, ManifestJson.ParseToken(json).ScalarKind());

    [Fact]
    public void Bind_ReadsEnumNamesAsWritten_NumbersIntoStrings_AndIgnoresWhatRecordsDoNotModel()
    {
        var spec = ManifestJson.Parse("""
            {"runtime": "gvisor", "restartPolicy": "OnFailure", "availability": "best-effort", "unknown": 1,
             "containers": [{"name": "main", "image": "busybox:1.37", "env": {"A": 8080, "B": true, "C": 1.5}}]}
            """).Bind<PodSpec>()!;

        Assert.Equal(PodRuntime.Gvisor, spec.Runtime);
        Assert.Equal(RestartPolicy.OnFailure, spec.RestartPolicy);
        Assert.Equal(Availability.BestEffort, spec.Availability);
        Assert.Equal(new Dictionary<string, string> { ["A"] = "8080", ["B"] = "true", ["C"] = "1.5" }, spec.Containers[0].Env);
    }

    [Fact]
    public void ObjectOf_WritesEnumsAsInManifests_AndLeavesNullsOut()
    {
        var json = ManifestJson.ObjectOf(new PodSpec { Runtime = PodRuntime.Process, Availability = Availability.Ha, Containers = [] });

        Assert.Equal("process", (string?)json["runtime"]);
        Assert.Equal("ha", (string?)json["availability"]);
        Assert.False(json.ContainsKey("volumes"));
    }
}

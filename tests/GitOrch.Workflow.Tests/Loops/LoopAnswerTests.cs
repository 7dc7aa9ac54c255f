using System.Text.Json.Nodes;
using GitOrch.Core.Manifests;
using GitOrch.Workflow.Loops;

namespace GitOrch.Workflow.Tests.Loops;

/// <summary>Parsing what a loop answers; every error says what is wrong for the step's message.</summary>
public sealed class LoopAnswerTests
{
    [Fact]
    public void AValidAnswer_HasItsFieldsMessageAndRequeue()
    {
        var answer = LoopAnswer.TryParse("""{"set": {"status.volumes": [{"name": "data"}], "status.mounted": true}, "message": "mounted data", "requeueAfterSeconds": 2.5}""", out var error);

        Assert.Null(error);
        Assert.NotNull(answer);
        Assert.Equal(["status.volumes", "status.mounted"], answer.Set.Keys);
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse("""[{"name": "data"}]"""), answer.Set["status.volumes"]));
        Assert.Equal(JsonScalar.Boolean, answer.Set["status.mounted"]!.ScalarKind());
        Assert.Equal("mounted data", answer.Message);
        Assert.Equal(2.5, answer.RequeueAfterSeconds);
    }

    [Fact]
    public void AnAnswerWithoutSet_IsValid_AndSetsNothing()
    {
        var answer = LoopAnswer.TryParse("""{"message": "nothing to do"}""", out var error);

        Assert.Null(error);
        Assert.Empty(answer!.Set);
        Assert.Equal("nothing to do", answer.Message);
        Assert.Null(answer.RequeueAfterSeconds);
    }

    [Theory]
    [InlineData("")]
    [InlineData("  \n")]
    public void AnEmptyAnswer_IsTheEmptyAnswer(string text)
    {
        var answer = LoopAnswer.TryParse(text, out var error);

        Assert.Null(error);
        Assert.Same(LoopAnswer.Empty, answer);
        Assert.Empty(answer!.Set);
        Assert.Null(answer.Message);
    }

    [Fact]
    public void InvalidJson_IsAnError_SayingInvalidJson_AndQuotingTheOutput()
    {
        var answer = LoopAnswer.TryParse("mounted ok\n", out var error);

        Assert.Null(answer);
        Assert.StartsWith("answered with invalid JSON (", error, StringComparison.Ordinal);
        Assert.EndsWith("): mounted ok", error, StringComparison.Ordinal);
    }

    [Fact]
    public void ALongInvalidAnswer_IsQuotedShortened()
    {
        var text = "{" + new string('x', 300);

        LoopAnswer.TryParse(text, out var error);

        Assert.EndsWith("): {" + new string('x', 119) + "…", error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("""{"set": {"status.a": 1}, "set": {"status.b": 2}}""")]
    [InlineData("""{"set": {"status.a": 1, "status.a": 2}}""")]
    public void ADuplicateKey_IsAnError_NotACrash(string text)
    {
        var answer = LoopAnswer.TryParse(text, out var error);

        Assert.Null(answer);
        Assert.StartsWith("answered with invalid JSON (", error, StringComparison.Ordinal);
    }

    [Fact]
    public void ASetValueOfNull_IsKept_AsAFieldToClear()
    {
        var answer = LoopAnswer.TryParse("""{"set": {"status.podIP": null}}""", out var error);

        Assert.Null(error);
        Assert.True(answer!.Set.ContainsKey("status.podIP"));
        Assert.Null(answer.Set["status.podIP"]);
    }

    [Theory]
    [InlineData("[1, 2]", "Array", "[1, 2]")]
    [InlineData("null", "Null", "null")]
    [InlineData("\"done\"", "String", "\"done\"")]
    [InlineData("42", "Integer", "42")]
    public void AnAnswerThatIsNotAnObject_IsAnError_NamingWhatItIs(string text, string type, string quoted)
    {
        var answer = LoopAnswer.TryParse(text, out var error);

        Assert.Null(answer);
        Assert.Equal($"answered with {type} instead of a JSON object like {{\"set\": {{...}}, \"message\": \"...\"}}: {quoted}", error);
    }

    [Theory]
    [InlineData("""{"set": ["status.volumes"]}""")]
    [InlineData("""{"set": "status.volumes=1"}""")]
    [InlineData("""{"set": null}""")]
    public void SetThatIsNotAnObject_IsAnError(string text)
    {
        var answer = LoopAnswer.TryParse(text, out var error);

        Assert.Null(answer);
        Assert.Equal("answered with \"set\" that is not a JSON object of field paths to values", error);
    }
}

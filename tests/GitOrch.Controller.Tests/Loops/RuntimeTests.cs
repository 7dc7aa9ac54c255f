using GitOrch.Controller.Loops;
using GitOrch.Core.Manifests;

namespace GitOrch.Controller.Tests.Loops;

public class RuntimeTests
{
    private const string Spec = """{"runtime":"process","containers":[{"name":"main","command":["/bin/sh","-c","echo héllo <b> & 'x' 😀"],"env":{"RATIO":"1.10"},"resources":{"cpu":"500m","memory":"16Mi"}}],"terminationGracePeriodSeconds":10,"weight":1.0}""";

    /// <summary>
    /// A pod's generation is the SHA-256 of its canonical JSON (spec, podIP, ports). Agents restart a
    /// pod whose generation changes, so the same stored pod must hash the same in every release: the
    /// expected values are the hashes of the JSON text earlier releases wrote (non-ASCII, &lt;&gt;&amp;'
    /// and emoji unescaped, <c>1.0</c> kept as written).
    /// </summary>
    [Theory]
    [InlineData(""","status":{"podIP":"fd00::5","ports":{"http":30001}}""", "d14e869e2f8ac5af")]
    [InlineData("", "a1bff65d71f3fa04")]
    public void Assignment_Generation_IsTheHashOfTheJsonEarlierReleasesWrote(string status, string generation)
    {
        var pod = ManifestJson.Parse($$"""{"apiVersion":"gitorch.dev/v1","kind":"Pod","metadata":{"name":"web"},"spec":{{Spec}}{{status}}}""");

        var assignment = Runtime.Assignment("Pod/default/web", pod);

        Assert.Equal(generation, assignment.Generation);
        Assert.Equal(Spec, assignment.Spec.GetRawText());
    }
}

using GitOrch.Controller.Ui;
using GitOrch.Workflow.Analysis;

namespace GitOrch.Controller.Tests.Ui;

public sealed class WorkflowSvgTests
{
    private static UnitReport Unit(string name, string state, string[]? after = null, string[]? requires = null, string type = "step") =>
        new(name, type, "loop-" + name, state, null, null, null, 0, 0, 3, null, after ?? [], requires ?? [], [], []);

    private static WorkflowReport Report(UnitReport? blocking, params UnitReport[] units) =>
        new("Pod/demo/x", 7, null, "active", DateTimeOffset.UnixEpoch, blocking, [], units);

    [Fact]
    public void Render_OutlinesOnlyTheBlockingUnit()
    {
        var pull = Unit("image-pull", "waiting", after: ["scheduler"]);
        var svg = WorkflowSvg.Render(Report(pull, Unit("scheduler", "done"), pull, Unit("runtime", "waiting", after: ["image-pull"], requires: ["image-pull"]))).Value;

        Assert.Contains("class=\"unit s-waiting blocking\" data-unit=\"image-pull\"", svg, StringComparison.Ordinal);
        Assert.Single(svg.Split("blocking\" data-unit").Skip(1));
    }

    [Fact]
    public void Render_DrawsOrderingSolid_AndRequirementDashed_LikeGraph()
    {
        // b is ordered after a; c requires a without an ordering: a dashed edge, as `gitorch graph` draws it.
        var svg = WorkflowSvg.Render(Report(null, Unit("a", "done"), Unit("b", "done", after: ["a"]), Unit("c", "done", requires: ["a"]))).Value;

        Assert.Contains("class=\"order\" data-from=\"a\" data-to=\"b\"", svg, StringComparison.Ordinal);
        Assert.Contains("class=\"requires\" data-from=\"c\" data-to=\"a\"", svg, StringComparison.Ordinal);
        Assert.DoesNotContain("class=\"requires\" data-from=\"b\"", svg, StringComparison.Ordinal);
    }

    [Fact]
    public void Render_DrawsARequirementBesideTheOrderingWhenAUnitHasBoth()
    {
        var svg = WorkflowSvg.Render(Report(null, Unit("a", "done"), Unit("b", "done", after: ["a"], requires: ["a"]))).Value;

        Assert.Contains("class=\"order\" data-from=\"a\" data-to=\"b\"", svg, StringComparison.Ordinal);
        Assert.Contains("class=\"requires\" data-from=\"b\" data-to=\"a\"", svg, StringComparison.Ordinal);
    }

    [Fact]
    public void Render_EncodesUnitNames()
    {
        var svg = WorkflowSvg.Render(Report(null, Unit("<script>x</script>", "done", type: "target"))).Value;

        Assert.DoesNotContain("<script>", svg, StringComparison.Ordinal);
        Assert.Contains("&lt;script&gt;x&lt;/script&gt;", svg, StringComparison.Ordinal);
    }

    [Fact]
    public void Render_PlacesUnitsLeftToRightByOrdering()
    {
        var svg = WorkflowSvg.Render(Report(null, Unit("a", "done"), Unit("b", "done", after: ["a"]))).Value;

        static double X(string svg, string unit)
        {
            var at = svg.IndexOf($"data-unit=\"{unit}\"", StringComparison.Ordinal);
            var x = svg.IndexOf("<rect x=\"", at, StringComparison.Ordinal) + 9;
            return double.Parse(svg[x..svg.IndexOf('"', x)], System.Globalization.CultureInfo.InvariantCulture);
        }

        Assert.True(X(svg, "a") < X(svg, "b"));
    }
}

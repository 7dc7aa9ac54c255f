using GitOrch.Core.Diagnostics;
using GitOrch.Core.Loading;
using GitOrch.Core.Manifests;
using GitOrch.Core.Tests.Support;
using GitOrch.Core.Validation;

namespace GitOrch.Core.Tests.Validation;

public class ExampleRepoTests
{
    private static ValidationResult ValidateFolder(string path)
    {
        var diagnostics = new List<Diagnostic>();
        var files = ManifestDirectory.Read(path, diagnostics);
        return ManifestValidator.Validate(files.Select(f => ManifestLoader.LoadFile(f)).ToList(), diagnostics);
    }

    [Fact]
    public void ExampleRepo_IsValid_WithoutAnyDiagnostic()
    {
        var result = ValidateFolder(TestManifests.ExampleRepo());
        Assert.Empty(result.Diagnostics);
        Assert.Contains(result.Objects, o => o.Object is PinnedDeployment);
        Assert.Contains(result.Objects, o => o.Object is Pod { Spec.Runtime: PodRuntime.Process });
        Assert.Contains(result.Objects, o => o.Object is ControlLoop);
        Assert.Contains(result.Objects, o => o.Object is Target);
        Assert.Single(result.Objects, o => o.Object is ClusterPolicy);
    }

    [Fact]
    public void ExampleRepo_SkipsBroken_ThroughGitorchignore() =>
        Assert.DoesNotContain(ValidateFolder(TestManifests.ExampleRepo()).Objects, o => o.File.StartsWith("broken/", StringComparison.Ordinal));

    [Fact]
    public void BrokenExamples_ShowEachFamilyOfError()
    {
        var result = ValidateFolder(Path.Combine(TestManifests.ExampleRepo(), "broken"));
        var codes = result.Diagnostics.Select(d => d.Code).ToHashSet();
        Assert.Superset(
            new HashSet<string>
            {
                DiagnosticCodes.YamlSyntax, DiagnosticCodes.UnknownField, DiagnosticCodes.BadFormat, DiagnosticCodes.OutOfRange,
                DiagnosticCodes.WeakeningWithoutException, DiagnosticCodes.SetsLoopOwnedField, DiagnosticCodes.ClaimsBuiltInField,
                DiagnosticCodes.MissingUnit,
            },
            codes);
        Assert.All(result.Diagnostics, d => Assert.True(d.Line >= 1 && d.Column >= 1 && d.File.EndsWith(".yaml", StringComparison.Ordinal), d.ToString()));
    }
}

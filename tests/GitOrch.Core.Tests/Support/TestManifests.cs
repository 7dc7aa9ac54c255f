using GitOrch.Core.Diagnostics;
using GitOrch.Core.Loading;
using GitOrch.Core.Validation;

namespace GitOrch.Core.Tests.Support;

/// <summary>Validates in-memory manifest files and finds diagnostics by code.</summary>
internal static class TestManifests
{
    public static ValidationResult Validate(params (string Path, string Yaml)[] files) =>
        ManifestValidator.Validate(files.Select(f => new ManifestFile(f.Path, f.Yaml)));

    public static ValidationResult Validate(string yaml) => Validate(("m.yaml", yaml));

    /// <summary>Several documents, each in its own file (a.yaml, b.yaml, …).</summary>
    public static ValidationResult Validate(string first, params string[] more) =>
        Validate([.. new[] { first }.Concat(more).Select((y, i) => ($"{(char)('a' + i)}.yaml", y))]);

    /// <summary>The single diagnostic with this code; fails with every diagnostic listed otherwise.</summary>
    public static Diagnostic Single(this ValidationResult result, string code)
    {
        var matches = result.Diagnostics.Where(d => d.Code == code).ToList();
        Assert.True(matches.Count == 1, $"expected one {code}, got {matches.Count}:\n{Dump(result)}");
        return matches[0];
    }

    public static void NoErrors(this ValidationResult result) =>
        Assert.True(result.IsValid, "expected no errors, got:\n" + Dump(result));

    public static string Dump(ValidationResult result) => string.Join('\n', result.Diagnostics);

    /// <summary>The example repo, located from the test's working folder (bin/…) upwards.</summary>
    public static string ExampleRepo()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, "example-repo");
            if (Directory.Exists(candidate) && File.Exists(Path.Combine(dir.FullName, "GitOrch.sln")))
            {
                return candidate;
            }
        }

        throw new InvalidOperationException("example-repo not found above " + AppContext.BaseDirectory);
    }

    public static string Root() => Directory.GetParent(ExampleRepo())!.FullName;
}

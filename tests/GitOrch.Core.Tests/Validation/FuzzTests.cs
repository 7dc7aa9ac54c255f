using System.Text.RegularExpressions;
using FsCheck;
using FsCheck.Fluent;
using GitOrch.Core.Loading;
using GitOrch.Core.Tests.Support;
using GitOrch.Core.Validation;

namespace GitOrch.Core.Tests.Validation;

/// <summary>
/// Mutated manifests never crash validation, and everything it says is a positioned diagnostic.
/// The mutations are those a hand editing YAML makes: a character dropped, doubled or swapped for
/// another YAML-significant one, a line deleted, duplicated or re-indented.
/// </summary>
public partial class FuzzTests
{
    private static readonly char[] Significant = [':', '-', ' ', '{', '}', '[', ']', '"', '\'', '#', '&', '*', '!', '|', '>', '\t', '\n', '0', 'x'];

    private static readonly IReadOnlyList<ManifestFile> Corpus = LoadCorpus();

    private static IReadOnlyList<ManifestFile> LoadCorpus()
    {
        var root = TestManifests.ExampleRepo();
        return Directory.EnumerateFiles(root, "*.yaml", SearchOption.AllDirectories)
            .Order(StringComparer.Ordinal)
            .Select(f => new ManifestFile(Path.GetRelativePath(root, f).Replace('\\', '/'), File.ReadAllText(f)))
            .ToList();
    }

    internal static string Mutate(string text, int kind, int position, int pick)
    {
        if (text.Length == 0)
        {
            return text;
        }

        var at = Math.Abs(position) % text.Length;
        var lines = text.Split('\n').ToList();
        var line = Math.Abs(position) % lines.Count;
        switch (Math.Abs(kind) % 7)
        {
            case 0:
                return text.Remove(at, 1);
            case 1:
                return text.Insert(at, text[at].ToString());
            case 2:
                return text.Remove(at, 1).Insert(at, Significant[Math.Abs(pick) % Significant.Length].ToString());
            case 3:
                lines.RemoveAt(line);
                return string.Join('\n', lines);
            case 4:
                lines.Insert(line, lines[line]);
                return string.Join('\n', lines);
            case 5:
                lines[line] = new string(' ', Math.Abs(pick) % 7) + lines[line].TrimStart();
                return string.Join('\n', lines);
            default:
                return text[..at];
        }
    }

    private static void AssertWellFormed(ValidationResult result, ManifestFile file)
    {
        foreach (var d in result.Diagnostics)
        {
            Assert.True(d.File == file.Path, d.ToString());
            Assert.True(d.Line >= 1 && d.Column >= 1, d.ToString());
            Assert.Matches(CodePattern(), d.Code);
            Assert.False(string.IsNullOrWhiteSpace(d.Message), d.ToString());
        }
    }

    [Fact]
    public void MutatedManifests_NeverThrow_AndOnlyGivePositionedDiagnostics()
    {
        var mutation = Gen.Choose(0, Corpus.Count - 1)
            .SelectMany(_ => Gen.Choose(0, 1000), (f, k) => (f, k))
            .SelectMany(_ => Gen.Choose(0, 100_000), (fk, p) => (fk.f, fk.k, p))
            .SelectMany(_ => Gen.Choose(0, 1000), (fkp, pick) => (File: fkp.f, Kind: fkp.k, Position: fkp.p, Pick: pick));

        Prop.ForAll(mutation.ToArbitrary(), m =>
        {
            var file = Corpus[m.File];
            var mutated = file with { Text = Mutate(Mutate(file.Text, m.Kind, m.Position, m.Pick), m.Pick, m.Position / 3, m.Kind) };
            AssertWellFormed(ManifestValidator.Validate([mutated]), mutated);
        }).Check(Config.QuickThrowOnFailure.WithMaxTest(Cases(1500)));
    }

    [Fact]
    public void RandomBytes_NeverThrow()
    {
        Prop.ForAll(ArbMap.Default.ArbFor<string>(), text =>
        {
            var file = new ManifestFile("r.yaml", text ?? string.Empty);
            AssertWellFormed(ManifestValidator.Validate([file]), file);
        }).Check(Config.QuickThrowOnFailure.WithMaxTest(Cases(1000)));
    }

    /// <summary>CI runs the short form; GITORCH_FUZZ_CASES=10000 (or more) runs the long one.</summary>
    private static int Cases(int quick) =>
        int.TryParse(Environment.GetEnvironmentVariable("GITORCH_FUZZ_CASES"), out var n) && n > 0 ? n : quick;

    [GeneratedRegex("^GO[1-9][0-9]{3}$")]
    private static partial Regex CodePattern();
}

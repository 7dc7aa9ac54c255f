using System.Text.RegularExpressions;
using GitOrch.Core.Loading;

namespace GitOrch.Core.Tests.Loading;

public class YamlScalarsTests
{
    // The core schema's forms as the regular expressions they are written as (.NET's "$" allows one final newline).
    private static readonly Regex Integer = new("^[-+]?([0-9]+|0o[0-7]+|0x[0-9a-fA-F]+)$");
    private static readonly Regex Float = new(@"^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$");

    [Theory]
    [InlineData("0", true, true)]
    [InlineData("-12", true, true)]
    [InlineData("+0x1F", true, false)]
    [InlineData("0o17", true, false)]
    [InlineData("0o18", false, false)]
    [InlineData("0x", false, false)]
    [InlineData("1.", false, true)]
    [InlineData(".5e-3", false, true)]
    [InlineData(".", false, false)]
    [InlineData("1e", false, false)]
    [InlineData("12\n", true, true)]
    [InlineData("12\n\n", false, false)]
    [InlineData("١٢", false, false)] // digits, but not ASCII ones
    public void ReadsTheCoreSchemasNumbers(string value, bool integer, bool @float)
    {
        Assert.Equal(integer, YamlScalars.IsInteger(value));
        Assert.Equal(@float, YamlScalars.IsFloat(value));
    }

    /// <summary>The hand-written scanners agree with the patterns on random strings of the characters that matter (GITORCH_TEST_SEED replays a run).</summary>
    [Fact]
    public void AgreesWithThePatterns_OnRandomStrings()
    {
        var seed = int.TryParse(Environment.GetEnvironmentVariable("GITORCH_TEST_SEED"), out var given) ? given : Random.Shared.Next();
        var random = new Random(seed);
        const string alphabet = "0123456789+-.eExXoOaAfFgG_\n ١";
        var (integers, floats) = (0, 0);
        for (var i = 0; i < 200_000; i++)
        {
            var value = new string([.. Enumerable.Range(0, random.Next(0, 7)).Select(_ => alphabet[random.Next(alphabet.Length)])]);
            Assert.True(Integer.IsMatch(value) == YamlScalars.IsInteger(value), $"seed {seed}: integer \"{value}\"");
            Assert.True(Float.IsMatch(value) == YamlScalars.IsFloat(value), $"seed {seed}: float \"{value}\"");
            integers += Integer.IsMatch(value) ? 1 : 0;
            floats += Float.IsMatch(value) ? 1 : 0;
        }

        Assert.True(integers > 1000 && floats > 1000, $"seed {seed}: {integers} integers and {floats} floats seen");
    }
}

using GitOrch.Agent.Runtimes;
using GitOrch.Core.Manifests;

namespace GitOrch.Agent.Tests.Runtimes;

/// <summary>Borg-style port substitution on the process runtime.</summary>
public sealed class SubstitutionTests
{
    private static readonly Dictionary<string, int> Ports = new() { ["http"] = 30000, ["admin-api"] = 30001 };

    [Theory]
    [InlineData("http", "PORT_HTTP")]
    [InlineData("admin-api", "PORT_ADMIN_API")]
    [InlineData("p2", "PORT_P2")]
    public void TheVariableOfAPort_IsPortAndItsUpperCaseName(string port, string variable)
    {
        Assert.Equal(variable, Substitution.Variable(port));
    }

    [Theory]
    [InlineData("--listen=:$(PORT_HTTP)", "--listen=:30000")]
    [InlineData("$(PORT_HTTP),$(PORT_ADMIN_API),$(PORT_HTTP)", "30000,30001,30000")]
    [InlineData("$(PORT_NOPE) stays", "$(PORT_NOPE) stays")]
    [InlineData("$(HOME) and $PORT_HTTP are the shell's", "$(HOME) and $PORT_HTTP are the shell's")]
    [InlineData("no references", "no references")]
    public void Apply_ReplacesKnownPortReferencesOnly(string text, string expected)
    {
        Assert.Equal(expected, Substitution.Apply(text, Ports));
    }

    [Fact]
    public void TheEnvironment_HasEveryPortVariable_AndTheEnvSubstituted()
    {
        var container = new Container { Name = "main", Env = new Dictionary<string, string> { ["URL"] = "http://[::1]:$(PORT_HTTP)/", ["PLAIN"] = "x" } };

        var env = Substitution.Environment(container, Ports);

        Assert.Equal(
            new Dictionary<string, string> { ["PORT_HTTP"] = "30000", ["PORT_ADMIN_API"] = "30001", ["URL"] = "http://[::1]:30000/", ["PLAIN"] = "x" },
            env);
    }
}

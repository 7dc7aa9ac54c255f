using System.Text.RegularExpressions;

namespace GitOrch.Agent.Runtimes;

/// <summary>Borg-style port substitution: <c>$(PORT_HTTP)</c> becomes the host port allocated for the port named <c>http</c>.</summary>
public static partial class Substitution
{
    public static string Variable(string portName) => "PORT_" + portName.ToUpperInvariant().Replace('-', '_');

    public static string Apply(string text, IReadOnlyDictionary<string, int> ports) =>
        Reference().Replace(text, m =>
        {
            var name = m.Groups[1].Value;
            var port = ports.FirstOrDefault(p => Variable(p.Key) == name);
            return port.Key is null ? m.Value : port.Value.ToString(System.Globalization.CultureInfo.InvariantCulture);
        });

    /// <summary>The container's environment: its env (substituted) plus PORT_&lt;NAME&gt; for every port.</summary>
    public static Dictionary<string, string> Environment(Core.Manifests.Container container, IReadOnlyDictionary<string, int> ports)
    {
        var env = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (name, port) in ports)
        {
            env[Variable(name)] = port.ToString(System.Globalization.CultureInfo.InvariantCulture);
        }

        foreach (var (key, value) in container.Env ?? new Dictionary<string, string>())
        {
            env[key] = Apply(value, ports);
        }

        return env;
    }

    [GeneratedRegex(@"\$\((PORT_[A-Z0-9_]+)\)")]
    private static partial Regex Reference();
}

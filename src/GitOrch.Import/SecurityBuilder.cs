using System.Globalization;
using Newtonsoft.Json.Linq;

namespace GitOrch.Import;

/// <summary>
/// Collects what the pod's containers ask for into GitOrch's one <c>spec.security</c> block. The
/// union of weakenings is written (each then needs its ClusterPolicy exception); users are one per
/// pod in GitOrch, so containers that run as different non-root users cannot be carried over.
/// </summary>
internal sealed class SecurityBuilder
{
    private readonly JObject _fields = [];
    private readonly SortedSet<string> _capabilities = new(StringComparer.Ordinal);
    private readonly SortedDictionary<string, string> _sysctls = new(StringComparer.Ordinal);
    private readonly List<(long? Id, string Field)> _users = [];
    private readonly List<(long? Id, string Field)> _groups = [];

    public void Set(string field, JToken value) => _fields[field] = value;

    public void Capability(string name) => _capabilities.Add(name);

    public void Sysctl(string name, string value) => _sysctls[name] = value;

    public void User(long? id, string field) => _users.Add((id, field));

    public void Group(long? id, string field) => _groups.Add((id, field));

    public JObject Build(ImportContext context, string at)
    {
        var security = new JObject();
        Id("runAsUser", _users, security, context, at);
        Id("runAsGroup", _groups, security, context, at);
        foreach (var property in _fields.Properties())
        {
            security[property.Name] = property.Value;
        }

        if (_capabilities.Count > 0)
        {
            security["capabilities"] = new JArray(_capabilities);
        }

        if (_sysctls.Count > 0)
        {
            security["sysctls"] = JObject.FromObject(_sysctls);
        }

        return new JObject(security.Properties().OrderBy(p => p.Name, StringComparer.Ordinal));
    }

    private static void Id(string name, List<(long? Id, string Field)> ids, JObject security, ImportContext context, string at)
    {
        var set = ids.Where(i => i.Id is not null).ToList();
        if (set.Count == 0)
        {
            return;
        }

        if (set.Any(i => i.Id == 0))
        {
            security[name] = 0; // Root for the whole pod: a weakening that validate names (runAsRoot).
            return;
        }

        var distinct = set.Select(i => i.Id!.Value).Distinct().ToList();
        if (distinct.Count > 1)
        {
            var second = set.First(i => i.Id != set[0].Id);
            context.Refused(second.Field,
                $"containers of this pod ask for different {name} values ({string.Join(", ", distinct.Select(d => d.ToString(CultureInfo.InvariantCulture)))}); a GitOrch pod runs all its containers with one {name}: choose one, or split the pod");
            return;
        }

        security[name] = distinct[0];
    }
}

using System.Globalization;
using System.Text.Json.Nodes;
using GitOrch.Core.Manifests;

namespace GitOrch.Import;

/// <summary>
/// Collects what the pod's containers ask for into GitOrch's one <c>spec.security</c> block. The
/// union of weakenings is written (each then needs its ClusterPolicy exception); users are one per
/// pod in GitOrch, so containers that run as different non-root users cannot be carried over.
/// </summary>
internal sealed class SecurityBuilder
{
    private readonly JsonObject _fields = [];
    private readonly SortedSet<string> _capabilities = new(StringComparer.Ordinal);
    private readonly SortedDictionary<string, string> _sysctls = new(StringComparer.Ordinal);
    private readonly List<(long? Id, string Field)> _users = [];
    private readonly List<(long? Id, string Field)> _groups = [];

    public void Set(string field, JsonNode? value) => _fields[field] = value?.DeepClone(); // A node has one parent: the caller may pass a node of another tree.

    public void Capability(string name) => _capabilities.Add(name);

    public void Sysctl(string name, string value) => _sysctls[name] = value;

    public void User(long? id, string field) => _users.Add((id, field));

    public void Group(long? id, string field) => _groups.Add((id, field));

    public JsonObject Build(ImportContext context, string at)
    {
        var security = new JsonObject();
        Id("runAsUser", _users, security, context, at);
        Id("runAsGroup", _groups, security, context, at);
        foreach (var property in _fields)
        {
            security[property.Key] = property.Value?.DeepClone();
        }

        if (_capabilities.Count > 0)
        {
            security["capabilities"] = ManifestJson.ArrayOf(_capabilities);
        }

        if (_sysctls.Count > 0)
        {
            security["sysctls"] = ManifestJson.ObjectOf(_sysctls);
        }

        return new JsonObject(security.OrderBy(p => p.Key, StringComparer.Ordinal).Select(p => KeyValuePair.Create(p.Key, p.Value?.DeepClone())));
    }

    private static void Id(string name, List<(long? Id, string Field)> ids, JsonObject security, ImportContext context, string at)
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

using System.Globalization;
using System.Text.Json;
using GitOrch.Core.Manifests;
using GitOrch.Core.Rollouts;

namespace GitOrch.Controller.Nodes;

/// <summary>
/// What the <see cref="PodIndex"/> keeps of one pod: the node it is on (<c>status.nodeName</c>),
/// the cpu and memory it reserves there, the address and host ports it holds, whether it is
/// <c>ha</c>, and the PinnedDeployment that generated it.
/// </summary>
public sealed record PodPlacement(string? Node, long CpuMillis, long MemoryBytes, string? PodIp, IReadOnlyList<int> Ports, bool Ha, string? Deployment)
{
    /// <summary>Reads a stored pod's JSON (one parse, nothing kept of it but these fields).</summary>
    public static PodPlacement Read(string json)
    {
        using var doc = JsonDocument.Parse(json);
        var root = doc.RootElement;
        var spec = Child(root, "spec");
        var status = Child(root, "status");
        var (cpu, memory) = Requests(spec);
        var ports = new List<int>();
        if (Child(status, "ports") is { ValueKind: JsonValueKind.Object } portMap)
        {
            foreach (var port in portMap.EnumerateObject())
            {
                if (port.Value.ValueKind == JsonValueKind.Number && port.Value.TryGetInt32(out var number))
                {
                    ports.Add(number);
                }
            }
        }

        return new PodPlacement(
            Text(Child(status, "nodeName")), cpu, memory, Text(Child(status, "podIP")), ports,
            Text(Child(spec, "availability")) == "ha",
            Text(Child(Child(Child(root, "metadata"), "labels"), PinnedPods.DeploymentLabel)));
    }

    /// <summary>What a pod reserves: its containers together, or its largest init container if that is more (they run one at a time, before them).</summary>
    public static (long CpuMillis, long MemoryBytes) Requests(JsonElement? spec)
    {
        long cpu = 0, memory = 0, initCpu = 0, initMemory = 0;
        foreach (var container in Items(Child(spec, "containers")))
        {
            cpu += Cpu(container);
            memory += Memory(container);
        }

        foreach (var container in Items(Child(spec, "initContainers")))
        {
            initCpu = Math.Max(initCpu, Cpu(container));
            initMemory = Math.Max(initMemory, Memory(container));
        }

        return (Math.Max(cpu, initCpu), Math.Max(memory, initMemory));
    }

    // Admission refuses a quantity that does not parse, so none is stored; one that got in anyway reserves nothing rather than break the index.
    private static long Cpu(JsonElement container) =>
        Quantity(Text(Child(Child(container, "resources"), "cpu")), Core.Manifests.Quantity.CpuMillis);

    private static long Memory(JsonElement container) =>
        Quantity(Text(Child(Child(container, "resources"), "memory")), Core.Manifests.Quantity.MemoryBytes);

    private static long Quantity(string? text, Func<string?, long> parse)
    {
        try
        {
            return parse(text);
        }
        catch (Exception ex) when (ex is FormatException or OverflowException)
        {
            return 0;
        }
    }

    private static JsonElement? Child(JsonElement? parent, string name) =>
        parent is { ValueKind: JsonValueKind.Object } p && p.TryGetProperty(name, out var value) && value.ValueKind != JsonValueKind.Null ? value : null;

    private static IEnumerable<JsonElement> Items(JsonElement? array) =>
        array is { ValueKind: JsonValueKind.Array } a ? a.EnumerateArray() : [];

    private static string? Text(JsonElement? value) => value switch
    {
        { ValueKind: JsonValueKind.String } s => s.GetString(),
        { ValueKind: JsonValueKind.Number } n => n.GetRawText(),
        { ValueKind: JsonValueKind.True } => "true",
        { ValueKind: JsonValueKind.False } => "false",
        _ => null,
    };

    /// <summary>Whether the store now says what this claim says (the claim's write landed).</summary>
    internal bool SettledBy(PodPlacement stored) =>
        stored.Node == Node
        && (PodIp is null || stored.PodIp == PodIp)
        && (Ports.Count == 0 || stored.Ports.Order().SequenceEqual(Ports.Order()));

    /// <inheritdoc/>
    public override string ToString() =>
        string.Create(CultureInfo.InvariantCulture, $"{Node ?? "(unplaced)"}: {CpuMillis}m cpu, {MemoryBytes} bytes, ip {PodIp ?? "-"}, ports [{string.Join(", ", Ports)}]");
}

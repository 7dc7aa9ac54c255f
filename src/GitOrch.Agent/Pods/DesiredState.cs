using System.Text.Json;
using GitOrch.Core.AgentApi;

namespace GitOrch.Agent.Pods;

/// <summary>
/// The node's programmed pods, on local disk. Written (temp file, fsync, rename) before the agent
/// acts on it, so that with the controller gone the agent keeps running exactly these pods, and a
/// cold start comes back to them.
/// </summary>
public sealed class DesiredState(string stateDir)
{
    public const string FileName = "desired.json";

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { WriteIndented = true };

    private string PathOf => Path.Combine(stateDir, FileName);

    public AssignmentSet? Load()
    {
        if (!File.Exists(PathOf))
        {
            return null;
        }

        Storage.StateFiles.PrivateFileAt(PathOf); // written 0644 by older versions
        try
        {
            return JsonSerializer.Deserialize<AssignmentSet>(File.ReadAllText(PathOf), Json);
        }
        catch (JsonException ex)
        {
            throw new InvalidDataException($"{PathOf} cannot be read ({ex.Message}); move it aside to start with no pods until the controller answers", ex);
        }
    }

    public void Save(AssignmentSet desired)
    {
        Storage.StateFiles.Folder(stateDir, Storage.StateFiles.TraversableFolder);
        var temp = PathOf + ".tmp";
        using (var stream = new FileStream(temp, Storage.StateFiles.PrivateWrite(FileMode.Create))) // env values: 0600
        {
            JsonSerializer.Serialize(stream, desired, Json);
            stream.Flush(flushToDisk: true);
        }

        File.Move(temp, PathOf, overwrite: true);
    }
}

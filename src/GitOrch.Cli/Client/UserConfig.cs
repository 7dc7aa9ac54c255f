using System.Text.Json;
using System.Text.Json.Serialization;
using GitOrch.Contracts.Trust;

namespace GitOrch.Cli.Client;

/// <summary>
/// The user's contexts, <c>~/.config/gitorch/config</c> (0600; <c>GITORCH_CONFIG</c> names another
/// file): one context per controller address, each with its CA and token, and the current one.
/// <c>up</c> and <c>controller</c> add theirs and make it current; several on different ports
/// keep one context each.
/// </summary>
internal sealed class UserConfig
{
    public const string PathVariable = "GITORCH_CONFIG";

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { WriteIndented = true, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull };

    [JsonPropertyName("currentContext")]
    public string? CurrentContext { get; set; }

    [JsonPropertyName("contexts")]
    public List<UserContext> Contexts { get; set; } = [];

    public static string DefaultPath()
    {
        if (Environment.GetEnvironmentVariable(PathVariable) is { Length: > 0 } path)
        {
            return path;
        }

        var configHome = Environment.GetEnvironmentVariable("XDG_CONFIG_HOME") is { Length: > 0 } xdg
            ? xdg
            : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".config");
        return Path.Combine(configHome, "gitorch", "config");
    }

    public static UserConfig Load(string path)
    {
        if (!File.Exists(path))
        {
            return new UserConfig();
        }

        try
        {
            return JsonSerializer.Deserialize<UserConfig>(File.ReadAllText(path), Json) ?? new UserConfig();
        }
        catch (JsonException ex)
        {
            throw new CliException($"the gitorch config {path} is not valid JSON ({ex.Message}); fix it or remove it (`gitorch up` writes it again)");
        }
    }

    /// <summary>The context for a server address, if any (addresses compared without a trailing slash, case-insensitively).</summary>
    public UserContext? ForServer(string server) =>
        Contexts.FirstOrDefault(c => Same(c.Server, server));

    public UserContext? Current => Contexts.FirstOrDefault(c => c.Name == CurrentContext);

    /// <summary>Adds (or replaces) the context for these credentials and makes it current, under a lock so that concurrent writers do not lose each other's contexts.</summary>
    public static void AddCurrent(string path, ClusterCredentials credentials)
    {
        var folder = Path.GetDirectoryName(Path.GetFullPath(path))!;
        SecureFiles.CreateFolder(folder);
        using var lockFile = AcquireLock(path + ".lock");
        var config = Load(path);
        var name = ContextName(credentials.Server);
        config.Contexts.RemoveAll(c => c.Name == name || Same(c.Server, credentials.Server));
        config.Contexts.Add(new UserContext { Name = name, Server = credentials.Server, CaCertificate = credentials.CaCertificate, Token = credentials.Token });
        config.CurrentContext = name;
        SecureFiles.WriteAllText(path, JsonSerializer.Serialize(config, Json) + "\n");
    }

    public static string ContextName(string server) =>
        Uri.TryCreate(server, UriKind.Absolute, out var uri) ? uri.Authority : server;

    private static bool Same(string a, string b) => string.Equals(a.TrimEnd('/'), b.TrimEnd('/'), StringComparison.OrdinalIgnoreCase);

    private static FileStream AcquireLock(string path)
    {
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (true)
        {
            try
            {
                var options = new FileStreamOptions { Mode = FileMode.OpenOrCreate, Access = FileAccess.ReadWrite, Share = FileShare.None };
                if (!OperatingSystem.IsWindows())
                {
                    options.UnixCreateMode = SecureFiles.FileMode;
                }

                return new FileStream(path, options);
            }
            catch (IOException) when (DateTime.UtcNow < deadline)
            {
                Thread.Sleep(50);
            }
        }
    }
}

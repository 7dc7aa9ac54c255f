using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using GitOrch.Cli.Client;
using GitOrch.Cli.Output;
using GitOrch.Controller.Ui;

namespace GitOrch.Cli.Commands;

/// <summary>
/// <c>gitorch ui</c>: asks the controller for a single-use login code (with this user's credential, found as for every verb)
/// and prints the login URL of the web view; opens it in a browser when one is available
/// (<c>xdg-open</c> with a display). Never fails because no browser could be opened.
/// </summary>
internal static class UiCommand
{
    public const string NoOpenVariable = "GITORCH_NO_BROWSER";

    public static Command Create()
    {
        var server = CommonOptions.Server();
        var noOpen = new Option<bool>("--no-open") { Description = $"Only print the URL; do not open a browser (or set {NoOpenVariable}=1)" };
        var command = new Command("ui", "Print a single-use login URL for the web view (and open it when a browser is available)") { server, noOpen };
        command.SetAction(async (parse, ct) =>
        {
            using var client = ApiClient.For(parse, server); // The same credential resolution as every verb.
            var login = await client.PostAsync<UiLoginModel>(UiEndpoints.MintPath, ct);
            var url = client.Server.TrimEnd('/') + login.Path; // The replica that answered.
            var writer = parse.InvocationConfiguration.Output;
            await writer.WriteLineAsync(url);
            var minutes = Math.Max(1, (int)Math.Round((login.ExpiresAt - DateTimeOffset.UtcNow).TotalMinutes));
            await parse.InvocationConfiguration.Error.WriteLineAsync(string.Create(CultureInfo.InvariantCulture,
                $"gitorch: open it within {minutes} minute(s); it works once and logs the browser in with the role {login.Role}"));
            if (!parse.GetValue(noOpen) && Environment.GetEnvironmentVariable(NoOpenVariable) is not { Length: > 0 } && TryOpen(url))
            {
                await parse.InvocationConfiguration.Error.WriteLineAsync("gitorch: opened it in your browser");
            }

            return ExitCodes.Ok;
        });
        return command;
    }

    /// <summary>Opens the URL with xdg-open when there is a display; false (never an error) otherwise.</summary>
    private static bool TryOpen(string url)
    {
        if (!OperatingSystem.IsLinux() || (Environment.GetEnvironmentVariable("DISPLAY") is not { Length: > 0 } && Environment.GetEnvironmentVariable("WAYLAND_DISPLAY") is not { Length: > 0 }))
        {
            return false;
        }

        try
        {
            var info = new ProcessStartInfo("xdg-open") { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
            info.ArgumentList.Add(url);
            using var process = Process.Start(info);
            return process is not null;
        }
#pragma warning disable CA1031 // No browser is not an error: the URL is printed.
        catch (Exception)
#pragma warning restore CA1031
        {
            return false;
        }
    }
}

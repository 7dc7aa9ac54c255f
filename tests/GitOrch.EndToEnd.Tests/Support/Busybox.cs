using System.Diagnostics;

namespace GitOrch.EndToEnd.Tests.Support;

/// <summary>runc as the agent runs it, for tests of oci pods (their image: <see cref="BusyboxRootfs"/>).</summary>
internal static class Busybox
{
    /// <summary>Runs <c>runc --root /run/gitorch-runc ARGS</c> (the agent's runc root); returns the exit code and stdout.</summary>
    public static (int Code, string Output) Runc(params string[] args)
    {
        var info = new ProcessStartInfo(GitOrch.Agent.Runtimes.RuncDriver.RuncPath ?? "runc") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        info.ArgumentList.Add("--root");
        info.ArgumentList.Add("/run/gitorch-runc");
        foreach (var arg in args)
        {
            info.ArgumentList.Add(arg);
        }

        using var process = Process.Start(info)!;
        var output = process.StandardOutput.ReadToEndAsync();
        process.StandardError.ReadToEnd();
        process.WaitForExit();
        return (process.ExitCode, output.Result);
    }

    /// <summary>The pid of a runc container's init process, or null when runc does not know the container.</summary>
    public static int? InitPid(string id)
    {
        var (code, output) = Runc("state", id);
        return code == 0 && System.Text.Json.Nodes.JsonNode.Parse(output)?["pid"]?.GetValue<int>() is int pid && pid > 0 ? pid : null;
    }
}

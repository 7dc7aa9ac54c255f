using GitOrch.Cli.Commands;
using GitOrch.Core.AgentApi;
using GitOrch.Core.Rendering;

namespace GitOrch.Cli.Output;

/// <summary>
/// The containers of a pod that are not running, as <c>get pod NAME</c> and <c>why</c> show them:
/// state, exit code, restarts, the next attempt of a crash loop, and the last output lines.
/// </summary>
internal static class ContainerDetails
{
    public static void Print(IReadOnlyList<ContainerReport>? containers, TextWriter w, DateTimeOffset now)
    {
        foreach (var c in (containers ?? []).Where(c => c.State != "running" && (c.ExitCode is not null || c.LastOutput is { Count: > 0 })))
        {
            var what = c.State switch
            {
                "crashloop" => "crash loop",
                _ => c.State,
            };
            var exit = c.ExitCode is { } code ? code < 0 ? ", exit code unknown (started by an earlier agent)" : $", exited with code {code}" : string.Empty;
            var next = c.NextAttemptAt is { } at
                ? $", next attempt at {WhyCommand.Time(at)} ({(at > now ? "in " + WhyCommand.Duration(at - now) : "due")})"
                : string.Empty;
            w.WriteLine($"Container {VisibleText.OneLine(c.Name)}: {what}{exit}, {c.Restarts} restart(s){next}");
            var first = true;
            foreach (var line in c.LastOutput ?? [])
            {
                w.WriteLine($"  {(first ? "last output" : "           ")}  {VisibleText.OneLine(line)}");
                first = false;
            }
        }
    }
}

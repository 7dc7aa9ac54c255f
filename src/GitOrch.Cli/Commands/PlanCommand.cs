using System.CommandLine;
using GitOrch.Cli.Output;
using GitOrch.Controller.Plans;
using GitOrch.Git;

namespace GitOrch.Cli.Commands;

/// <summary>
/// <c>gitorch plan --repo R --base REV --head REV</c>: what merging head does. Exit 0 when nothing
/// changes, 2 when something does, 1 when head is invalid. Needs no controller.
/// </summary>
internal static class PlanCommand
{
    public static Command Create()
    {
        var repo = new Option<string>("--repo") { Description = "The config repo's clone", DefaultValueFactory = _ => ".", HelpName = "R" };
        var @base = new Option<string>("--base") { Description = "The commit merged into (usually the target branch)", Required = true, HelpName = "REV" };
        var head = new Option<string>("--head") { Description = "The commit to merge (the pull request's head)", Required = true, HelpName = "REV" };
        var path = new Option<string?>("--path") { Description = "Folder of the repo that holds the manifests", HelpName = "P" };
        var output = CommonOptions.Output(OutputFormat.Text, OutputFormat.Markdown, OutputFormat.Json);
        var command = new Command("plan", "What merging head does: objects, pod moves, security, approvals") { repo, @base, head, path, output };
        command.SetAction(async (parse, ct) =>
        {
            Plan plan;
            try
            {
                plan = await PlanBuilder.BuildAsync(parse.GetRequiredValue(repo), parse.GetRequiredValue(@base), parse.GetRequiredValue(head), parse.GetValue(path), ct);
            }
            catch (Exception ex) when (ex is PlanException or GitException)
            {
                throw new CliException(ex.Message);
            }

            var text = parse.GetValue(output) switch
            {
                OutputFormat.Json => PlanRenderer.JsonText(plan) + "\n",
                OutputFormat.Markdown => PlanRenderer.Markdown(plan),
                _ => PlanRenderer.Text(plan),
            };
            await parse.InvocationConfiguration.Output.WriteAsync(text);
            return !plan.Valid ? ExitCodes.Invalid : plan.HasChanges ? ExitCodes.Changes : ExitCodes.Ok;
        });
        return command;
    }
}

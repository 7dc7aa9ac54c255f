using GitOrch.Workflow.Execution;
using GitOrch.Workflow.Model;
using GitOrch.Workflow.Tests.Support;
using static GitOrch.Workflow.Tests.Support.Units;

namespace GitOrch.Workflow.Tests.Execution;

/// <summary>The engine's worker pool under many supersessions: a step cancelled as a worker picks it up never takes the worker down.</summary>
public sealed class WorkflowEngineRaceTests
{
    [Fact]
    public async Task SupersedingStepsJustAsWorkersPickThemUp_NeverKillsAWorker()
    {
        var runner = new ScriptedRunner().On("s", () => StepOutcome.Done("ok"));
        var h = new EngineHarness(runner);
        Exception? died;
        try
        {
            // Each second Start supersedes the first, often while a worker is taking its step.
            for (var i = 0; i < 3000; i++)
            {
                h.Start(Step("s"));
                h.Start(Step("s"));
            }

            var last = h.Start(Step("s"));
            await Wait.ForAsync(h.Engine.WhenIdleAsync(CancellationToken.None), "the last transaction to finish", Wait.Idle);
            Assert.Equal((UnitState.Done, "ok"), (last.Find("s")!.State, last.Find("s")!.Message));
        }
        finally
        {
            // Stopping the engine awaits its workers: one that died rethrows here.
            died = await Record.ExceptionAsync(() => h.StopAsync());
            await h.DisposeAsync();
        }

        Assert.True(died is null, $"a worker died: {died}");
    }
}

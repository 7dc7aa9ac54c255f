using System.Collections.Concurrent;
using GitOrch.Core.State;

namespace GitOrch.Core.Tests.State;

/// <summary>The state file's writers queue in the process, and a config commit goes before background writers.</summary>
public class WriteGateTests
{
    private static readonly TimeSpan Limit = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task ACommitWaitingForTheGate_GoesBeforeABackgroundWriterThatCameLater()
    {
        var gate = new WriteGate();
        var order = new ConcurrentQueue<string>();
        Task commit, background;
        using (gate.Background())
        {
            commit = Task.Factory.StartNew(() =>
            {
                using (gate.Commit())
                {
                    order.Enqueue("commit");
                }
            }, TaskCreationOptions.LongRunning);
            Assert.True(SpinWait.SpinUntil(() => gate.CommitWaiting, Limit), "the commit never waited for the gate");

            background = Task.Factory.StartNew(() =>
            {
                using (gate.Background())
                {
                    order.Enqueue("background");
                }
            }, TaskCreationOptions.LongRunning);
        }

        await Task.WhenAll(commit, background).WaitAsync(Limit);
        Assert.Equal(["commit", "background"], order);
    }

    [Fact]
    public void AThreadThatHoldsTheGate_EntersAgain_EvenWhileACommitWaits()
    {
        var gate = new WriteGate();
        using var committed = new ManualResetEventSlim();
        var enteredAgain = false;
        using (gate.Background())
        {
            new Thread(() =>
            {
                using (gate.Commit())
                {
                    committed.Set();
                }
            }).Start();
            Assert.True(SpinWait.SpinUntil(() => gate.CommitWaiting, Limit), "the commit never waited for the gate");

            using (gate.Background())
            {
                enteredAgain = true;
            }
        }

        Assert.True(enteredAgain);
        Assert.True(committed.Wait(Limit), "the commit never entered");
        Assert.False(gate.CommitWaiting);
    }
}

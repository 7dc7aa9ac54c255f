using GitOrch.History.Store;
using Microsoft.Extensions.Hosting;

namespace GitOrch.Controller.State;

/// <summary>Checks the state folder every second between cycles, so a removed folder stops the controller even while it is idle.</summary>
public sealed class StateGuardService(StateGuard guard, TimeProvider time) : BackgroundService
{
    public static readonly TimeSpan Every = TimeSpan.FromSeconds(1);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(Every, time);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                if (guard.StopIfGone())
                {
                    return;
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Stopping.
        }
    }
}

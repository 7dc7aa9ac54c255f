using System.Runtime.InteropServices;
using GitOrch.Cli;

// SIGINT (Ctrl+C) and SIGTERM cancel the running verb, which then stops cleanly (up, controller and
// agent stop their servers and loops; pods keep running, as on any node).
using var stop = new CancellationTokenSource();
void Cancel(PosixSignalContext context)
{
    context.Cancel = true;
    stop.Cancel();
}

using var sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, Cancel);
using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, Cancel);
return await GitOrchApp.RunAsync(args, Console.Out, Console.Error, Terminal.FromConsole(), stop.Token);

using GitOrch.Cli;

return await GitOrchApp.RunAsync(args, Console.Out, Console.Error, Terminal.FromConsole());

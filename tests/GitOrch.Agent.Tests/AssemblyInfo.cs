// The agent runs Linux processes and containers (/proc, setsid, runc): so do its tests.
[assembly: System.Runtime.Versioning.SupportedOSPlatform("linux")]

// End-to-end tests run the real node agent: Linux processes, runc and network namespaces.
[assembly: System.Runtime.Versioning.SupportedOSPlatform("linux")]

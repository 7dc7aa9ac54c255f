using System.Text;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.Logging;

namespace GitOrch.Controller.Trust;

/// <summary>
/// Sits before TLS on an HTTPS endpoint: a connection whose first byte is not a TLS handshake is a
/// plain-HTTP client, and gets one clear HTTP answer (400, JSON, "use https://") before it is
/// closed, instead of a silent reset.
/// </summary>
internal static partial class PlainHttpRefusal
{
    private const byte TlsHandshake = 0x16;

    public static void Use(ListenOptions listen, string httpsUrl, ILogger log) => listen.Use(next => async connection =>
    {
        var input = connection.Transport.Input;
        var read = await input.ReadAsync(connection.ConnectionClosed);
        if (read.Buffer.IsEmpty)
        {
            input.AdvanceTo(read.Buffer.Start, read.Buffer.End);
            await next(connection);
            return;
        }

        var first = read.Buffer.FirstSpan[0];
        input.AdvanceTo(read.Buffer.Start); // Nothing consumed or examined: TLS reads the same bytes.
        if (first == TlsHandshake)
        {
            await next(connection);
            return;
        }

        LogPlainHttp(log, connection.RemoteEndPoint?.ToString() ?? "?", httpsUrl);
        var body = $"{{\"error\":\"this port speaks HTTPS only; use {httpsUrl} (the gitorch CLI does, with the cluster CA from its credentials)\"}}\n";
        var answer = $"HTTP/1.1 400 Bad Request\r\nContent-Type: application/json\r\nContent-Length: {Encoding.UTF8.GetByteCount(body)}\r\nConnection: close\r\n\r\n{body}";
        await connection.Transport.Output.WriteAsync(Encoding.UTF8.GetBytes(answer), connection.ConnectionClosed);
        await connection.Transport.Output.CompleteAsync();
    });

    [LoggerMessage(Level = LogLevel.Warning, Message = "Refused a plain-HTTP connection from {Remote}: this port speaks HTTPS only ({Url})")]
    private static partial void LogPlainHttp(ILogger logger, string remote, string url);
}

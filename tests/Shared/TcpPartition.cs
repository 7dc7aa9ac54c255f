using System.Net;
using System.Net.Sockets;

namespace GitOrch.Tests.Shared;

/// <summary>
/// A loopback TCP forwarder that a test can partition: while partitioned it forwards nothing in
/// either direction and leaves connections hanging, as a dropped network does (no reset, no
/// answer), so clients find out only through their own deadlines. Disposing closes everything.
/// </summary>
internal sealed class TcpPartition : IAsyncDisposable
{
    private readonly TcpListener _listener;
    private readonly Uri _target;
    private readonly CancellationTokenSource _stop = new();
    private readonly List<TcpClient> _open = [];
    private readonly Task _accepting;
    private volatile bool _partitioned;

    public TcpPartition(string targetUrl)
    {
        _target = new Uri(targetUrl);
        _listener = new TcpListener(IPAddress.Loopback, 0);
        _listener.Start();
        _accepting = AcceptAsync();
    }

    public string Url => $"http://127.0.0.1:{((IPEndPoint)_listener.LocalEndpoint).Port}";

    public void Partition() => _partitioned = true;

    /// <summary>Heals the partition: hung connections are dropped, so clients reconnect cleanly.</summary>
    public void Heal()
    {
        lock (_open)
        {
            foreach (var client in _open)
            {
                client.Dispose();
            }

            _open.Clear();
        }

        _partitioned = false;
    }

    public async ValueTask DisposeAsync()
    {
        _stop.Cancel();
        _listener.Stop();
        Heal();
        try
        {
            await _accepting;
        }
        catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException)
        {
            // Stopped.
        }

        _stop.Dispose();
    }

    private async Task AcceptAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            var inbound = await _listener.AcceptTcpClientAsync(_stop.Token);
            var outbound = new TcpClient();
            try
            {
                await outbound.ConnectAsync(_target.Host, _target.Port, _stop.Token);
            }
            catch (SocketException)
            {
                inbound.Dispose();
                outbound.Dispose();
                continue;
            }

            lock (_open)
            {
                _open.Add(inbound);
                _open.Add(outbound);
            }

            _ = PumpAsync(inbound, outbound);
            _ = PumpAsync(outbound, inbound);
        }
    }

    private async Task PumpAsync(TcpClient from, TcpClient to)
    {
        var buffer = new byte[16 * 1024];
        try
        {
            var source = from.GetStream();
            var sink = to.GetStream();
            while (true)
            {
                var read = await source.ReadAsync(buffer, _stop.Token);
                if (read == 0)
                {
                    break;
                }

                while (_partitioned)
                {
                    await Task.Delay(20, _stop.Token); // hold the bytes: the peer hears nothing
                }

                await sink.WriteAsync(buffer.AsMemory(0, read), _stop.Token);
            }
        }
        catch (Exception e) when (e is IOException or SocketException or ObjectDisposedException or OperationCanceledException or InvalidOperationException)
        {
            // Either side closed, or the partition was healed by dropping connections.
        }
        finally
        {
            from.Dispose();
            to.Dispose();
        }
    }
}

using System.Collections.Concurrent;
using GitOrch.Contracts.Agent;
using Grpc.Core;

namespace GitOrch.Controller.Agents;

/// <summary>One agent's open log channel: requests go down its stream, replies come back matched by id.</summary>
public sealed class NodeLogChannel(string node, IServerStreamWriter<LogRequest> requests)
{
    private readonly SemaphoreSlim _write = new(1, 1);
    private readonly ConcurrentDictionary<string, TaskCompletionSource<LogReply>> _pending = new(StringComparer.Ordinal);

    public string Node => node;

    /// <summary>Asks the agent for the tail of a container's log; null when it does not answer within <paramref name="timeout"/>.</summary>
    public async Task<LogReply?> RequestAsync(string pod, string container, int tail, TimeSpan timeout, CancellationToken ct)
    {
        var id = Guid.NewGuid().ToString("N");
        var reply = new TaskCompletionSource<LogReply>(TaskCreationOptions.RunContinuationsAsynchronously);
        _pending[id] = reply;
        try
        {
            await _write.WaitAsync(ct);
            try
            {
                await requests.WriteAsync(new LogRequest { Id = id, Pod = pod, Container = container, Tail = tail }, ct);
            }
            finally
            {
                _write.Release();
            }

            return await reply.Task.WaitAsync(timeout, ct);
        }
        catch (TimeoutException)
        {
            return null;
        }
        catch (InvalidOperationException)
        {
            return null; // The stream ended while writing.
        }
        finally
        {
            _pending.TryRemove(id, out _);
        }
    }

    public void Complete(LogReply reply)
    {
        if (_pending.TryRemove(reply.Id, out var waiting))
        {
            waiting.TrySetResult(reply);
        }
    }
}

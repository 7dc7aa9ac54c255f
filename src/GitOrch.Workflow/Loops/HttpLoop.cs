using System.Net.Sockets;
using System.Text;

namespace GitOrch.Workflow.Loops;

/// <summary>Calls an <c>http</c> loop: the object as a JSON POST; a 2xx answer carries the same JSON as an exec loop's stdout.</summary>
public static class HttpLoop
{
    private static readonly HttpClient Client = new() { Timeout = Timeout.InfiniteTimeSpan };

    public static async Task<string> PostAsync(string url, IReadOnlyDictionary<string, string> headers, string input, CancellationToken ct)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, url) { Content = new StringContent(input, Encoding.UTF8, "application/json") };
        foreach (var (key, value) in headers)
        {
            request.Headers.TryAddWithoutValidation(key, value);
        }

        HttpResponseMessage response;
        try
        {
            response = await Client.SendAsync(request, ct);
        }
        catch (HttpRequestException ex)
        {
            var why = ex.InnerException is SocketException socket ? socket.SocketErrorCode.ToString() : ex.Message;
            throw new LoopCallException($"cannot reach {url} ({why}); is the loop's server running?");
        }

        using (response)
        {
            var body = await response.Content.ReadAsStringAsync(ct);
            if (!response.IsSuccessStatusCode)
            {
                var excerpt = body.Length <= 200 ? body : body[..200] + "…";
                throw new LoopCallException($"{url} answered HTTP {(int)response.StatusCode} {response.ReasonPhrase}: {excerpt.Trim()}");
            }

            return body;
        }
    }
}

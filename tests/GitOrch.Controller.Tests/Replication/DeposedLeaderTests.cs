using System.Net;
using System.Text.Json;
using GitOrch.Contracts.Replication;
using GitOrch.Controller.Replication;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;

namespace GitOrch.Controller.Tests.Replication;

/// <summary>
/// A write that starts on the leader and finds it deposed midway (the store's fenced write throws
/// <see cref="NotLeaderException"/>) is answered like a follower's refusal, naming the new leader;
/// on real Kestrel with the replica pipeline alone.
/// </summary>
public sealed class DeposedLeaderTests
{
    [Fact]
    public async Task AWriteThatFindsTheLeaderDeposed_IsAnswered503NamingTheNewLeader()
    {
        var directory = new ReplicaDirectory();
        directory.Register(new ReplicaInfo("r1", "https://r1.test:7780", null, DateTimeOffset.UnixEpoch));
        directory.Register(new ReplicaInfo("r2", "https://r2.test:7780", null, DateTimeOffset.UnixEpoch));
        directory.Lead("r1");
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        ReplicaEndpoints.AddServices(builder.Services, directory.RoleOf("r1"));
        await using var app = builder.Build();
        ReplicaEndpoints.UsePipeline(app);
        var reached = 0;
        app.MapPost("/write", () =>
        {
            reached++;
            directory.Lead("r2"); // Another replica took over while this write ran; the fenced write fails.
            throw new NotLeaderException("replica r1 is not the leader; r2 is: send writes there");
        }).LeaderOnly();
        await app.StartAsync();
        try
        {
            using var client = new HttpClient { BaseAddress = new Uri(app.Urls.Single()) };
            using var response = await client.PostAsync(new Uri("/write", UriKind.Relative), content: null);

            Assert.Equal(1, reached);
            Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
            var answer = JsonSerializer.Deserialize<NotLeaderAnswer>(await response.Content.ReadAsStringAsync(), new JsonSerializerOptions(JsonSerializerDefaults.Web))!;
            Assert.Equal(("r1", "r2", (string?)null), (answer.Replica, answer.LeaderName, answer.Leader)); // An anonymous caller learns no address.

            using var second = await client.PostAsync(new Uri("/write", UriKind.Relative), content: null);
            Assert.Equal(HttpStatusCode.ServiceUnavailable, second.StatusCode);
            Assert.Equal(1, reached); // Now a follower: refused before the handler runs.
        }
        finally
        {
            await app.StopAsync();
        }
    }
}

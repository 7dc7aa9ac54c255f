using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace GitOrch.Controller.Tests.Support;

/// <summary>
/// A local stand-in for the GitHub REST API: GitHub itself is unreachable from these machines; it
/// implements only the endpoints GitOrch calls, as GitHub documents them
/// (https://docs.github.com/en/rest): pull requests of a commit, a pull request, its reviews, team
/// membership, issue comments and commit statuses. Data lives in memory; list endpoints page as
/// GitHub does (30 items unless <c>per_page</c> asks for up to 100, with a <c>Link</c> header).
/// Every request must carry <c>Authorization: Bearer TOKEN</c> (or <c>token TOKEN</c>); others get
/// 401 as from GitHub. It runs on Kestrel on a free loopback port.
/// </summary>
internal sealed class GitHubStandIn : IAsyncDisposable
{
    public const string DefaultToken = "ghs_standin0123456789";

    private const string Docs = "https://docs.github.com/rest";

    private readonly Lock _gate = new();
    private readonly WebApplication _app;
    private readonly string _owner;
    private readonly string _name;
    private readonly string _token;
    private readonly Dictionary<string, List<int>> _commitPulls = new(StringComparer.OrdinalIgnoreCase);
    private readonly Dictionary<int, JsonObject> _pulls = [];
    private readonly Dictionary<int, List<JsonObject>> _reviews = [];
    private readonly Dictionary<(string Org, string Team), Dictionary<string, string>> _teams = [];
    private readonly List<Request> _requests = [];
    private readonly List<Comment> _comments = [];
    private readonly List<CommitStatus> _statuses = [];
    private int? _failWith;
    private DateTimeOffset? _rateLimitedUntil;
    private long _nextId = 1000;

    private GitHubStandIn(WebApplication app, string owner, string name, string token)
    {
        _app = app;
        _owner = owner;
        _name = name;
        _token = token;
    }

    /// <summary>The API base URL to give GitOrch (<c>--github-url</c>).</summary>
    public string Url { get; private set; } = string.Empty;

    /// <summary>owner/name (<c>--github-repo</c>).</summary>
    public string Repository => $"{_owner}/{_name}";

    public string Token => _token;

    public IReadOnlyList<Request> Requests
    {
        get
        {
            lock (_gate)
            {
                return [.. _requests];
            }
        }
    }

    public IReadOnlyList<Comment> Comments
    {
        get
        {
            lock (_gate)
            {
                return [.. _comments];
            }
        }
    }

    public IReadOnlyList<CommitStatus> Statuses
    {
        get
        {
            lock (_gate)
            {
                return [.. _statuses];
            }
        }
    }

    /// <summary>From now on every request is refused as GitHub refuses it when the rate limit is used up, until <paramref name="reset"/>.</summary>
    public void ExhaustRateLimit(DateTimeOffset reset)
    {
        lock (_gate)
        {
            _rateLimitedUntil = reset;
        }
    }

    public static async Task<GitHubStandIn> StartAsync(string owner = "acme", string name = "config", string token = DefaultToken)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        var app = builder.Build();
        var standIn = new GitHubStandIn(app, owner, name, token);
        standIn.Map();
        await app.StartAsync();
        standIn.Url = app.Urls.Single();
        return standIn;
    }

    /// <summary>Answers every request with this status (500: GitHub is down) until set back to null.</summary>
    public void FailWith(int? statusCode)
    {
        lock (_gate)
        {
            _failWith = statusCode;
        }
    }

    /// <summary>A pull request of the repository, with the commits that are associated with it (its merge commit, its head).</summary>
    public void AddPullRequest(int number, string baseSha, string headSha, bool merged = true, params string[] associatedCommits)
    {
        lock (_gate)
        {
            _pulls[number] = new JsonObject
            {
                ["url"] = $"{Url}/repos/{Repository}/pulls/{number}",
                ["id"] = _nextId++,
                ["number"] = number,
                ["state"] = merged ? "closed" : "open",
                ["title"] = $"Pull request {number}",
                ["user"] = User("author"),
                ["html_url"] = $"https://github.com/{Repository}/pull/{number}",
                ["merged_at"] = merged ? "2026-01-05T08:00:00Z" : null,
                ["base"] = new JsonObject { ["label"] = $"{_owner}:main", ["ref"] = "main", ["sha"] = baseSha },
                ["head"] = new JsonObject { ["label"] = $"{_owner}:change-{number}", ["ref"] = $"change-{number}", ["sha"] = headSha },
            };
            _reviews.TryAdd(number, []);
            foreach (var sha in associatedCommits.Append(headSha))
            {
                if (!_commitPulls.TryGetValue(sha, out var list))
                {
                    _commitPulls[sha] = list = [];
                }

                if (!list.Contains(number))
                {
                    list.Add(number);
                }
            }
        }
    }

    /// <summary>A comment someone else left on a pull request.</summary>
    public long AddComment(int pullRequest, string body)
    {
        lock (_gate)
        {
            var id = _nextId++;
            _comments.Add(new Comment(pullRequest, body, id));
            return id;
        }
    }

    /// <summary>A submitted review (state APPROVED, CHANGES_REQUESTED, COMMENTED or DISMISSED), in submission order.</summary>
    public void AddReview(int pullRequest, string login, string state)
    {
        lock (_gate)
        {
            var reviews = _reviews[pullRequest];
            reviews.Add(new JsonObject
            {
                ["id"] = _nextId++,
                ["user"] = User(login),
                ["body"] = string.Empty,
                ["state"] = state,
                ["html_url"] = $"https://github.com/{Repository}/pull/{pullRequest}#pullrequestreview-{_nextId}",
                ["submitted_at"] = new DateTimeOffset(2026, 1, 5, 7, 0, 0, TimeSpan.Zero).AddMinutes(reviews.Count).ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture),
                ["commit_id"] = (string?)_pulls[pullRequest]["head"]!["sha"],
                ["author_association"] = "MEMBER",
            });
        }
    }

    /// <summary>A user in a team of the repository owner's organisation; state "active", or "pending" for an unanswered invitation.</summary>
    public void AddTeamMember(string team, string login, string state = "active")
    {
        lock (_gate)
        {
            if (!_teams.TryGetValue((_owner, team), out var members))
            {
                _teams[(_owner, team)] = members = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
            }

            members[login] = state;
        }
    }

    private void Map()
    {
        // The API at the root (as api.github.com) and under /api/v3 (as a GitHub Enterprise host):
        // tests give GitOrch either base URL. Paths are recorded without the base.
        _app.UsePathBase("/api/v3");
        _app.UseRouting();
        _app.Use(async (context, next) =>
        {
            int? fail;
            DateTimeOffset? limited;
            lock (_gate)
            {
                _requests.Add(new Request(context.Request.Method, context.Request.Path + context.Request.QueryString, context.Request.Headers.Authorization.ToString(), context.Request.PathBase));
                fail = _failWith;
                limited = _rateLimitedUntil;
            }

            if (limited is { } reset)
            {
                // What GitHub sends when the primary rate limit is used up.
                context.Response.Headers["X-RateLimit-Limit"] = "5000";
                context.Response.Headers["X-RateLimit-Remaining"] = "0";
                context.Response.Headers["X-RateLimit-Reset"] = reset.ToUnixTimeSeconds().ToString(System.Globalization.CultureInfo.InvariantCulture);
                await Write(context, 403, new JsonObject
                {
                    ["message"] = "API rate limit exceeded for user ID 1.",
                    ["documentation_url"] = "https://docs.github.com/rest/overview/resources-in-the-rest-api#rate-limiting",
                });
                return;
            }

            if (fail is { } code)
            {
                await Write(context, code, new JsonObject { ["message"] = "Server Error" });
                return;
            }

            var authorization = context.Request.Headers.Authorization.ToString();
            if (authorization.Length == 0)
            {
                await Write(context, 401, Error("Requires authentication", 401));
                return;
            }

            if (authorization != $"Bearer {_token}" && authorization != $"token {_token}")
            {
                await Write(context, 401, Error("Bad credentials", 401));
                return;
            }

            await next(context);
        });

        _app.MapGet("/repos/{owner}/{repo}/commits/{sha}/pulls", (HttpContext context, string owner, string repo, string sha) =>
        {
            lock (_gate)
            {
                if (!IsRepository(owner, repo))
                {
                    return Write(context, 404, Error("Not Found", 404));
                }

                var pulls = _commitPulls.TryGetValue(sha, out var numbers) ? numbers.Select(n => (JsonNode)_pulls[n].DeepClone()).ToList() : [];
                return Page(context, pulls);
            }
        });

        _app.MapGet("/repos/{owner}/{repo}/pulls/{number:int}", (HttpContext context, string owner, string repo, int number) =>
        {
            lock (_gate)
            {
                return IsRepository(owner, repo) && _pulls.TryGetValue(number, out var pull)
                    ? Write(context, 200, pull.DeepClone())
                    : Write(context, 404, Error("Not Found", 404));
            }
        });

        _app.MapGet("/repos/{owner}/{repo}/pulls/{number:int}/reviews", (HttpContext context, string owner, string repo, int number) =>
        {
            lock (_gate)
            {
                return IsRepository(owner, repo) && _reviews.TryGetValue(number, out var reviews)
                    ? Page(context, reviews.Select(r => r.DeepClone()).ToList())
                    : Write(context, 404, Error("Not Found", 404));
            }
        });

        _app.MapGet("/orgs/{org}/teams/{team}/memberships/{user}", (HttpContext context, string org, string team, string user) =>
        {
            lock (_gate)
            {
                // GitHub answers 404 both for an unknown team and for a user who is not a member.
                return _teams.TryGetValue((org, team), out var members) && members.TryGetValue(user, out var state)
                    ? Write(context, 200, new JsonObject { ["url"] = $"{Url}/teams/1/memberships/{user}", ["role"] = "member", ["state"] = state })
                    : Write(context, 404, Error("Not Found", 404));
            }
        });

        _app.MapPost("/repos/{owner}/{repo}/issues/{number:int}/comments", async (HttpContext context, string owner, string repo, int number) =>
        {
            var body = await ReadBody(context);
            var (status, answer) = PostComment(owner, repo, number, body);
            await Write(context, status, answer);
        });

        _app.MapGet("/repos/{owner}/{repo}/issues/{number:int}/comments", (HttpContext context, string owner, string repo, int number) =>
        {
            lock (_gate)
            {
                if (!IsRepository(owner, repo) || !_pulls.ContainsKey(number))
                {
                    return Write(context, 404, Error("Not Found", 404));
                }

                return Page(context, [.. _comments.Where(c => c.PullRequest == number).Select(c => (JsonNode)new JsonObject
                {
                    ["id"] = c.Id,
                    ["html_url"] = $"https://github.com/{Repository}/pull/{number}#issuecomment-{c.Id}",
                    ["body"] = c.Body,
                    ["user"] = User("gitorch-bot"),
                    ["created_at"] = "2026-01-05T09:00:00Z",
                })]);
            }
        });

        _app.MapMethods("/repos/{owner}/{repo}/issues/comments/{id:long}", ["PATCH"], async (HttpContext context, string owner, string repo, long id) =>
        {
            var body = await ReadBody(context);
            int status;
            JsonNode answer;
            lock (_gate)
            {
                var index = _comments.FindIndex(c => c.Id == id);
                if (!IsRepository(owner, repo) || index < 0)
                {
                    (status, answer) = (404, Error("Not Found", 404));
                }
                else if (body?["body"]?.GetValueKind() != JsonValueKind.String)
                {
                    (status, answer) = (422, Error("Invalid request.\n\n\"body\" wasn't supplied.", 422));
                }
                else
                {
                    _comments[index] = _comments[index] with { Body = (string)body["body"]! };
                    (status, answer) = (200, new JsonObject { ["id"] = id, ["body"] = _comments[index].Body, ["user"] = User("gitorch-bot") });
                }
            }

            await Write(context, status, answer);
        });

        _app.MapPost("/repos/{owner}/{repo}/statuses/{sha}", async (HttpContext context, string owner, string repo, string sha) =>
        {
            var body = await ReadBody(context);
            var (status, answer) = PostStatus(owner, repo, sha, body);
            await Write(context, status, answer);
        });

        _app.MapFallback((HttpContext context) => Write(context, 404, Error("Not Found", 404)));
    }

    private (int Status, JsonNode Body) PostComment(string owner, string repo, int number, JsonNode? body)
    {
        lock (_gate)
        {
            if (!IsRepository(owner, repo) || !_pulls.ContainsKey(number))
            {
                return (404, Error("Not Found", 404));
            }

            if (body?["body"]?.GetValueKind() != JsonValueKind.String)
            {
                return (422, Error("Invalid request.\n\n\"body\" wasn't supplied.", 422));
            }

            var text = (string)body["body"]!;
            var id = _nextId++;
            _comments.Add(new Comment(number, text, id));
            return (201, new JsonObject
            {
                ["id"] = id,
                ["html_url"] = $"https://github.com/{Repository}/pull/{number}#issuecomment-{id}",
                ["body"] = text,
                ["user"] = User("gitorch-bot"),
                ["created_at"] = "2026-01-05T09:00:00Z",
            });
        }
    }

    private (int Status, JsonNode Body) PostStatus(string owner, string repo, string sha, JsonNode? body)
    {
        lock (_gate)
        {
            if (!IsRepository(owner, repo))
            {
                return (404, Error("Not Found", 404));
            }

            var state = body?["state"]?.GetValueKind() == JsonValueKind.String ? (string)body["state"]! : null;
            if (state is not ("error" or "failure" or "pending" or "success"))
            {
                return (422, Error("Validation Failed", 422));
            }

            var description = Text(body!["description"]);
            if (description is { Length: > 140 })
            {
                return (422, Error("Validation Failed: description is too long (maximum is 140 characters)", 422));
            }

            var status = new CommitStatus(sha, state, description, Text(body["context"]) ?? "default", Text(body["target_url"]));
            _statuses.Add(status);
            return (201, new JsonObject
            {
                ["id"] = _nextId++,
                ["state"] = status.State,
                ["description"] = status.Description,
                ["context"] = status.Context,
                ["target_url"] = status.TargetUrl,
                ["created_at"] = "2026-01-05T09:00:00Z",
            });
        }
    }

    private static string? Text(JsonNode? node) => node?.GetValueKind() == JsonValueKind.String ? (string?)node : null;

    private bool IsRepository(string owner, string repo) =>
        string.Equals(owner, _owner, StringComparison.OrdinalIgnoreCase) && string.Equals(repo, _name, StringComparison.OrdinalIgnoreCase);

    /// <summary>One page of a list, as GitHub pages: per_page (default 30, at most 100), page (from 1), and a Link header.</summary>
    private static Task Page(HttpContext context, List<JsonNode> items)
    {
        var perPage = int.TryParse(context.Request.Query["per_page"], out var p) && p > 0 ? Math.Min(p, 100) : 30;
        var page = int.TryParse(context.Request.Query["page"], out var n) && n > 0 ? n : 1;
        var last = Math.Max(1, (items.Count + perPage - 1) / perPage);
        var url = $"{context.Request.Scheme}://{context.Request.Host}{context.Request.PathBase}{context.Request.Path}";
        var links = new List<string>();
        if (page < last)
        {
            links.Add($"<{url}?per_page={perPage}&page={page + 1}>; rel=\"next\"");
            links.Add($"<{url}?per_page={perPage}&page={last}>; rel=\"last\"");
        }

        if (page > 1)
        {
            links.Add($"<{url}?per_page={perPage}&page=1>; rel=\"first\"");
            links.Add($"<{url}?per_page={perPage}&page={page - 1}>; rel=\"prev\"");
        }

        if (links.Count > 0)
        {
            context.Response.Headers.Link = string.Join(", ", links);
        }

        return Write(context, 200, new JsonArray([.. items.Skip((page - 1) * perPage).Take(perPage)]));
    }

    private static async Task<JsonNode?> ReadBody(HttpContext context)
    {
        try
        {
            return await JsonNode.ParseAsync(context.Request.Body);
        }
        catch (JsonException)
        {
            return null;
        }
    }

    private static Task Write(HttpContext context, int status, JsonNode body)
    {
        context.Response.StatusCode = status;
        context.Response.ContentType = "application/json; charset=utf-8";
        return context.Response.WriteAsync(body.ToJsonString());
    }

    private static JsonObject Error(string message, int status) =>
        new() { ["message"] = message, ["documentation_url"] = Docs, ["status"] = status.ToString(CultureInfo.InvariantCulture) };

    private static JsonObject User(string login) => new() { ["login"] = login, ["id"] = 1 + login.Sum(c => (int)c), ["type"] = "User" };

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }

    /// <summary>A request as received: its path without the <c>/api/v3</c> base (kept in <paramref name="PathBase"/>).</summary>
    public sealed record Request(string Method, string PathAndQuery, string Authorization, string PathBase = "");

    public sealed record Comment(int PullRequest, string Body, long Id = 0);

    public sealed record CommitStatus(string Sha, string State, string? Description, string Context, string? TargetUrl);
}

using System.Globalization;
using System.Net;
using Octo = Octokit;

namespace GitOrch.Controller.Forge;

/// <summary>
/// The few GitHub REST API calls GitOrch makes, through Octokit: which pull request merged a
/// commit and its reviews, team membership, PR comments and commit statuses. The base URL is
/// configurable for GitHub Enterprise (<c>https://HOST/api/v3</c>) and used exactly as given: the
/// Octokit connection is built from it directly, so nothing (such as <c>api/v3/</c>) is appended.
/// </summary>
public sealed class GitHubClient : IDisposable
{
    public const string DefaultApi = "https://api.github.com";

    private static readonly Octo.ApiOptions AllPages = new() { PageSize = 100 };
    private readonly Octo.Internal.HttpClientAdapter _http;
    private readonly Octo.GitHubClient _client;
    private readonly Octo.ApiConnection _api;

    public GitHubClient(GitHubOptions options)
    {
        Options = options;
        var parts = options.Repository.Split('/');
        if (parts.Length != 2 || parts.Any(p => p.Length == 0))
        {
            throw new ForgeException($"--github-repo \"{options.Repository}\" is not owner/name");
        }

        if (!Uri.TryCreate(options.ApiUrl.TrimEnd('/') + "/", UriKind.Absolute, out var apiUrl) || apiUrl.Scheme is not ("https" or "http"))
        {
            throw new ForgeException($"--github-url \"{options.ApiUrl}\" is not an http(s) URL; give the API URL, such as {DefaultApi} or https://HOST/api/v3");
        }

        Owner = parts[0];
        Name = parts[1];
        _http = new Octo.Internal.HttpClientAdapter(Octo.Internal.HttpMessageHandlerFactory.CreateDefault);
        var credentials = options.Token is { Length: > 0 } token
            ? new Octo.Credentials(token, Octo.AuthenticationType.Bearer)
            : Octo.Credentials.Anonymous;
        var connection = new Octo.Connection(
            new Octo.ProductHeaderValue("gitorch", "0.1"),
            apiUrl,
            new Octo.Internal.InMemoryCredentialStore(credentials),
            _http,
            new Octo.Internal.SimpleJsonSerializer());
        connection.SetRequestTimeout(TimeSpan.FromSeconds(20));
        _client = new Octo.GitHubClient(connection);
        _api = new Octo.ApiConnection(connection);
    }

    public GitHubOptions Options { get; }

    public string Owner { get; }

    private string Name { get; }

    /// <summary>The pull request that brought a commit in (GET /repos/{repo}/commits/{sha}/pulls), or null.</summary>
    public async Task<int?> PullRequestOfAsync(string sha, CancellationToken ct)
    {
        var pulls = await Call($"/repos/{Options.Repository}/commits/{sha}/pulls", () => _client.Repository.Commit.PullRequests(Owner, Name, sha, AllPages), ct);
        return (pulls.FirstOrDefault(p => p.MergedAt is not null) ?? pulls.FirstOrDefault())?.Number;
    }

    public async Task<PullRequest> PullRequestAsync(int number, CancellationToken ct)
    {
        var pull = await Call($"/repos/{Options.Repository}/pulls/{number}", () => _client.PullRequest.Get(Owner, Name, number), ct);
        return new PullRequest(
            pull.Number,
            pull.MergedAt,
            pull.Base is { } b ? new GitRef(b.Sha, b.Ref) : null,
            pull.Head is { } h ? new GitRef(h.Sha, h.Ref) : null,
            pull.HtmlUrl);
    }

    /// <summary>Each reviewer's latest review of a pull request.</summary>
    public async Task<IReadOnlyList<Review>> LatestReviewsAsync(int number, CancellationToken ct)
    {
        var reviews = await Call($"/repos/{Options.Repository}/pulls/{number}/reviews", () => _client.PullRequest.Review.GetAll(Owner, Name, number, AllPages), ct);
        return reviews
            .Select(r => new Review(r.User is { Login: { } login } ? new User(login) : null, r.State.StringValue.ToUpperInvariant(), r.SubmittedAt, r.CommitId))
            .Where(r => r.User is not null && r.State != "COMMENTED")
            .GroupBy(r => r.User!.Login, StringComparer.OrdinalIgnoreCase)
            .Select(g => g.OrderBy(r => r.SubmittedAt).Last())
            .ToList();
    }

    /// <summary>Whether a user is an active member of a team of the repository's owner organisation.</summary>
    public async Task<bool> IsTeamMemberAsync(string team, string login, CancellationToken ct)
    {
        // GET /orgs/{org}/teams/{team_slug}/memberships/{username}: Octokit's typed team calls take a
        // team id, so this one goes through its API connection by slug, saving a lookup.
        var path = new Uri($"orgs/{Uri.EscapeDataString(Owner)}/teams/{Uri.EscapeDataString(team)}/memberships/{Uri.EscapeDataString(login)}", UriKind.Relative);
        var membership = await Call("/" + path.OriginalString, async () =>
        {
            try
            {
                return await _api.Get<Octo.TeamMembershipDetails>(path);
            }
            catch (Octo.NotFoundException)
            {
                // GitHub answers 404 both for an unknown team and for a user who is not a member.
                return null;
            }
        }, ct);
        return membership is not null && string.Equals(membership.State.StringValue, "active", StringComparison.OrdinalIgnoreCase);
    }

    /// <summary>
    /// Whether a pull request has an approving review from an approver: a user named in the list,
    /// or a member of a team named in it. Returns who approved, or null.
    /// </summary>
    public async Task<string?> ApprovedByAsync(int pr, IReadOnlyList<string> approvers, CancellationToken ct)
    {
        // An approval given for an older head (before later pushes) does not count.
        var head = (await PullRequestAsync(pr, ct)).Head?.Sha;
        foreach (var review in (await LatestReviewsAsync(pr, ct)).Where(r => r.State == "APPROVED" && (r.CommitId is null || head is null || r.CommitId == head)))
        {
            var login = review.User!.Login;
            foreach (var approver in approvers)
            {
                if (string.Equals(approver, login, StringComparison.OrdinalIgnoreCase) || await IsTeamMemberAsync(approver, login, ct))
                {
                    return login;
                }
            }
        }

        return null;
    }

    /// <summary>The hidden marker that identifies GitOrch's plan comment on a pull request.</summary>
    public const string PlanMarker = "<!-- gitorch:plan -->";

    /// <summary>
    /// Posts the plan on a pull request: one comment per pull request, found by its hidden marker
    /// and updated in place on every later run (as Atlantis and Argo CD's PR tooling do).
    /// Returns true when an existing comment was updated.
    /// </summary>
    public async Task<bool> CommentAsync(int pr, string body, CancellationToken ct)
    {
        body = body.Contains(PlanMarker, StringComparison.Ordinal) ? body : body.TrimEnd() + "\n\n" + PlanMarker + "\n";
        var existing = (await Call($"/repos/{Options.Repository}/issues/{pr}/comments", () => _client.Issue.Comment.GetAllForIssue(Owner, Name, pr, AllPages), ct))
            .FirstOrDefault(c => c.Body?.Contains(PlanMarker, StringComparison.Ordinal) == true);
        if (existing is null)
        {
            await Call($"/repos/{Options.Repository}/issues/{pr}/comments", () => _client.Issue.Comment.Create(Owner, Name, pr, body), ct);
            return false;
        }

        await Call($"/repos/{Options.Repository}/issues/comments/{existing.Id}", () => _client.Issue.Comment.Update(Owner, Name, existing.Id, body), ct);
        return true;
    }

    /// <summary>Sets a commit status (state: success, failure, pending, error) under the context gitorch/plan.</summary>
    public async Task StatusAsync(string sha, string state, string description, CancellationToken ct)
    {
        var commitState = state switch
        {
            "success" => Octo.CommitState.Success,
            "failure" => Octo.CommitState.Failure,
            "pending" => Octo.CommitState.Pending,
            "error" => Octo.CommitState.Error,
            _ => throw new ArgumentOutOfRangeException(nameof(state), state, "a commit status is success, failure, pending or error"),
        };
        var status = new Octo.NewCommitStatus
        {
            State = commitState,
            Description = description.Length > 140 ? description[..139] + "…" : description,
            Context = "gitorch/plan",
        };
        await Call($"/repos/{Options.Repository}/statuses/{sha}", () => _client.Repository.Status.Create(Owner, Name, sha, status), ct);
    }

    /// <summary>One Octokit call, its failures said as what they mean for GitOrch.</summary>
    private async Task<T> Call<T>(string path, Func<Task<T>> call, CancellationToken ct)
    {
        ct.ThrowIfCancellationRequested();
        try
        {
            return await call().WaitAsync(ct);
        }
        catch (Octo.RateLimitExceededException ex)
        {
            throw RateLimited(ex.Limit, ex.Reset);
        }
        catch (Octo.ApiException ex)
        {
            throw Refused(path, ex);
        }
        catch (HttpRequestException ex)
        {
            throw new ForgeUnavailableException($"cannot reach the GitHub API at {Options.ApiUrl} ({ex.Message}); will try again");
        }
        catch (TaskCanceledException) when (!ct.IsCancellationRequested)
        {
            throw new ForgeUnavailableException($"the GitHub API at {Options.ApiUrl} did not answer in time; will try again");
        }
    }

    private static ForgeUnavailableException RateLimited(int? limit, DateTimeOffset? reset) =>
        new($"the GitHub API rate limit is used up{(limit is { } l ? $" ({l} requests an hour)" : string.Empty)}"
            + $"{(reset is { } r ? $"; it resets at {r.ToUniversalTime():yyyy-MM-dd HH:mm:ss} UTC" : string.Empty)}"
            + "; will try again then (a token of its own for gitorch raises the limit)");

    private static ForgeException Refused(string path, Octo.ApiException ex)
    {
        var code = ex.StatusCode;
        var headers = ex.HttpResponse?.Headers;
        string? Header(string name) => headers?.FirstOrDefault(h => string.Equals(h.Key, name, StringComparison.OrdinalIgnoreCase)).Value;

        // A used-up limit that Octokit did not type (a 429, or a 403 whose body does not say it).
        if (code is HttpStatusCode.Forbidden or HttpStatusCode.TooManyRequests && Header("X-RateLimit-Remaining") == "0")
        {
            return RateLimited(
                int.TryParse(Header("X-RateLimit-Limit"), NumberStyles.None, CultureInfo.InvariantCulture, out var limit) ? limit : null,
                long.TryParse(Header("X-RateLimit-Reset"), NumberStyles.None, CultureInfo.InvariantCulture, out var epoch) ? DateTimeOffset.FromUnixTimeSeconds(epoch) : null);
        }

        var detail = ex.HttpResponse?.Body as string ?? ex.Message;
        detail = detail.Length > 200 ? detail[..200] : detail;
        if ((int)code >= 500 || code == HttpStatusCode.TooManyRequests)
        {
            return new ForgeUnavailableException($"the GitHub API answered {(int)code}: {detail}; will try again");
        }

        return new ForgeException($"the GitHub API answered {(int)code} for {path}: {detail}{(code is HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden ? " (check the token)" : string.Empty)}");
    }

    public void Dispose() => _http.Dispose();

    public sealed record PullRequest(int Number, DateTimeOffset? MergedAt, GitRef? Base, GitRef? Head, string? HtmlUrl);

    public sealed record GitRef(string Sha, string? Ref);

    public sealed record Review(User? User, string State, DateTimeOffset? SubmittedAt, string? CommitId = null);

    public sealed record User(string Login);

    public sealed record IssueComment(long Id, string? Body);
}

/// <summary>Where the forge is: the API URL, the repository (owner/name) and the token.</summary>
public sealed record GitHubOptions(string Repository, string ApiUrl = GitHubClient.DefaultApi, string? Token = null);

/// <summary>The forge answered, and the answer is a refusal or an error the user must fix.</summary>
public class ForgeException(string message) : Exception(message);

/// <summary>The forge could not be reached (or was overloaded): try again later, do not reject.</summary>
public sealed class ForgeUnavailableException(string message) : ForgeException(message);

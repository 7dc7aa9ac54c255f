using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace GitOrch.Controller.Forge;

/// <summary>
/// The few GitHub REST API calls GitOrch makes (HttpClient, no SDK): which pull request merged a
/// commit and its reviews, team membership, PR comments and commit statuses. The base URL is
/// configurable for GitHub Enterprise (<c>https://HOST/api/v3</c>).
/// </summary>
public sealed class GitHubClient : IDisposable
{
    public const string DefaultApi = "https://api.github.com";

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower };
    private readonly HttpClient _http;

    public GitHubClient(GitHubOptions options)
    {
        Options = options;
        var parts = options.Repository.Split('/');
        if (parts.Length != 2 || parts.Any(p => p.Length == 0))
        {
            throw new ForgeException($"--github-repo \"{options.Repository}\" is not owner/name");
        }

        Owner = parts[0];
        _http = new HttpClient { BaseAddress = new Uri(options.ApiUrl.TrimEnd('/') + "/"), Timeout = TimeSpan.FromSeconds(20) };
        _http.DefaultRequestHeaders.Accept.Add(new MediaTypeWithQualityHeaderValue("application/vnd.github+json"));
        _http.DefaultRequestHeaders.Add("X-GitHub-Api-Version", "2022-11-28");
        _http.DefaultRequestHeaders.UserAgent.Add(new ProductInfoHeaderValue("gitorch", "0.1"));
        if (options.Token is { Length: > 0 } token)
        {
            _http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        }
    }

    public GitHubOptions Options { get; }

    public string Owner { get; }

    /// <summary>The pull request that brought a commit in (GET /repos/{repo}/commits/{sha}/pulls), or null.</summary>
    public async Task<int?> PullRequestOfAsync(string sha, CancellationToken ct)
    {
        var pulls = await GetAllAsync<PullRequest>($"repos/{Options.Repository}/commits/{sha}/pulls", ct);
        return (pulls.FirstOrDefault(p => p.MergedAt is not null) ?? pulls.FirstOrDefault())?.Number;
    }

    public async Task<PullRequest> PullRequestAsync(int number, CancellationToken ct) =>
        await GetAsync<PullRequest>($"repos/{Options.Repository}/pulls/{number}", ct) ?? throw new ForgeException($"pull request #{number} not found in {Options.Repository}");

    /// <summary>Each reviewer's latest review of a pull request.</summary>
    public async Task<IReadOnlyList<Review>> LatestReviewsAsync(int number, CancellationToken ct)
    {
        var reviews = await GetAllAsync<Review>($"repos/{Options.Repository}/pulls/{number}/reviews", ct);
        return reviews.Where(r => r.User is not null && r.State != "COMMENTED")
            .GroupBy(r => r.User!.Login, StringComparer.OrdinalIgnoreCase)
            .Select(g => g.OrderBy(r => r.SubmittedAt).Last())
            .ToList();
    }

    /// <summary>Whether a user is an active member of a team of the repository's owner organisation.</summary>
    public async Task<bool> IsTeamMemberAsync(string team, string login, CancellationToken ct)
    {
        using var response = await SendAsync(HttpMethod.Get, $"orgs/{Owner}/teams/{Uri.EscapeDataString(team)}/memberships/{Uri.EscapeDataString(login)}", null, ct);
        if (response.StatusCode == HttpStatusCode.NotFound)
        {
            return false;
        }

        await Ensure(response, ct);
        var membership = await response.Content.ReadFromJsonAsync<Membership>(Json, ct);
        return membership?.State == "active";
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
        var existing = (await GetAllAsync<IssueComment>($"repos/{Options.Repository}/issues/{pr}/comments", ct))
            .FirstOrDefault(c => c.Body?.Contains(PlanMarker, StringComparison.Ordinal) == true);
        using var response = existing is null
            ? await SendAsync(HttpMethod.Post, $"repos/{Options.Repository}/issues/{pr}/comments", new { body }, ct)
            : await SendAsync(HttpMethod.Patch, $"repos/{Options.Repository}/issues/comments/{existing.Id}", new { body }, ct);
        await Ensure(response, ct);
        return existing is not null;
    }

    /// <summary>Sets a commit status (state: success, failure, pending, error) under the context gitorch/plan.</summary>
    public async Task StatusAsync(string sha, string state, string description, CancellationToken ct)
    {
        using var response = await SendAsync(HttpMethod.Post, $"repos/{Options.Repository}/statuses/{sha}",
            new { state, description = description.Length > 140 ? description[..139] + "…" : description, context = "gitorch/plan" }, ct);
        await Ensure(response, ct);
    }

    /// <summary>Every page of a list (100 per page, following the Link header's rel="next").</summary>
    private async Task<List<T>> GetAllAsync<T>(string path, CancellationToken ct)
    {
        var all = new List<T>();
        string? next = path + (path.Contains('?', StringComparison.Ordinal) ? "&" : "?") + "per_page=100";
        for (var page = 0; next is not null && page < 50; page++)
        {
            using var response = await SendAsync(HttpMethod.Get, next, null, ct);
            await Ensure(response, ct);
            all.AddRange(await response.Content.ReadFromJsonAsync<List<T>>(Json, ct) ?? []);
            next = NextPage(response);
        }

        return all;
    }

    private static string? NextPage(HttpResponseMessage response)
    {
        if (!response.Headers.TryGetValues("Link", out var links))
        {
            return null;
        }

        foreach (var part in string.Join(',', links).Split(','))
        {
            var pieces = part.Split(';');
            if (pieces.Length > 1 && pieces[1].Trim() == "rel=\"next\"")
            {
                return pieces[0].Trim().TrimStart('<').TrimEnd('>');
            }
        }

        return null;
    }

    private async Task<T?> GetAsync<T>(string path, CancellationToken ct)
    {
        using var response = await SendAsync(HttpMethod.Get, path, null, ct);
        await Ensure(response, ct);
        return await response.Content.ReadFromJsonAsync<T>(Json, ct);
    }

    private async Task<HttpResponseMessage> SendAsync(HttpMethod method, string path, object? body, CancellationToken ct)
    {
        using var request = new HttpRequestMessage(method, path);
        if (body is not null)
        {
            request.Content = JsonContent.Create(body, options: Json);
        }

        try
        {
            return await _http.SendAsync(request, ct);
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

    private static async Task Ensure(HttpResponseMessage response, CancellationToken ct)
    {
        if (response.IsSuccessStatusCode)
        {
            return;
        }

        var body = await response.Content.ReadAsStringAsync(ct);
        var detail = body.Length > 200 ? body[..200] : body;
        if (response.StatusCode is HttpStatusCode.Forbidden or HttpStatusCode.TooManyRequests
            && response.Headers.TryGetValues("X-RateLimit-Remaining", out var remaining) && remaining.FirstOrDefault() == "0")
        {
            var reset = response.Headers.TryGetValues("X-RateLimit-Reset", out var resets) && long.TryParse(resets.FirstOrDefault(), out var epoch)
                ? $"; it resets at {DateTimeOffset.FromUnixTimeSeconds(epoch):yyyy-MM-dd HH:mm:ss} UTC"
                : string.Empty;
            var limit = response.Headers.TryGetValues("X-RateLimit-Limit", out var limits) ? $" ({limits.FirstOrDefault()} requests an hour)" : string.Empty;
            throw new ForgeUnavailableException($"the GitHub API rate limit is used up{limit}{reset}; will try again then (a token of its own for gitorch raises the limit)");
        }

        if ((int)response.StatusCode >= 500 || response.StatusCode == HttpStatusCode.TooManyRequests)
        {
            throw new ForgeUnavailableException($"the GitHub API answered {(int)response.StatusCode}: {detail}; will try again");
        }

        throw new ForgeException($"the GitHub API answered {(int)response.StatusCode} for {response.RequestMessage?.RequestUri?.AbsolutePath}: {detail}{(response.StatusCode is HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden ? " (check the token)" : string.Empty)}");
    }

    public void Dispose() => _http.Dispose();

    public sealed record PullRequest(int Number, DateTimeOffset? MergedAt, GitRef? Base, GitRef? Head, string? HtmlUrl);

    public sealed record GitRef(string Sha, string? Ref);

    public sealed record Review(User? User, string State, DateTimeOffset? SubmittedAt, string? CommitId = null);

    public sealed record User(string Login);

    public sealed record IssueComment(long Id, string? Body);

    private sealed record Membership(string State);
}

/// <summary>Where the forge is: the API URL, the repository (owner/name) and the token.</summary>
public sealed record GitHubOptions(string Repository, string ApiUrl = GitHubClient.DefaultApi, string? Token = null);

/// <summary>The forge answered, and the answer is a refusal or an error the user must fix.</summary>
public class ForgeException(string message) : Exception(message);

/// <summary>The forge could not be reached (or was overloaded): try again later, do not reject.</summary>
public sealed class ForgeUnavailableException(string message) : ForgeException(message);

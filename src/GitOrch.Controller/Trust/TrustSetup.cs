using System.Net;
using System.Security.Claims;
using System.Security.Cryptography.X509Certificates;
using GitOrch.Contracts.Trust;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Certificate;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Authorization.Policy;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.AspNetCore.Server.Kestrel.Https;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;

namespace GitOrch.Controller.Trust;

/// <summary>
/// Wires the trust model into the web host: HTTPS endpoints with the cluster's certificate (plain
/// HTTP answered with a refusal), the <c>Bearer</c> and <c>Certificate</c> schemes, the
/// <c>admin</c>/<c>viewer</c>/<c>node</c> policies (and a fallback that needs a credential for
/// anything unmarked), and the audit log of writes.
/// </summary>
public static partial class TrustSetup
{
    /// <summary>The schemes the API's policies accept (another scheme, such as the web view's cookie, is added here).</summary>
    public static readonly List<string> ApiSchemes = [Identities.BearerScheme, Identities.CertificateScheme];

    public static void AddServices(IServiceCollection services, ClusterPki pki, TokenStore tokens)
    {
        services.AddSingleton(pki);
        services.AddSingleton(tokens);
        services.AddSingleton<IAuthorizationMiddlewareResultHandler, JsonAuthorizationResultHandler>();

        // The core of authentication, without the ASP.NET Core key ring that AddAuthentication brings:
        // nothing here protects data with it, and its hosted service wrote a key, unencrypted, under
        // $HOME/.aspnet at every start.
        var trust = new X509Certificate2Collection { X509CertificateLoader.LoadCertificate(pki.Ca.RawData) };
        services.AddWebEncoders();
        services.TryAddSingleton(TimeProvider.System);
        services.AddAuthenticationCore(o =>
        {
            o.DefaultScheme = Identities.BearerScheme;
            o.DefaultChallengeScheme = Identities.BearerScheme;
        });
        new AuthenticationBuilder(services)
            .AddScheme<AuthenticationSchemeOptions, BearerTokenHandler>(Identities.BearerScheme, null)
            .AddCertificate(Identities.CertificateScheme, o =>
            {
                o.AllowedCertificateTypes = CertificateTypes.Chained;
                o.ChainTrustValidationMode = X509ChainTrustMode.CustomRootTrust;
                o.CustomTrustStore = trust;
                o.RevocationMode = X509RevocationMode.NoCheck;
                o.ValidateCertificateUse = true;
                o.ValidateValidityPeriod = true;
                o.Events = new CertificateAuthenticationEvents
                {
                    OnCertificateValidated = context =>
                    {
                        var subject = context.ClientCertificate.SubjectName;
                        var node = context.ClientCertificate.GetNameInfo(X509NameType.SimpleName, forIssuer: false);
                        var organization = subject.EnumerateRelativeDistinguishedNames().FirstOrDefault(r => r.GetSingleElementType().Value == "2.5.4.10")?.GetSingleElementValue();
                        if (organization != ClusterPki.NodeOrganization || string.IsNullOrEmpty(node))
                        {
                            context.Fail($"the client certificate {context.ClientCertificate.Subject} names no node (O={ClusterPki.NodeOrganization}, CN=NODE)");
                            return Task.CompletedTask;
                        }

                        if (context.HttpContext.RequestServices.GetService<TokenStore>()?.NodeCertificateRefusal(context.ClientCertificate.SerialNumber, node) is { } revoked)
                        {
                            context.Fail(revoked);
                            context.HttpContext.Items[BearerTokenHandler.RefusalItem] = revoked;
                            return Task.CompletedTask;
                        }

                        context.Principal = new ClaimsPrincipal(new ClaimsIdentity(
                            [new Claim(ClaimTypes.Name, $"node:{node}"), new Claim(ClaimTypes.Role, Identities.NodeRole), new Claim(Identities.NodeClaim, node)],
                            context.Scheme.Name));
                        context.Success();
                        return Task.CompletedTask;
                    },
                    OnAuthenticationFailed = context =>
                    {
                        context.HttpContext.Items[BearerTokenHandler.RefusalItem] ??= $"the client certificate is not from this cluster's CA or not for a node ({context.Exception.Message})";
                        return Task.CompletedTask;
                    },
                };
            });
        services.AddAuthorization(o =>
        {
            o.AddPolicy(Identities.AdminPolicy, p => p.AddAuthenticationSchemes([.. ApiSchemes]).RequireRole(Identities.AdminRole));
            o.AddPolicy(Identities.ViewerPolicy, p => p.AddAuthenticationSchemes([.. ApiSchemes]).RequireRole(Identities.AdminRole, Identities.ViewerRole));
            o.AddPolicy(Identities.NodePolicy, p => p.AddAuthenticationSchemes(Identities.CertificateScheme).RequireRole(Identities.NodeRole));
            o.FallbackPolicy = o.GetPolicy(Identities.ViewerPolicy);
        });
        services.AddGrpc();
    }

    /// <summary>Listens on <paramref name="address"/> with TLS (the API certificate and its CA chain), client certificates optional, plain HTTP refused.</summary>
    public static List<ListenOptions> Listen(KestrelServerOptions kestrel, ListenAddress address, HttpProtocols protocols, ClusterPki pki)
    {
        var bound = new List<ListenOptions>();
        foreach (var ip in address.Addresses())
        {
            kestrel.Listen(ip, address.Port, listen =>
            {
                listen.Protocols = protocols;
                PlainHttpRefusal.Use(listen, address.ClientUrl(address.Port), listen.ApplicationServices.GetRequiredService<ILoggerFactory>().CreateLogger("GitOrch.Controller.Trust"));
                listen.UseHttps(new HttpsConnectionAdapterOptions
                {
                    ServerCertificate = pki.ApiCertificate,
                    ServerCertificateChain = [X509CertificateLoader.LoadCertificate(pki.Ca.RawData)],
                    ClientCertificateMode = ClientCertificateMode.AllowCertificate,
                    ClientCertificateValidation = (_, _, _) => true, // The Certificate scheme decides (chain to the cluster CA, client use, a node subject).
                    CheckCertificateRevocation = false,
                });
                bound.Add(listen);
            });

            if (address.Port == 0)
            {
                break; // One free port, on the first address.
            }
        }

        return bound;
    }

    /// <summary>Authentication, authorization and the write audit, after routing.</summary>
    public static void UsePipeline(WebApplication app)
    {
        app.UseAuthentication();
        app.UseAuthorization();
        app.UseMiddleware<WriteAudit>();
    }

    /// <summary>A route group whose reads need <c>viewer</c> and whose writes (any method but GET/HEAD) need <c>admin</c>.</summary>
    public static RouteGroupBuilder Secured(IEndpointRouteBuilder app)
    {
        var group = app.MapGroup(string.Empty).RequireAuthorization(Identities.ViewerPolicy);
        ((IEndpointConventionBuilder)group).Add(endpoint =>
        {
            var methods = endpoint.Metadata.OfType<HttpMethodMetadata>().SelectMany(m => m.HttpMethods).ToList();
            if (methods.Count == 0 || methods.Any(m => !HttpMethods.IsGet(m) && !HttpMethods.IsHead(m)))
            {
                endpoint.Metadata.Add(new AuthorizeAttribute(Identities.AdminPolicy));
            }
        });
        return group;
    }

    /// <summary>The host names the API certificate must name besides the loopback ones.</summary>
    public static IEnumerable<string> HostNames(params ListenAddress?[] addresses) =>
        addresses.OfType<ListenAddress>().Where(a => !a.IsWildcard).Select(a => a.Host);

    internal static IPEndPoint? Endpoint(ListenOptions listen) => listen.IPEndPoint;
}

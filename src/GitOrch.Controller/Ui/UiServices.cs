using GitOrch.Controller.Ui.Auth;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.DependencyInjection;

namespace GitOrch.Controller.Ui;

/// <summary>Registers the web view's session store and its <c>UiSession</c> authentication scheme beside any other scheme.</summary>
public static class UiServices
{
    public static IServiceCollection AddGitOrchUi(this IServiceCollection services, TimeProvider time)
    {
        services.AddSingleton(new UiSessions(time));
        // The core of authentication only: the session store is ours, so no data-protection keys are written anywhere.
        services.AddWebEncoders();
        services.AddAuthenticationCore(o => o.AddScheme<UiSessionHandler>(UiSessionDefaults.Scheme, "GitOrch web view session"));
        services.AddOptions<AuthenticationSchemeOptions>(UiSessionDefaults.Scheme);
        services.AddAuthorization();
        return services;
    }
}

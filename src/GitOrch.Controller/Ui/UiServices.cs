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
        services.AddAuthentication().AddScheme<AuthenticationSchemeOptions, UiSessionHandler>(UiSessionDefaults.Scheme, displayName: "GitOrch web view session", configureOptions: null);
        services.AddAuthorization();
        return services;
    }
}

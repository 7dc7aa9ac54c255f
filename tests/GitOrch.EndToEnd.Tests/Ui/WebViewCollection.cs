namespace GitOrch.EndToEnd.Tests.Ui;

/// <summary>The browser tests share one cluster and one browser.</summary>
[CollectionDefinition(Name)]
public sealed class WebViewCollection : ICollectionFixture<WebViewCluster>
{
    public const string Name = "web view";
}

namespace GitOrch.Controller.Replication;

/// <summary>Endpoint metadata: only the leader serves this endpoint (a write, or a read of the leader's in-memory workflow engine or node channels).</summary>
public sealed class LeaderOnlyMetadata
{
    public static readonly LeaderOnlyMetadata Instance = new();

    private LeaderOnlyMetadata()
    {
    }
}

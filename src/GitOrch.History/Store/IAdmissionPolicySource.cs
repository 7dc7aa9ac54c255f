using GitOrch.Core.Admission;

namespace GitOrch.History.Store;

/// <summary>Where the gate reads the policy of the moment (the last applied commit's loops and ClusterPolicy).</summary>
public interface IAdmissionPolicySource
{
    AdmissionPolicy Policy { get; }
}

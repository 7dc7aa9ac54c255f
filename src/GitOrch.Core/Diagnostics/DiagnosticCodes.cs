namespace GitOrch.Core.Diagnostics;

/// <summary>
/// Stable diagnostic codes. A code never changes meaning once released; docs/diagnostics.md lists
/// each with an example and the fix.
/// </summary>
public static class DiagnosticCodes
{
    // GO1xxx: reading manifests (files, YAML, schema).

    /// <summary>The file is not valid YAML.</summary>
    public const string YamlSyntax = "GO1001";

    /// <summary>A document is not a mapping, lacks apiVersion, or its apiVersion is not gitorch.dev/v1.</summary>
    public const string ApiVersion = "GO1002";

    /// <summary>The kind is missing or not one GitOrch knows.</summary>
    public const string UnknownKind = "GO1003";

    /// <summary>A field the schema does not define (unknown fields are errors).</summary>
    public const string UnknownField = "GO1004";

    /// <summary>A required field is missing.</summary>
    public const string MissingField = "GO1005";

    /// <summary>A value has the wrong type (a string where a number belongs, and so on).</summary>
    public const string WrongType = "GO1006";

    /// <summary>A value is not one of the allowed values.</summary>
    public const string NotAllowedValue = "GO1007";

    /// <summary>A number, string or list is outside its allowed range or length.</summary>
    public const string OutOfRange = "GO1008";

    /// <summary>A value does not have the required form (DNS-1123 names, quantities, paths).</summary>
    public const string BadFormat = "GO1009";

    /// <summary>Two documents define the same kind/namespace/name.</summary>
    public const string DuplicateObject = "GO1010";

    /// <summary>The same key appears twice in one YAML mapping.</summary>
    public const string DuplicateKey = "GO1011";

    /// <summary>A cluster-scoped kind carries metadata.namespace.</summary>
    public const string NamespaceOnClusterScoped = "GO1012";

    /// <summary>A file or folder could not be read.</summary>
    public const string Unreadable = "GO1013";

    /// <summary>A list holds two entries with the same name (containers, ports, volumes).</summary>
    public const string DuplicateName = "GO1014";

    /// <summary>A value is inconsistent with another field of the same object.</summary>
    public const string Inconsistent = "GO1015";

    /// <summary>A manifest file is larger than limits.maxFileBytes; it was not read.</summary>
    public const string FileTooLarge = "GO1016";

    /// <summary>An object's JSON is larger than limits.maxObjectBytes.</summary>
    public const string ObjectTooLarge = "GO1017";

    /// <summary>YAML aliases would expand a document past the node limit (an alias bomb), or an alias names the node that contains it.</summary>
    public const string AliasExpansion = "GO1018";

    /// <summary>A manifest path is a symbolic link (or not a regular file); it is never followed.</summary>
    public const string NotRegularFile = "GO1019";

    // GO2xxx: security.

    /// <summary>A pod weakens the sandbox without a ClusterPolicy exception for its namespace.</summary>
    public const string WeakeningWithoutException = "GO2001";

    /// <summary>A ClusterPolicy exception that no pod uses.</summary>
    public const string UnusedException = "GO2002";

    /// <summary>A ClusterPolicy exception whose name is not a known weakening.</summary>
    public const string UnknownException = "GO2003";

    /// <summary>More than one ClusterPolicy.</summary>
    public const string DuplicatePolicy = "GO2004";

    // GO3xxx: field ownership.

    /// <summary>Two control loops own overlapping fields.</summary>
    public const string OwnershipOverlap = "GO3001";

    /// <summary>A ControlLoop claims a field that a built-in loop owns.</summary>
    public const string ClaimsBuiltInField = "GO3002";

    /// <summary>A manifest in Git sets a field owned by a control loop (status, for one).</summary>
    public const string SetsLoopOwnedField = "GO3003";

    /// <summary>Control loops read each other's writes in a cycle.</summary>
    public const string ReadWriteCycle = "GO3004";

    /// <summary>A manifest in Git defines a pod that a PinnedDeployment generates.</summary>
    public const string GeneratedObjectInGit = "GO3005";

    /// <summary>A field path in owns/reads is malformed or names a kind the loop does not handle.</summary>
    public const string BadFieldPath = "GO3006";

    /// <summary>A ControlLoop has a name reserved for a built-in loop.</summary>
    public const string ReservedLoopName = "GO3007";

    /// <summary>Admission: a writer (a loop's answer, a built-in loop, a node's report) changed a field it does not own.</summary>
    public const string WritesUnownedField = "GO3008";

    // GO4xxx: workflow graph.

    /// <summary>before/after/requires/wants names a target or step that does not exist.</summary>
    public const string MissingUnit = "GO4001";

    /// <summary>Ordering (before/after) between targets and steps forms a cycle.</summary>
    public const string OrderingCycle = "GO4002";

    /// <summary>A Target has a name reserved for a built-in target, or a target and a loop share a name.</summary>
    public const string ReservedUnitName = "GO4003";

    /// <summary>A unit lists itself in its own before/after/requires/wants.</summary>
    public const string SelfReference = "GO4004";

    // GO5xxx: applying a commit.

    /// <summary>A PinnedDeployment step larger than rollouts.maxStepPercent has no approving review from a listed approver.</summary>
    public const string ApprovalRequired = "GO5001";

    /// <summary>Admission: a write would leave an object larger than the limit for one object (limits.maxObjectBytes).</summary>
    public const string AdmittedObjectTooLarge = "GO5002";

    // GO6xxx: networking.

    /// <summary>network.podPrefix is not an IPv6 ULA /48 (fd00::/8, nothing set past the 48th bit).</summary>
    public const string BadPodPrefix = "GO6001";
}

using System.Text.Json.Nodes;
using GitOrch.Core.Diagnostics;

namespace GitOrch.Core.Admission;

/// <summary>
/// One object write as admission sees it: who writes (<c>git/&lt;email&gt;</c> or
/// <c>control-loop/&lt;name&gt;</c>), the object before (null: created) and after (null: deleted),
/// and whether the object is one the writer generated (no file in Git, made by that loop).
/// </summary>
public sealed record ObjectWrite(ObjectRef Object, string Changer, JsonObject? Before, JsonObject? After, bool GeneratedByWriter);

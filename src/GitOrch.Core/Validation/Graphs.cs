namespace GitOrch.Core.Validation;

/// <summary>Cycle finding for the ownership and ordering graphs.</summary>
internal static class Graphs
{
    /// <summary>
    /// One cycle per strongly connected component that has one (Tarjan's algorithm), each as the
    /// list of nodes in order, starting from the smallest name so that output is stable.
    /// </summary>
    public static List<List<string>> FindCycles(IEnumerable<string> nodes, Func<string, IEnumerable<string>> edges)
    {
        var all = nodes.Distinct().OrderBy(n => n, StringComparer.Ordinal).ToList();
        var known = all.ToHashSet(StringComparer.Ordinal);
        var index = new Dictionary<string, int>();
        var low = new Dictionary<string, int>();
        var onStack = new HashSet<string>();
        var stack = new Stack<string>();
        var components = new List<List<string>>();
        var counter = 0;

        void Connect(string v)
        {
            index[v] = low[v] = counter++;
            stack.Push(v);
            onStack.Add(v);
            foreach (var w in edges(v).Where(known.Contains))
            {
                if (!index.ContainsKey(w))
                {
                    Connect(w);
                    low[v] = Math.Min(low[v], low[w]);
                }
                else if (onStack.Contains(w))
                {
                    low[v] = Math.Min(low[v], index[w]);
                }
            }

            if (low[v] == index[v])
            {
                var component = new List<string>();
                string w;
                do
                {
                    w = stack.Pop();
                    onStack.Remove(w);
                    component.Add(w);
                }
                while (w != v);

                components.Add(component);
            }
        }

        foreach (var n in all.Where(n => !index.ContainsKey(n)))
        {
            Connect(n);
        }

        var cycles = new List<List<string>>();
        foreach (var component in components)
        {
            var members = component.ToHashSet(StringComparer.Ordinal);
            var start = component.Min(StringComparer.Ordinal)!;
            if (component.Count == 1 && !edges(start).Contains(start))
            {
                continue;
            }

            cycles.Add(PathBack(start, members, edges));
        }

        return cycles.OrderBy(c => c[0], StringComparer.Ordinal).ToList();
    }

    /// <summary>A shortest cycle through <paramref name="start"/> inside its component (breadth-first).</summary>
    private static List<string> PathBack(string start, HashSet<string> members, Func<string, IEnumerable<string>> edges)
    {
        var previous = new Dictionary<string, string>();
        var queue = new Queue<string>();
        queue.Enqueue(start);
        while (queue.Count > 0)
        {
            var v = queue.Dequeue();
            foreach (var w in edges(v).Where(members.Contains).OrderBy(x => x, StringComparer.Ordinal))
            {
                if (w == start)
                {
                    var path = new List<string> { v };
                    while (path[^1] != start)
                    {
                        path.Add(previous[path[^1]]);
                    }

                    path.Reverse();
                    return path;
                }

                if (!previous.ContainsKey(w))
                {
                    previous[w] = v;
                    queue.Enqueue(w);
                }
            }
        }

        return [start];
    }
}

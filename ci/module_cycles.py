#!/usr/bin/env python3
"""Lists import cycles between a crate's modules and exits 1 when there is one.

    python3 ci/module_cycles.py reference-server/src

A module is a file (`mod.rs` stands for its folder). An edge A -> B is a `crate::B…` or
`super::…` path in A outside its `#[cfg(test)]` tail, where B is neither A's ancestor nor its
descendant (a parent naming its children, or a child its parent, is how Rust modules nest).
A textual check, not a compiler: it reads paths, not resolved names.
"""
import os
import re
import sys


def modules(root):
    """Module path ('' for the crate root) -> source text."""
    found = {}
    for folder, _, files in os.walk(root):
        for name in files:
            if not name.endswith(".rs"):
                continue
            path = os.path.join(folder, name)
            parts = os.path.relpath(path, root)[:-3].split(os.sep)
            if parts[-1] in ("mod", "lib", "main"):
                parts = parts[:-1]
            with open(path, encoding="utf-8") as f:
                found["::".join(parts)] = f.read()
    return found


def related(a, b):
    return a == b or a.startswith(b + "::") or b.startswith(a + "::") or not a or not b


def edges(mods):
    def longest_known(segments):
        for i in range(len(segments), 0, -1):
            candidate = "::".join(segments[:i])
            if candidate in mods:
                return candidate
        return None

    graph = {m: set() for m in mods}
    for module, source in mods.items():
        source = re.sub(r"#\[cfg\(test\)\][\s\S]*$", "", source)
        here = module.split("::") if module else []
        paths = [m.group(1).split("::") for m in re.finditer(r"crate::((?:\w+::)*\w+)", source)]
        for m in re.finditer(r"(?<![\w:])((?:super::)+)((?:\w+::)*\w+)", source):
            ups = m.group(1).count("super::")
            # `super` in a file module is its parent; in a folder's mod.rs it is the folder's parent too.
            paths.append(here[: len(here) - ups] + m.group(2).split("::"))
        # Groups: `use crate::{a, b::c}`, `use super::{a, b}` (first-level items).
        for m in re.finditer(r"(?<![\w:])(crate|(?:super::)*super)::\{([^{}]*)", source):
            base = [] if m.group(1) == "crate" else here[: len(here) - m.group(1).count("super")]
            for item in re.findall(r"(?:^|,)\s*(\w+(?:::\w+)*)", m.group(2)):
                if item not in ("self", "crate", "super"):
                    paths.append(base + item.split("::"))
        for segments in paths:
            target = longest_known(segments)
            if target is not None and not related(module, target):
                graph[module].add(target)
    return graph


def cycles(graph):
    """Strongly connected components with more than one module (Tarjan)."""
    index, low, stack, on_stack, found = {}, {}, [], set(), []

    def visit(v):
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in graph[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    sys.setrecursionlimit(10000)
    for v in graph:
        if v not in index:
            visit(v)
    return found


def main():
    mods = modules(sys.argv[1])
    found = cycles(edges(mods))
    if not found:
        print(f"{len(mods)} modules; no import cycles")
        return 0
    for component in found:
        print("import cycle between: " + ", ".join(component))
    return 1


if __name__ == "__main__":
    sys.exit(main())

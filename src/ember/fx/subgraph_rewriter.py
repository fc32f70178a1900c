"""``torch.fx.subgraph_rewriter.replace_pattern``: find every copy of a small graph (the
pattern) in a traced module and put another graph (the replacement) in its place."""
from __future__ import annotations

from typing import NamedTuple

from .graph import Graph
from .graph_module import GraphModule, _copy_attr
from .node import Node

__all__ = ["Match", "replace_pattern"]


class Match(NamedTuple):
    anchor: Node  # the pattern's returned node
    nodes_map: dict  # pattern node -> node of the big graph


def _graph_of(obj):
    if isinstance(obj, GraphModule):
        return obj.graph, obj
    if isinstance(obj, Graph):
        return obj, obj.owning_module
    from ._symbolic_trace import symbolic_trace

    gm = symbolic_trace(obj)
    return gm.graph, gm


class _Matcher:
    """Matches the pattern backwards from its returned node: placeholders match anything,
    other nodes need the same op and target and matching arguments."""

    def __init__(self, pattern):
        self.pattern = pattern
        nodes = list(pattern.nodes)
        self.placeholders = [n for n in nodes if n.op == "placeholder"]
        out = [n for n in nodes if n.op == "output"][0]
        ret = out.args[0]
        self.returning = list(ret) if isinstance(ret, (tuple, list)) else [ret]

    def _same(self, pn, gn):
        if pn.op != gn.op:
            return False
        if pn.op == "get_attr":
            return True  # (a constant tensor matches any constant tensor)
        return pn.target == gn.target

    def _nodes(self, pn, gn, m):
        if pn in m:
            return m[pn] is gn
        if pn.op == "placeholder":
            m[pn] = gn
            return True
        if any(v is gn for k, v in m.items() if k.op != "placeholder"):
            return False
        if not self._same(pn, gn):
            return False
        m[pn] = gn
        if self._args(pn.args, gn.args, m) and self._args(pn.kwargs, gn.kwargs, m):
            return True
        del m[pn]
        return False

    def _args(self, pa, ga, m):
        if isinstance(pa, Node):
            if isinstance(ga, Node):
                return self._nodes(pa, ga, m)
            if pa.op == "placeholder":  # (a placeholder matches a literal too)
                if pa in m:
                    return m[pa] == ga
                m[pa] = ga
                return True
            return False
        if isinstance(ga, Node):
            return False
        if isinstance(pa, (tuple, list)):
            return (type(pa) is type(ga) and len(pa) == len(ga)
                    and all(self._args(a, b, m) for a, b in zip(pa, ga)))
        if isinstance(pa, dict):
            return (isinstance(ga, dict) and list(pa) == list(ga)
                    and all(self._args(pa[k], ga[k], m) for k in pa))
        return type(pa) is type(ga) and pa == ga

    def _contained(self, m):
        inside = {gn for pn, gn in m.items() if pn.op != "placeholder"}
        returned = {m[p] for p in self.returning}
        for gn in inside:
            if gn in returned:
                continue
            if any(u not in inside for u in gn.users):
                return False
        return True

    def matches(self, graph):
        found = []
        taken: set = set()
        first = self.returning[0]
        for gn in graph.nodes:
            m: dict = {}
            if not self._nodes(first, gn, m):
                continue
            ok = True
            for other in self.returning[1:]:  # (several returned nodes: all must match)
                if other not in m:
                    ok = False
                    break
            if not ok or not all(p in m for p in self.placeholders):
                continue
            if not self._contained(m):
                continue
            inner = {v for k, v in m.items() if k.op != "placeholder"}
            if inner & taken:
                continue
            taken |= inner
            found.append(m)
        return found


def replace_pattern(gm, pattern, replacement):
    """Replace each (non-overlapping) match of ``pattern`` in ``gm`` by ``replacement``; both
    are functions (traced here) or GraphModules.  Returns the ``Match`` es."""
    pattern_graph, _ = _graph_of(pattern)
    rep_graph, rep_mod = _graph_of(replacement)
    graph = gm.graph
    matcher = _Matcher(pattern_graph)
    maps = matcher.matches(graph)
    if rep_mod is not None:  # (what the replacement refers to is copied into gm)
        for n in rep_graph.nodes:
            if n.op in ("get_attr", "call_module") and not _has(gm, n.target):
                _copy_attr(rep_mod, gm, n.target)
    rep_placeholders = [n for n in rep_graph.nodes if n.op == "placeholder"]
    changed: dict = {}
    out = []
    for m in maps:
        anchor = matcher.returning[0]  # (PyTorch reports the pattern's node)
        inputs = [m[p] for p in matcher.placeholders]
        if len(inputs) != len(rep_placeholders):
            raise AssertionError(f"Placeholder count mismatch: {len(inputs)} vs "
                                 f"{len(rep_placeholders)}")
        val_map = {}
        for rn, gn in zip(rep_placeholders, inputs):
            if isinstance(gn, Node) and gn in changed:
                new = changed[gn]
                for k, v in m.items():
                    if v is gn:
                        m[k] = new
                gn = new
            val_map[rn] = gn
        returning = [m[p] for p in matcher.returning]
        users: set = set()
        for n in returning:
            users.update(n.users)
        insert = None
        for n in graph.nodes:
            if n in users:
                insert = n
                break
        if insert is None:
            nxt = None
            for n in reversed(graph.nodes):
                if n in returning:
                    insert = nxt
                    break
                nxt = n
        with graph.inserting_before(insert):
            copied = graph.graph_copy(rep_graph, val_map)
        copied = list(copied) if isinstance(copied, (tuple, list)) else [copied]
        for gn, new in zip(returning, copied):
            gn.replace_all_uses_with(new)
            changed[gn] = new
        for pn in reversed(list(pattern_graph.nodes)):
            if pn.op not in ("placeholder", "output"):
                graph.erase_node(m[pn])
        out.append(Match(anchor=anchor, nodes_map=m))
    gm.recompile()
    return out


def _has(mod, target):
    for part in target.split("."):
        if not hasattr(mod, part):
            return False
        mod = getattr(mod, part)
    return True

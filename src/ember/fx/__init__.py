"""``torch.fx``: symbolic tracing of modules into graphs, and the graphs as Python code.

>>> gm = ember.fx.symbolic_trace(model)   # a GraphModule
>>> print(gm.graph)                       # its nodes
>>> print(gm.code)                        # the forward it runs

Tracing runs ``forward`` on ``Proxy`` objects; ember's functions hand them back through the
``__torch_function__`` protocol (``ember._subclass``), operators and Tensor methods through
``Proxy``'s own methods.
"""
from __future__ import annotations

from . import graph, graph_module, node, proxy  # noqa: F401
from ._symbolic_trace import PH, Tracer, symbolic_trace, wrap
from .graph import Graph
from .graph_module import GraphModule
from .interpreter import Interpreter, Transformer
from .node import Node, has_side_effect, map_arg
from .proxy import Proxy
from . import _symbolic_trace, immutable_collections, interpreter, passes, subgraph_rewriter  # noqa: F401,E402,E501
from .subgraph_rewriter import replace_pattern

__all__ = ["Graph", "GraphModule", "Interpreter", "Node", "PH", "Proxy", "Tracer",
           "Transformer", "has_side_effect", "map_arg", "replace_pattern", "symbolic_trace",
           "wrap"]

"""``torchvision.models.feature_extraction``: a model's intermediate values by node name.

>>> train_names, eval_names = get_graph_node_names(resnet18())
>>> body = create_feature_extractor(resnet18(), {"layer1": "feat1", "layer3": "feat2"})
>>> body(x)                                  # {'feat1': tensor, 'feat2': tensor}

The model is traced with ``ember.fx`` (torchvision's ops classes are leaves, its ops functions
are recorded as calls), once in train mode and once in eval mode.  A node is named by the path
of the module it ran in and what it is: ``layer1.0.conv1`` (a leaf module), ``layer1.0.add``
(an operation in ``layer1.0``'s forward); repeats in one module get ``_1``, ``_2``...
"""
from __future__ import annotations

import copy
import inspect
import math
import re
import warnings
from collections import OrderedDict

from ... import fx, nn
from ...fx.graph_module import _copy_attr

__all__ = ["create_feature_extractor", "get_graph_node_names"]


class LeafModuleAwareTracer(fx.Tracer):
    """A tracer that also calls the instances of the classes in ``leaf_modules`` as a whole."""

    def __init__(self, *args, **kwargs):
        self.leaf_modules = kwargs.pop("leaf_modules", {})
        super().__init__(*args, **kwargs)

    def is_leaf_module(self, m, module_qualname):
        if isinstance(m, tuple(self.leaf_modules)):
            return True
        return super().is_leaf_module(m, module_qualname)


class NodePathTracer(LeafModuleAwareTracer):
    """Records, in ``node_to_qualname`` (in the order of the trace), each node's name as
    ``create_feature_extractor`` knows it."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.current_module_qualname = ""
        self.node_to_qualname: OrderedDict = OrderedDict()

    def call_module(self, m, forward, args, kwargs):
        outer = self.current_module_qualname
        try:
            self.current_module_qualname = self.path_of_module(m)
            return super().call_module(m, forward, args, kwargs)
        finally:
            self.current_module_qualname = outer

    def create_proxy(self, kind, target, args, kwargs, name=None, type_expr=None, *_):
        proxy = super().create_proxy(kind, target, args, kwargs, name, type_expr)
        self.node_to_qualname[proxy.node] = self._get_node_qualname(
            self.current_module_qualname, proxy.node)
        return proxy

    def _get_node_qualname(self, module_qualname, node):
        qualname = module_qualname
        if node.op != "call_module":  # (the operation's own name, after its module's path)
            qualname = f"{qualname}.{node}" if qualname else str(node)
        # FX numbers repeats over the whole graph (``add_3``); here they count per name
        if re.match(r".+_[0-9]+$", qualname) is not None:
            qualname = qualname.rsplit("_", 1)[0]
        for seen in reversed(self.node_to_qualname.values()):
            if re.match(rf"{qualname}(_[0-9]+)?$", seen) is not None:
                suffix = seen.replace(qualname, "")
                qualname += f"_{int(suffix[1:]) + 1 if suffix else 1}"
                break
        return qualname


def _is_subseq(seq, sub):
    """Whether ``sub`` is a subsequence of ``seq``."""
    it = iter(seq)
    return all(any(a == b for a in it) for b in sub)


def _warn_graph_differences(train_tracer, eval_tracer):
    train_nodes = list(train_tracer.node_to_qualname.values())
    eval_nodes = list(eval_tracer.node_to_qualname.values())
    if train_nodes == eval_nodes:
        return
    if _is_subseq(train_nodes, eval_nodes):
        msg = ("NOTE: The nodes obtained by tracing the model in eval mode are a subsequence of "
               "those obtained in train mode. ")
    elif _is_subseq(eval_nodes, train_nodes):
        msg = ("NOTE: The nodes obtained by tracing the model in train mode are a subsequence "
               "of those obtained in eval mode. ")
    else:
        msg = ("The nodes obtained by tracing the model in train mode are different to those "
               "obtained in eval mode. ")
    # (shown at this line, as torchvision's)
    warnings.warn(msg + "When choosing nodes for feature extraction, you may need to specify "
                  "output nodes for train and eval mode separately.", stacklevel=1)


def _get_leaf_modules_for_ops():
    from .. import ops

    return [obj for _, obj in inspect.getmembers(ops)
            if inspect.isclass(obj) and issubclass(obj, nn.Module)]


def _set_default_tracer_kwargs(tracer_kwargs):
    from .. import ops

    autowrap = (math, ops)
    leaves = _get_leaf_modules_for_ops()
    kwargs = {} if tracer_kwargs is None else tracer_kwargs
    kwargs["autowrap_modules"] = (tuple(set(kwargs["autowrap_modules"] + autowrap))
                                  if "autowrap_modules" in kwargs else autowrap)
    kwargs["leaf_modules"] = (list(set(kwargs["leaf_modules"] + leaves))
                              if "leaf_modules" in kwargs else leaves)
    return kwargs


def get_graph_node_names(model, tracer_kwargs=None, suppress_diff_warning=False,
                         concrete_args=None):
    """The node names of ``model`` in the order they run: ``(train_names, eval_names)``, from
    a trace in train mode and one in eval mode (the names ``create_feature_extractor``
    takes)."""
    tracer_kwargs = _set_default_tracer_kwargs(tracer_kwargs)
    was_training = model.training
    train_tracer = NodePathTracer(**tracer_kwargs)
    train_tracer.trace(model.train(), concrete_args=concrete_args)
    eval_tracer = NodePathTracer(**tracer_kwargs)
    eval_tracer.trace(model.eval(), concrete_args=concrete_args)
    if not suppress_diff_warning:
        _warn_graph_differences(train_tracer, eval_tracer)
    model.train(was_training)
    return (list(train_tracer.node_to_qualname.values()),
            list(eval_tracer.node_to_qualname.values()))


class DualGraphModule(fx.GraphModule):
    """A ``GraphModule`` with a graph for train mode and one for eval mode: ``train()`` and
    ``eval()`` switch between them.  It holds what either graph uses of ``root``."""

    def __init__(self, root, train_graph, eval_graph, class_name="GraphModule"):
        nn.Module.__init__(self)
        type(self).__name__ = class_name
        self.train_graph = train_graph
        self.eval_graph = eval_graph
        for graph in (train_graph, eval_graph):
            for node in graph.nodes:
                if node.op in ("get_attr", "call_module"):
                    if not isinstance(node.target, str):
                        raise TypeError("node.target should be of type str instead of "
                                        f"{type(node.target)}")
                    _copy_attr(root, self, node.target)
        self.train()
        self.graph = train_graph
        if eval_graph._tracer_cls != train_graph._tracer_cls:
            raise TypeError("Train mode and eval mode should use the same tracer class. Instead "
                            f"got {eval_graph._tracer_cls} for eval vs "
                            f"{train_graph._tracer_cls} for train")

    def train(self, mode=True):
        """Switch to the train graph (``mode=True``) or the eval graph, then set the mode."""
        if mode and not self.training:
            self.graph = self.train_graph
        elif not mode and self.training:
            self.graph = self.eval_graph
        return super().train(mode=mode)

    def __deepcopy__(self, memo):
        # (as torchvision's: the copy is named GraphModule and starts in train mode)
        new = type(self).__new__(type(self))
        memo[id(self)] = new
        fake = nn.Module()
        state = {k: v for k, v in self.__dict__.items() if k not in ("_graph", "_code")}
        fake.__dict__ = copy.deepcopy(state, memo)
        DualGraphModule.__init__(new, fake, fake.__dict__["train_graph"],
                                 fake.__dict__["eval_graph"])
        return new


def _to_strdict(nodes):
    if isinstance(nodes, list):
        return {str(n): str(n) for n in nodes}
    return {str(k): str(v) for k, v in nodes.items()}


def create_feature_extractor(model, return_nodes=None, train_return_nodes=None,
                             eval_return_nodes=None, tracer_kwargs=None,
                             suppress_diff_warning=False, concrete_args=None):
    """A ``GraphModule`` that runs ``model`` as far as needed and returns a dict of the values
    of the nodes named in ``return_nodes`` (a list of node names, or a dict from node names
    to the output's keys).  A name may stop at a module (``"layer1"``): its last node is
    taken.  ``train_return_nodes`` and ``eval_return_nodes`` (both) choose per mode."""
    tracer_kwargs = _set_default_tracer_kwargs(tracer_kwargs)
    was_training = model.training
    if return_nodes is None and train_return_nodes is None and eval_return_nodes is None:
        raise ValueError("Either `return_nodes` or `train_return_nodes` and `eval_return_nodes` "
                         "together, should be specified")
    if (train_return_nodes is None) != (eval_return_nodes is None):
        raise ValueError("If any of `train_return_nodes` and `eval_return_nodes` are specified, "
                         "then both should be specified")
    if (return_nodes is None) == (train_return_nodes is None):
        raise ValueError("If `train_return_nodes` and `eval_return_nodes` are specified, then "
                         "both should be specified")
    if train_return_nodes is None:
        return_nodes = _to_strdict(return_nodes)
        wanted = {"train": dict(return_nodes), "eval": dict(return_nodes)}
    else:
        wanted = {"train": _to_strdict(train_return_nodes),
                  "eval": _to_strdict(eval_return_nodes)}

    tracers, graphs = {}, {}
    name = type(model).__name__
    for mode in ("train", "eval"):
        model.train(mode == "train")
        tracer = NodePathTracer(**tracer_kwargs)
        graph = tracer.trace(model, concrete_args=concrete_args)
        gm = fx.GraphModule(tracer.root, graph, name)

        available = list(tracer.node_to_qualname.values())
        if len(set(available)) != len(available):
            raise ValueError("There are duplicate nodes! Please raise an issue "
                             "https://github.com/pytorch/vision/issues")
        queries = wanted[mode]
        for query in queries:  # (a name matches itself and the nodes inside it)
            if not any(re.match(rf"^{query}(\.|$)", n) is not None for n in available):
                raise ValueError(
                    f"node: '{query}' is not present in model. Hint: use "
                    "`get_graph_node_names` to make sure the `return_nodes` you specified are "
                    "present. It may even be that you need to specify `train_return_nodes` "
                    "and `eval_return_nodes` separately.")

        outputs = [n for n in reversed(gm.graph.nodes) if n.op == "output"]
        if not outputs:
            raise ValueError("No output nodes found in graph_module.graph.nodes")
        for n in outputs:
            gm.graph.erase_node(n)

        # each query takes the last node under it (looking from the end of the graph)
        nodes = list(gm.graph.nodes)
        found = OrderedDict()
        for n in reversed(nodes):
            qualname = tracer.node_to_qualname.get(n)
            if qualname is None:  # (a tensor constant, say)
                continue
            for query in queries:
                if ".".join(qualname.split(".")[:query.count(".") + 1]) == query:
                    found[queries.pop(query)] = n
                    break
        with gm.graph.inserting_after(nodes[-1]):
            gm.graph.output(OrderedDict(reversed(list(found.items()))))
        gm.graph.eliminate_dead_code()
        gm.recompile()
        tracers[mode] = tracer
        graphs[mode] = graph

    if not suppress_diff_warning:
        _warn_graph_differences(tracers["train"], tracers["eval"])
    result = DualGraphModule(model, graphs["train"], graphs["eval"], class_name=name)
    model.train(was_training)
    result.train(was_training)
    return result

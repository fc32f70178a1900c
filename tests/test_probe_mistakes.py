"""Mistakes people ask about on forums, third round: each snippet runs on ember and on
PyTorch 2.13 (CPU build) and must give the same exception type name and message (or the
same printed result) and the same warnings.

Found by a differential hunt over CUDA requests on a machine without CUDA, constructor and
forward argument mistakes (whose TypeError names the method), non-Modules given to
containers, in-place writes that break a saved view, and expanded views written through
their base.  Snippets are Python source over ``torch`` (the library), ``nn`` and ``F``."""
import contextlib
import io
import warnings

import pytest

import ember
from ember import _device

torch = pytest.importorskip("torch")


def outcome(code, T):
    """('ok', printed text) or (exception type name, message), and the warnings."""
    env = {"torch": T, "nn": T.nn, "F": T.nn.functional}
    out = io.StringIO()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            with contextlib.redirect_stdout(out):
                T.manual_seed(0)
                exec(code, env)  # noqa: S102 - fixed snippets
            res = ("ok", out.getvalue())
        except Exception as e:  # noqa: BLE001 - the type and message are what is compared
            res = (type(e).__name__, str(e))
    ws = [(w.category.__name__, str(w.message).split(" (Triggered internally")[0])
          for w in caught]
    return res, ws


@pytest.fixture
def no_cuda(monkeypatch):
    monkeypatch.setattr(_device, "_cupy", None)
    monkeypatch.setattr(_device, "_cupy_checked", True)


# -- CUDA asked for on a machine without it: PyTorch's CPU build's errors --------------------------

NO_CUDA = {
    "module_to_cuda": "nn.Linear(2, 2).to('cuda')",
    "module_cuda": "nn.Linear(2, 2).cuda()",
    "module_to_device": "nn.Linear(2, 2).to(torch.device('cuda:0'))",
    "tensor_cuda": "torch.ones(2).cuda()",
    "tensor_to_cuda": "torch.ones(2).to('cuda')",
    "tensor_to_cuda_non_blocking": "torch.ones(2).to('cuda:0', non_blocking=True)",
    "factory_device": "torch.zeros(2, device='cuda')",
    "factory_device_1": "torch.randn(2, device=torch.device('cuda', 1))",
    "tensor_device": "torch.tensor([1.0], device='cuda')",
    "current_device": "torch.cuda.current_device()",
    "get_device_name": "torch.cuda.get_device_name(0)",
    "get_device_properties": "torch.cuda.get_device_properties(0)",
    "synchronize": "torch.cuda.synchronize()",
    "set_device": "torch.cuda.set_device(0)",
    "set_device_negative": "torch.cuda.set_device(-1); print('no-op')",
    "device_block": "with torch.cuda.device(0): pass",
    "stream": "torch.cuda.Stream()",
    "event": "torch.cuda.Event(enable_timing=True)",
    "generator": "torch.Generator(device='cuda')",
    "legacy_type": "torch.cuda.FloatTensor([1, 2])",
    "reset_peak": "torch.cuda.reset_peak_memory_stats()",
    "reset_accumulated": "torch.cuda.reset_accumulated_memory_stats()",
    "capturing": "torch.cuda.is_current_stream_capturing()",
    "cuda_graph": "torch.cuda.CUDAGraph()",
    "mem_pool": "torch.cuda.MemPool()",
    "nvtx": "torch.cuda.nvtx.range_push('a')",
    "mps": "torch.ones(2).to('mps')",
    "module_mps": "nn.Linear(2, 2).to(torch.device('mps'))",
    "xla": "torch.ones(2).to('xla')",
    "xpu": "torch.ones(2).to('xpu')",
    "fallback_to_cpu": "d = torch.device('cuda' if torch.cuda.is_available() else 'cpu')\n"
                       "print(d, torch.ones(2).to(d).device, torch.cuda.device_count())",
}


@pytest.mark.parametrize("code", list(NO_CUDA.values()), ids=list(NO_CUDA))
def test_no_cuda(no_cuda, code):
    assert outcome(code, ember) == outcome(code, torch)


def test_no_cuda_error_prints_as_pytorchs_and_notes_what_to_install(no_cuda):
    import traceback

    with pytest.raises(AssertionError) as e:
        ember.ones(2).cuda()
    assert isinstance(e.value, RuntimeError)  # (what PyTorch's CUDA build raises without a GPU)
    text = "".join(traceback.format_exception(e.value))
    assert "\nAssertionError: Torch not compiled with CUDA enabled\n" in text
    assert "pip install ember[cuda]" in text


# -- argument mistakes: the TypeError names the method as PyTorch's does -----------------------

ARGS = {
    "conv_kernel_keyword": "nn.Conv2d(3, 16, kernel=3)",
    "conv_no_kernel": "nn.Conv2d(3, 16)",
    "conv1d_too_many": "nn.Conv1d(1, 2, 3, 1, 0, 1, 1, True, 'zeros', None, None, 5)",
    "conv_transpose_keyword": "nn.ConvTranspose2d(3, 16, 3, output_pad=1)",
    "lazy_conv_keyword": "nn.LazyConv2d(16, kernel=3)",
    "conv_forward_two_inputs": "nn.Conv2d(1, 1, 3)(torch.ones(1, 1, 4, 4), torch.ones(1))",
    "lazy_conv_forward_two": "nn.LazyConv1d(2, 3)(torch.ones(1, 1, 4), torch.ones(1))",
    "batchnorm_keyword": "nn.BatchNorm2d(3, momentun=0.1)",
    "batchnorm_no_args": "nn.BatchNorm1d()",
    "adaptive_pool_keyword": "nn.AdaptiveAvgPool2d(output=1)",
    "adaptive_max_keyword": "nn.AdaptiveMaxPool2d(1, indices=True)",
    "avg_pool_keyword": "nn.AvgPool2d(2, strides=2)",
    "padding_keyword": "nn.ReflectionPad2d(padding=1, mode='x')",
    "zero_pad_forward_two": "nn.ZeroPad2d(1)(torch.ones(1, 1, 2, 2), 0)",
    "constant_pad_no_value": "nn.ConstantPad1d(2)",
    "softmax_keyword": "nn.Softmax(axis=1)",
    "softmax_forward_two": "nn.Softmax(dim=1)(torch.ones(2, 2), 1)",
    "log_softmax_forward_kw": "nn.LogSoftmax(1)(torch.ones(2, 2), dim=1)",
    "elu_forward_two": "nn.ELU()(torch.ones(2), torch.ones(2))",
    "silu_keyword": "nn.SiLU(alpha=1)",
    "mish_forward_none": "nn.Mish()()",
    "margin_loss_keyword": "nn.MarginRankingLoss(margn=1)",
    "unpool_keyword": "nn.MaxUnpool2d(2, size=2)",
    "lrn_keyword": "nn.LocalResponseNorm(size=2, k=1, beta=1, alpha=1, eps=1)",
    "hardsigmoid_forward_two": "nn.Hardsigmoid()(torch.ones(2), torch.ones(2))",
    "softsign_forward_two": "nn.Softsign()(torch.ones(2), torch.ones(2))",
}


@pytest.mark.parametrize("code", list(ARGS.values()), ids=list(ARGS))
def test_argument_mistakes(code):
    assert outcome(code, ember) == outcome(code, torch)


def _public_layers():
    import inspect

    for name in dir(torch.nn):
        tc, ec = getattr(torch.nn, name), getattr(ember.nn, name, None)
        if not name.startswith("_") and inspect.isclass(tc) and issubclass(tc, torch.nn.Module) \
                and inspect.isclass(ec):
            yield name, tc, ec


def test_every_layers_init_and_forward_carry_pytorchs_names():
    """The names argument errors print (``Conv2d.__init__()``, ``ELU.forward()``)."""
    for name, tc, ec in _public_layers():
        for method in ("__init__", "forward"):
            want = getattr(tc, method).__qualname__
            # (torch.compile, run by earlier tests, patches some of PyTorch's __init__s)
            if want != "_forward_unimplemented" and "<locals>" not in want:
                assert getattr(ec, method).__qualname__ == want, (name, method)


# -- not a Module: the message names the object as torch.typename does -------------------------

NOT_A_MODULE = {
    "class_not_instance": "nn.Sequential(nn.Linear(2, 2), nn.ReLU)",
    "user_function": "def act(x):\n    return x\nnn.Sequential(nn.Linear(2, 2), act)",
    "lambda": "nn.Sequential(lambda x: x)",
    "add_module_class": "nn.Sequential().add_module('act', nn.Tanh)",
    "module_list_class": "nn.ModuleList([nn.ReLU])",
    "module_dict_function": "def f(x):\n    return x\nnn.ModuleDict({'f': f})",
    "assign_function_over_child": "def f(x):\n    return x\n"
                                  "class M(nn.Module):\n    def __init__(self):\n"
                                  "        super().__init__()\n        self.act = nn.ReLU()\n"
                                  "M().act = f",
    "assign_class_to_parameter": "m = nn.Linear(2, 2)\nm.weight = nn.Linear",
    "number": "nn.Sequential(3)",
    "string": "nn.Sequential('relu')",
}


@pytest.mark.parametrize("code", list(NOT_A_MODULE.values()), ids=list(NOT_A_MODULE))
def test_not_a_module(code):
    got, want = outcome(code, ember), outcome(code, torch)
    # (the class of a user's function is __main__'s in both; ember's module path for its own
    # classes is ember's outside ``ember run``)
    assert got[0][0] == want[0][0]
    assert got[0][1].replace("ember.", "torch.") == want[0][1]


def test_forgot_super_init_then_called():
    code = ("class M(nn.Module):\n    def __init__(self):\n        pass\n"
            "    def forward(self, x):\n        return x\nM()(torch.ones(2))")
    assert outcome(code, ember) == outcome(code, torch)


# -- autograd: in-place writes and views -------------------------------------------------------

AUTOGRAD = {
    # the saved tensor is a view of a weight an optimizer step changed: its rebuilt history
    "gan_step_between_backwards":
        "g = nn.Linear(2, 2)\n"
        "d = nn.Sequential(nn.Linear(2, 2), nn.ReLU(), nn.Linear(2, 1))\n"
        "out = d(g(torch.randn(3, 2))).mean()\n"
        "out.backward(retain_graph=True)\n"
        "with torch.no_grad():  # (an optimizer's step)\n"
        "    for p in d.parameters():\n        p.sub_(0.1 * p.grad)\nout.backward()",
    "weight_view_changed_under_no_grad":
        "w = torch.randn(3, 2, requires_grad=True)\nx = torch.randn(4, 3, requires_grad=True)\n"
        "y = (x @ w.t().t()).sum()\n"
        "with torch.no_grad():\n    w.mul_(2)\ny.backward()",
    # an expanded view of a tensor written in place: the write itself is allowed
    "expand_then_write_base":
        "x = torch.randn(3, requires_grad=True)\ny = x.exp()\nz = y.expand(2, 3)\n"
        "y.add_(1)\nz.sum().backward()",
    "expand_then_write_base_grad":
        "x = torch.arange(3.0, requires_grad=True)\ny = x * 1\nz = y.expand(2, 3)\n"
        "y.add_(1)\n(z * torch.arange(6.0).view(2, 3)).sum().backward()\nprint(x.grad)",
    "expand_then_write_base_create_graph":
        "x = torch.arange(3.0, requires_grad=True)\ny = x * 1\nz = y.expand(2, 3)\n"
        "y.add_(1)\n(g,) = torch.autograd.grad((z * z).sum(), x, create_graph=True)\n"
        "g.sum().backward()\nprint(g.detach(), x.grad)",
    "broadcast_view_then_write_base":
        "x = torch.ones(2, 1, requires_grad=True)\ny = x * 2\nz = y.expand(2, 3)\n"
        "y.mul_(3)\nz.sum().backward()\nprint(x.grad)",
}


@pytest.mark.parametrize("code", list(AUTOGRAD.values()), ids=list(AUTOGRAD))
def test_autograd(code):
    assert outcome(code, ember) == outcome(code, torch)


# -- grad modes given an argument: decorators, as PyTorch's ----------------------------------

GRAD_MODES = {
    "no_grad_tensor_as_context": "with torch.no_grad(torch.ones(2)):\n    pass",
    "no_grad_tensor_called": "torch.no_grad(torch.ones(2))()",
    "enable_grad_number_called": "torch.enable_grad(5)()",
    "no_grad_keyword": "torch.no_grad(orig_func=3)()",
    "inference_mode_bare_decorator": "@torch.inference_mode\ndef f(x):\n    return x * 2\n"
                                     "y = f(torch.ones(2, requires_grad=True))\n"
                                     "print(y.requires_grad, y.is_inference())",
    "inference_mode_false": "with torch.inference_mode(False):\n"
                            "    print(torch.ones(1).is_inference())",
    "inference_mode_tensor_as_context": "with torch.inference_mode(torch.ones(1)):\n    pass",
    "decorating_a_class_warns": "class A:\n    def __init__(self):\n        print('init')\n"
                                "torch.no_grad(A)()\ntorch.inference_mode()(A)()",
}


@pytest.mark.parametrize("code", list(GRAD_MODES.values()), ids=list(GRAD_MODES))
def test_grad_modes(code):
    assert outcome(code, ember) == outcome(code, torch)


# -- a NumPy array or a list where a tensor belongs ----------------------------------------

NOT_A_TENSOR = {
    "conv2d_layer_numpy": "nn.Conv2d(1, 1, 3)(np.ones((1, 1, 4, 4)))",
    "conv1d_layer_list": "nn.Conv1d(1, 1, 3)([[1.0, 2.0, 3.0]])",
    "conv2d_same_padding_numpy": "nn.Conv2d(1, 1, 3, padding='same')(np.ones((1, 1, 4, 4)))",
    "conv3d_layer_no_bias_numpy": "nn.Conv3d(1, 1, 3, bias=False)(np.ones((1, 1, 4, 4, 4)))",
    "conv2d_numpy": "F.conv2d(np.ones((1, 1, 4, 4)), torch.ones(1, 1, 3, 3))",
    "conv2d_numpy_weight": "F.conv2d(torch.ones(1, 1, 4, 4), np.ones((1, 1, 3, 3)))",
    "conv2d_numpy_bias": "F.conv2d(torch.ones(1, 1, 4, 4), torch.ones(1, 1, 3, 3), np.ones(1))",
    "conv1d_stride_given": "F.conv1d([1.0], torch.ones(1, 1, 3), None, 2)",
    "conv_transpose2d_numpy": "F.conv_transpose2d(np.ones((1, 1, 2, 2)), torch.ones(1, 1, 2, 2))",
    "conv_transpose_numpy_weight": "F.conv_transpose1d(torch.ones(1, 1, 2), np.ones((1, 1, 2)))",
    "conv_transpose_layer_list": "nn.ConvTranspose1d(1, 1, 2)([1.0])",
    "mm_numpy": "torch.mm(torch.ones(2, 2), np.ones((2, 2)))",
    "mm_numpy_scalar": "torch.mm(torch.ones(2, 2), np.float32(1))",
    "linear_numpy": "nn.Linear(2, 2)(np.ones((1, 2)))",
    "linear_python_object": "class Batch:\n    pass\nnn.Linear(2, 2)(Batch())",
    "linear_ordered_dict": "import collections\nnn.Linear(2, 2)(collections.OrderedDict())",
    "cross_entropy_list_target": "nn.CrossEntropyLoss()(torch.ones(2, 3), [0, 1])",
    "cross_entropy_tuple_target": "F.cross_entropy(torch.ones(2, 3), (0, 1))",
    "cross_entropy_numpy_target": "F.cross_entropy(torch.ones(2, 3), np.array([0, 1]))",
    "cross_entropy_none_target": "F.cross_entropy(torch.ones(2, 3), None)",
    "cross_entropy_list_input": "F.cross_entropy([[1.0, 2.0]], [0])",
    "nll_list_target": "nn.NLLLoss()(torch.ones(2, 3), [0, 1])",
    "nll_int_target": "F.nll_loss(torch.ones(2, 3), 1)",
    "bce_logits_list_target": "nn.BCEWithLogitsLoss()(torch.ones(2), [1.0, 0.0])",
    "mse_list_target": "nn.MSELoss()(torch.ones(2), [1.0, 2.0])",
}


@pytest.mark.parametrize("code", list(NOT_A_TENSOR.values()), ids=list(NOT_A_TENSOR))
def test_not_a_tensor(code):
    code = "import numpy as np\n" + code
    assert outcome(code, ember) == outcome(code, torch)


# -- sequences: pad_sequence's inputs, and a packed LSTM's state (PyTorch's kernel's errors) -------

SEQUENCES = {
    "pad_sequence_lists": "nn.utils.rnn.pad_sequence([[1, 2], [3]])",
    "pad_sequence_one_list": "nn.utils.rnn.pad_sequence([torch.ones(2), [3]])",
    "pad_sequence_numpy": "import numpy as np\nnn.utils.rnn.pad_sequence([np.ones(2)])",
    "pad_sequence_bad_side": "nn.utils.rnn.pad_sequence([torch.ones(2)], padding_side='up')",
}
_PACKED = [("2, 4", "None"), ("3, 4", "None"), ("3, 4, proj_size=2", "None"),
           ("2, 4", "(Z(1, 1, 4), Z(1, 1, 4))"), ("2, 4", "(Z(1, 4, 4), Z(1, 4, 4))"),
           ("2, 4", "(Z(1, 3, 4), Z(1, 2, 4))"), ("2, 4", "(Z(3, 2, 4), Z(3, 2, 4))"),
           ("2, 4, num_layers=2", "(Z(1, 2, 4), Z(1, 2, 4))"),
           ("2, 4", "(Z(1, 2, 5), Z(1, 2, 5))"), ("2, 4", "(Z(2, 4), Z(2, 4))"),
           ("2, 4, bidirectional=True", "(Z(1, 2, 4), Z(1, 2, 4))"),
           ("2, 4", "(Z(1, 2, 4), Z(1, 2, 5))"), ("2, 4, proj_size=2", "(Z(1, 2, 4), Z(1, 2, 4))"),
           ("2, 4, proj_size=2", "(Z(1, 2, 2), Z(1, 2, 4))"),
           ("2, 4, proj_size=2", "(Z(1, 3, 2), Z(1, 3, 4))")]
for _layer, _state in _PACKED:
    SEQUENCES[f"packed_lstm({_layer})_state_{_state}"] = (
        f"Z = torch.zeros\nm = nn.LSTM({_layer})\n"
        "p = nn.utils.rnn.pack_padded_sequence(torch.ones(5, 2, 2), [5, 3])\n"
        f"out, (h, c) = m(p, {_state})\nprint(type(out).__name__, h.shape, c.shape)")


@pytest.mark.parametrize("code", list(SEQUENCES.values()), ids=list(SEQUENCES))
def test_sequences(code):
    assert outcome(code, ember) == outcome(code, torch)


def test_clip_grad_norm_of_a_used_up_generator_warns():
    code = ("m = nn.Linear(2, 2)\nm(torch.ones(1, 2)).sum().backward()\np = m.parameters()\n"
            "print(nn.utils.clip_grad_norm_(p, 1.0), nn.utils.clip_grad_norm_(p, 1.0))\n"
            "print(nn.utils.clip_grad_norm_([], 1.0))")
    assert outcome(code, ember) == outcome(code, torch)


@pytest.mark.parametrize("mode,nsp", [("linear", 1), ("bilinear", 2), ("trilinear", 3),
                                      ("nearest", 1), ("nearest", 2), ("nearest", 3),
                                      ("nearest-exact", 2), ("nearest-exact", 3), ("area", 1),
                                      ("area", 3), ("bicubic", 2)])
@pytest.mark.parametrize("dtype", ["long", "bool", "int8"])
def test_interpolate_integer_input(mode, nsp, dtype):
    """The kernel that refuses an integer image first names itself (its index tables for
    1-D and 3-D; the channels-last loops for 2-D)."""
    code = (f"x = torch.arange({2 ** nsp}).view(1, 1, *[2] * {nsp}).to(torch.{dtype})\n"
            f"print(F.interpolate(x, scale_factor=2, mode='{mode}').dtype)")
    assert outcome(code, ember) == outcome(code, torch)


# -- a tensor that requires grad read as a number: PyTorch's warning ---------------------------

TO_SCALAR = {
    "float": "x = torch.ones(1, requires_grad=True)\nprint(float(x))",
    "float_of_loss": "m = nn.Linear(2, 1)\nloss = m(torch.ones(1, 2)).sum()\ntotal = 0.0\n"
                     "total += float(loss)\nprint(type(total).__name__)",
    "complex": "x = torch.ones(1, requires_grad=True)\nprint(complex(x))",
    "in_tensor_list": "x = torch.ones(2, requires_grad=True)\nprint(torch.tensor([x[0], 1.0]))",
    "rows_in_tensor_list": "x = torch.ones(2, requires_grad=True)\n"
                           "print(torch.tensor([x, x]).shape)",
    "as_tensor_list": "x = torch.ones(1, requires_grad=True)\nprint(torch.as_tensor([x]))",
    "item_is_quiet": "x = torch.ones(1, requires_grad=True)\nprint(x.item(), int(x), bool(x))",
    "no_grad_is_quiet": "x = torch.ones(1, requires_grad=True)\nwith torch.no_grad():\n"
                        "    print(float(x), torch.tensor([x]))",
    "detached_is_quiet": "x = torch.ones(1, requires_grad=True)\nprint(float(x.detach()))",
}


@pytest.mark.parametrize("code", list(TO_SCALAR.values()), ids=list(TO_SCALAR))
def test_requires_grad_to_scalar(code):
    """Which conversions warn (both libraries told to repeat their once-only warnings)."""
    body = "".join(f"    {line}\n" for line in code.splitlines())
    code = f"torch.set_warn_always(True)\ntry:\n{body}finally:\n    torch.set_warn_always(False)"
    assert outcome(code, ember) == outcome(code, torch)


def test_requires_grad_to_scalar_warns_once(monkeypatch):
    from ember import _warnings

    monkeypatch.setattr(_warnings, "_once", set())
    x = ember.ones(1, requires_grad=True)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        float(x)
        float(x * 2)
        complex(x)
        ember.tensor([x])
    assert [str(w.message) for w in caught] == [
        "Converting a tensor with requires_grad=True to a scalar may lead to unexpected "
        "behavior.\nConsider using tensor.detach() first. (Triggered internally at "
        "/__w/pytorch/pytorch/torch/csrc/autograd/generated/python_variable_methods.cpp:822.)"]


# -- torch.distributed used before init_process_group (ember's group never is) -----------------

DISTRIBUTED = {
    "get_rank": "torch.distributed.get_rank()",
    "get_world_size": "torch.distributed.get_world_size()",
    "barrier": "torch.distributed.barrier()",
    "all_reduce": "torch.distributed.all_reduce(torch.ones(1))",
    "broadcast": "torch.distributed.broadcast(torch.ones(1), 0)",
    "destroy": "torch.distributed.destroy_process_group()",
    "isinstance_ddp": "m = nn.Linear(2, 2)\n"
                      "print(isinstance(m, nn.parallel.DistributedDataParallel))",
    "guarded": "d = torch.distributed\n"
               "print(d.get_rank() if d.is_available() and d.is_initialized() else 0)",
    "sampler": "torch.utils.data.distributed.DistributedSampler(list(range(4)))",
}


@pytest.mark.parametrize("code", list(DISTRIBUTED.values()), ids=list(DISTRIBUTED))
def test_distributed_without_a_process_group(code):
    assert outcome(code, ember) == outcome(code, torch)


def test_distributed_data_parallel_without_a_process_group():
    """PyTorch's DDP fails with get_rank's error (compared there: building a PyTorch DDP
    first imports seconds of its distributed machinery)."""
    got = outcome("nn.parallel.DistributedDataParallel(nn.Linear(2, 2))", ember)
    assert got == outcome("torch.distributed.get_rank()", torch)


def test_no_cuda_error_crosses_processes(no_cuda):
    """It pickles (a DataLoader worker sends it to the main process), and a worker's
    wrapper carries it as the builtin AssertionError that PyTorch's worker would raise."""
    import pickle
    import sys

    from ember.utils.data._utils.worker import ExceptionWrapper

    with pytest.raises(AssertionError) as e:
        ember.ones(1).cuda()
    again = pickle.loads(pickle.dumps(e.value))
    assert type(again) is type(e.value) and str(again) == "Torch not compiled with CUDA enabled"
    try:
        ember.cuda.reset_peak_memory_stats()
    except AttributeError as err:
        assert str(pickle.loads(pickle.dumps(err))) == str(err)
        wrapper = ExceptionWrapper(sys.exc_info(), "in DataLoader worker process 0")
    assert wrapper.exc_type is AttributeError
    with pytest.raises(AssertionError, match="^Caught AssertionError in DataLoader worker"):
        pickle.loads(pickle.dumps(ExceptionWrapper((type(e.value), e.value, e.tb),
                                                   "in DataLoader worker process 0"))).reraise()


@pytest.mark.parametrize("code", ["torch.ones(2).to(devic='cpu')",
                                  "torch.ones(2).to(torch.float64, foo=2)",
                                  "nn.Linear(2, 2).to(foo=1)",
                                  "nn.Linear(2, 2).to(dtype=torch.float64, non_block=True)",
                                  "torch.ones(2).to(copy=True, zz=1, dtype=torch.float64)",
                                  "torch.ones(2).to(torch.ones(1), dtype=torch.float64)"])
def test_to_with_a_misspelt_keyword(code):
    assert outcome(code, ember) == outcome(code, torch)

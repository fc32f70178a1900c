"""Differential probes against torch (CPU build): factories on device types this build lacks,
``torch.Generator(device=)``, autocast on every device type, ``custom_fwd``/``custom_bwd``,
``GradScaler`` (disabled, float32 scale, ``update`` checks), ``torch.backends`` names and
``pin_memory=`` on every factory; then vision (tensors without a NumPy dtype, half-precision
geometric transforms)."""
import warnings

import numpy as np
import pytest

import ember
from ember import _device
from diff import measured_cpu, nested_close

torch = pytest.importorskip("torch")
if torch.cuda.is_available():  # (the differential half needs PyTorch's CPU-only behaviour)
    pytest.skip("PyTorch sees a GPU", allow_module_level=True)


@pytest.fixture(autouse=True)
def no_cuda(monkeypatch):
    monkeypatch.setattr(_device, "_cupy", None)
    monkeypatch.setattr(_device, "_cupy_checked", True)


def outcome(f, first_line=False):
    """(kind, text) of ``f()``, with the warnings it gave; an error's text cut to its first
    line where asked (PyTorch's dispatcher errors go on to list its build's files)."""
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        try:
            r = repr(f())
            kind = "ok"
        except Exception as e:  # noqa: BLE001
            kind, r = type(e).__name__, str(e)
            if first_line:
                r = r.split("\n")[0]
    r = r.replace("ember._device.device", "torch.device")  # (its name under ``ember run``)
    return kind, r, [(x.category.__name__, str(x.message).split(" (Triggered internally")[0])
                     for x in w]


def same(make, first_line=False):
    t = outcome(lambda: make(torch), first_line)
    e = outcome(lambda: make(ember), first_line)
    assert e == t




# -- factories on device types a CPU build lacks ---------------------------------------------

FACTORIES = {
    "zeros": lambda T, d: T.zeros(2, device=d),
    "full": lambda T, d: T.full((2,), 3.0, device=d),
    "arange": lambda T, d: T.arange(3, device=d),
    "linspace": lambda T, d: T.linspace(0, 1, 3, device=d),
    "randn": lambda T, d: T.randn(2, device=d),
    "randperm": lambda T, d: T.randperm(3, device=d),
    "eye": lambda T, d: T.eye(2, device=d),
    "empty_strided": lambda T, d: T.empty_strided((2,), (1,), device=d),
    "tensor": lambda T, d: T.tensor([1.0], device=d),
    "as_tensor": lambda T, d: T.as_tensor(np.ones(2), device=d),
    "zeros_like": lambda T, d: T.zeros_like(T.ones(2), device=d),
    "full_like": lambda T, d: T.full_like(T.ones(2), 2, device=d),
    "rand_like": lambda T, d: T.rand_like(T.ones(2), device=d),
    "new_zeros": lambda T, d: T.ones(2).new_zeros(2, device=d),
    "new_tensor": lambda T, d: T.ones(2).new_tensor([1.0], device=d),
    "to": lambda T, d: T.ones(2).to(d),
    "tril_indices": lambda T, d: T.tril_indices(3, 3, device=d),
    "hann_window": lambda T, d: T.hann_window(4, device=d),
    "Linear": lambda T, d: T.nn.Linear(2, 2, device=d),
}


@pytest.mark.parametrize("dev", ["mps", "xla", "hip", "ipu", "maia", "hpu", "mtia",
                                 "privateuseone", "xpu"])
@pytest.mark.parametrize("name", list(FACTORIES))
def test_factory_on_missing_backend(name, dev):
    same(lambda T: FACTORIES[name](T, dev), first_line=True)


@pytest.mark.parametrize("dev", ["cpu", "meta", "mps", "xla", "hip", "ipu", "lazy", "ve",
                                 "hpu", "mtia", "privateuseone", "xpu"])
def test_generator_device(dev):
    same(lambda T: T.Generator(device=dev).device)


def test_tensor_ipu_mtia_and_pin_meta():
    same(lambda T: T.ones(2).ipu())
    same(lambda T: T.ones(2).mtia())
    for dt in ("float32", "int64", "bfloat16", "complex64", "bool"):
        same(lambda T: T.ones(2, device="meta", dtype=getattr(T, dt)).pin_memory())


@pytest.mark.parametrize("dev", ["mps", "xla", "hpu", "mtia", "xpu", "ipu", "hip",
                                 "privateuseone", "meta", "lazy", "vulkan", "maia", 1])
def test_storage_device(dev):
    same(lambda T: T.UntypedStorage(4, device=dev).device)
    same(lambda T: T.FloatStorage(4, device=dev).device)


@pytest.mark.parametrize("loc", ["mps", "mps:0", "xpu", "xpu:1", "hpu", "hpu:1", "mtia",
                                 "mtia:0", "lazy", "maia", "privateuseone:0", "xla"])
def test_load_map_location_on_missing_backend(loc):
    import io

    def load(T):
        buf = io.BytesIO()
        T.save({"a": T.ones(2)}, buf)
        buf.seek(0)
        return T.load(buf, map_location=loc)
    same(load)


# -- autocast ----------------------------------------------------------------------------------

def _in_autocast(*args, **kwargs):
    def run(T):
        dev = args[0] if args else kwargs["device_type"]
        with T.autocast(*args, **kwargs) as a:
            x = T.ones(2, 3)
            return ((x @ x.T).dtype, T.is_autocast_enabled(), T.is_autocast_enabled(dev),
                    T.get_autocast_dtype(dev), a.fast_dtype, a._enabled)
    return run


@pytest.mark.parametrize("dev", ["cpu", "cuda", "mps", "xpu", "hpu", "xla", "ipu", "mtia",
                                 "maia", "privateuseone", "meta", "hip", "foo", "cuda:0"])
def test_autocast_device_types(dev):
    same(_in_autocast(dev))


@pytest.mark.parametrize("dev", ["cpu", "cuda", "mps", "xpu", "hpu"])
@pytest.mark.parametrize("dt", ["float16", "bfloat16", "float32", "float64", "int32"])
def test_autocast_dtypes(dev, dt):
    same(lambda T: _in_autocast(dev, dtype=getattr(T, dt))(T))


def test_autocast_argument_types():
    same(_in_autocast("cpu", enabled=1))
    same(_in_autocast("cpu", dtype="float16"))
    same(lambda T: T.autocast(T.device("cpu")))
    for dev in ("cpu", "cuda", "mps", "xpu", "hip", "meta", "foo"):
        same(lambda T: T.amp.is_autocast_available(dev))
        same(lambda T: T.get_autocast_dtype(dev))
    # the autocast state is the same after the blocks above
    same(lambda T: [(T.is_autocast_enabled(d), T.get_autocast_dtype(d))
                    for d in ("cpu", "cuda", "mps")])


def test_custom_fwd_bwd_keep_the_forward_autocast_state():
    def run(T):
        log = []

        class MM(T.autograd.Function):
            @staticmethod
            @T.amp.custom_fwd(device_type="cpu")
            def forward(ctx, a, b):
                ctx.save_for_backward(a, b)
                log.append(("fwd", T.is_autocast_enabled("cpu")))
                return a.mm(b)

            @staticmethod
            @T.amp.custom_bwd(device_type="cpu")
            def backward(ctx, g):
                a, b = ctx.saved_tensors
                ga = g.mm(b.t())
                log.append(("bwd", T.is_autocast_enabled("cpu"), g.dtype, ga.dtype))
                return ga, a.t().mm(g)

        a = T.tensor([[1.0, 2.0], [3.0, 4.5]], requires_grad=True)
        with T.autocast("cpu"):
            out = MM.apply(a, a.detach())
        out.float().sum().backward()
        return log, out.dtype, a.grad.dtype, a.grad.tolist()
    same(run)
    same(lambda T: T.amp.custom_fwd(lambda ctx: 0))
    same(lambda T: T.amp.custom_bwd(lambda ctx: 0))
    same(lambda T: T.amp.custom_fwd(lambda ctx: 0, device_type=T.device("cpu")))


# -- GradScaler --------------------------------------------------------------------------------

def test_grad_scaler_disabled():
    for make in (lambda T: T.amp.GradScaler(), lambda T: T.cuda.amp.GradScaler(),
                 lambda T: T.amp.GradScaler("cpu", enabled=False)):
        for query in ("is_enabled", "get_scale", "get_growth_factor", "get_backoff_factor",
                      "get_growth_interval", "_get_growth_tracker", "state_dict"):
            same(lambda T: getattr(make(T), query)())
        same(lambda T: make(T).scale(T.tensor(2.0)))
    same(lambda T: T.amp.GradScaler("cpu", growth_factor=1.0, enabled=False).is_enabled())
    same(lambda T: T.amp.GradScaler("cpu", growth_factor=1.0))


class _SGD:
    """Plain SGD as an object with ``param_groups`` and ``step`` (what GradScaler needs;
    PyTorch's first ``torch.optim`` optimizer costs seconds of imports)."""

    def __init__(self, params, lr):
        self.param_groups = [{"params": list(params), "lr": lr}]

    def zero_grad(self):
        for p in self.param_groups[0]["params"]:
            p.grad = None

    def step(self):
        for p in self.param_groups[0]["params"]:
            p.data.add_(p.grad, alpha=-self.param_groups[0]["lr"])


def test_grad_scaler_float32_scale_and_update_checks():
    def run(T):
        T.manual_seed(0)
        m = T.nn.Linear(3, 1)
        opt = _SGD(m.parameters(), lr=0.1)
        s = T.amp.GradScaler("cpu", init_scale=1000.3, growth_factor=1.7, backoff_factor=0.3,
                             growth_interval=1)
        seen = [s.get_scale()]
        for i in range(4):
            opt.zero_grad()
            sl = s.scale(m(T.randn(5, 3)).pow(2).mean())
            sl.backward()
            if i == 2:
                m.weight.grad[0, 0] = float("nan")
            s.step(opt)
            s.update()
            seen += [sl.item(), s.get_scale(), s.state_dict(), s._get_growth_tracker()]
        s.update(3.3)
        seen.append(s.get_scale())
        s.update(T.tensor(7.1))
        return seen + [s.get_scale(), m.weight.tolist()]
    if measured_cpu():
        same(run)
    else:  # (Linear's sgemm is MKL's other kernel here: the losses an ulp or so apart)
        nested_close(run(ember), run(torch))
    same(lambda T: T.amp.GradScaler("cpu").update(3))

    def update_bad(T, value):
        s = T.amp.GradScaler("cpu")
        s.scale(T.tensor(1.0))
        s.update(value(T))
    for value in (lambda T: 3, lambda T: T.tensor([1.0, 2.0]),
                  lambda T: T.tensor(2.0, requires_grad=True)):
        same(lambda T: update_bad(T, value))
    same(lambda T: type(T.cpu.amp.GradScaler(init_scale=8.0).get_scale()))


# -- torch.backends ----------------------------------------------------------------------------

def test_backends_names():
    B = "backends"
    for get in (lambda T: getattr(T, B).cuda.matmul.fp32_precision,
                lambda T: getattr(T, B).fp32_precision,
                lambda T: getattr(T, B).cudnn.fp32_precision,
                lambda T: getattr(T, B).mkldnn.fp32_precision,
                lambda T: getattr(T, B).cudnn.benchmark_limit,
                lambda T: getattr(T, B).cudnn.is_acceptable(T.ones(1)),
                lambda T: getattr(T, B).cuda.is_flash_attention_available(),
                lambda T: getattr(T, B).cpu.get_cpu_capability(),
                lambda T: getattr(T, B).cuda.sdp_kernel(enable_flash=False) and None):
        same(get)
    try:
        for T in (torch, ember):
            T.set_float32_matmul_precision("high")
        same(lambda T: T.backends.cuda.matmul.fp32_precision)
    finally:
        for T in (torch, ember):
            T.set_float32_matmul_precision("highest")


# -- pin_memory= -------------------------------------------------------------------------------

PINNED = {
    "zeros_like": lambda T, p: T.zeros_like(T.ones(2), pin_memory=p),
    "ones_like": lambda T, p: T.ones_like(T.ones(2), pin_memory=p),
    "empty_like": lambda T, p: T.empty_like(T.ones(2), pin_memory=p).shape,
    "full_like": lambda T, p: T.full_like(T.ones(2), 2, pin_memory=p),
    "rand_like": lambda T, p: T.rand_like(T.ones(2), pin_memory=p).shape,
    "randn_like": lambda T, p: T.randn_like(T.ones(2), pin_memory=p).shape,
    "randint_like": lambda T, p: T.randint_like(T.ones(2), 3, pin_memory=p).shape,
    "arange": lambda T, p: T.arange(3, pin_memory=p),
    "linspace": lambda T, p: T.linspace(0, 1, 3, pin_memory=p),
    "logspace": lambda T, p: T.logspace(0, 1, 3, pin_memory=p),
    "full": lambda T, p: T.full((2,), 1.0, pin_memory=p),
    "eye": lambda T, p: T.eye(2, pin_memory=p),
    "randperm": lambda T, p: T.randperm(3, pin_memory=p).shape,
    "empty_strided": lambda T, p: T.empty_strided((2,), (1,), pin_memory=p).shape,
    "scalar_tensor": lambda T, p: T.scalar_tensor(1.0, pin_memory=p),
    "tril_indices": lambda T, p: T.tril_indices(2, 2, pin_memory=p),
    "triu_indices": lambda T, p: T.triu_indices(2, 2, pin_memory=p),
    "new_full": lambda T, p: T.ones(2).new_full((2,), 1, pin_memory=p),
    "zeros_like meta": lambda T, p: T.zeros_like(T.ones(2), pin_memory=p, device="meta"),
    "empty_like of meta": lambda T, p: T.empty_like(T.ones(2, device="meta"), pin_memory=p),
}


@pytest.mark.parametrize("pin", [True, False])
@pytest.mark.parametrize("name", list(PINNED))
def test_pin_memory_argument(name, pin):
    same(lambda T: PINNED[name](T, pin))


# -- vision: tensors without a NumPy dtype -------------------------------------------------------

@pytest.mark.parametrize("name", ["bfloat16", "float16", "uint16", "uint32", "uint64",
                                  "float8_e4m3fn", "float8_e5m2", "float8_e4m3fnuz",
                                  "float8_e5m2fnuz", "float8_e8m0fnu", "bool", "complex64"])
def test_numpy_of_every_dtype(name):
    same(lambda T: T.zeros(2, dtype=getattr(T, name)).numpy().dtype)
    same(lambda T: np.asarray(T.zeros(2, dtype=getattr(T, name))).dtype)
    same(lambda T: T.zeros(2, dtype=getattr(T, name)).tolist())
    same(lambda T: T.zeros(2, dtype=getattr(T, name), requires_grad=name == "bfloat16").numpy())


def test_bfloat16_images_through_geometric_transforms():
    """ember's own warps read bfloat16 images (``numpy()`` refuses them, as PyTorch's)."""
    from ember.vision.transforms import InterpolationMode as IM
    from ember.vision.transforms import functional as F1
    from ember.vision.transforms.v2 import functional as F2

    x = ember.from_numpy(np.random.default_rng(0).random((3, 12, 10), dtype=np.float32))
    xb = x.to(ember.bfloat16)
    disp = ember.from_numpy(np.random.default_rng(1).random((1, 12, 10, 2), dtype=np.float32)
                            * 0.2 - 0.1)
    sp, ep = [[0, 0], [9, 0], [9, 11], [0, 11]], [[1, 1], [8, 0], [9, 10], [0, 9]]
    for fn in (lambda im: F2.rotate(im, 30, interpolation=IM.BILINEAR),
               lambda im: F1.rotate(im, 30, interpolation=IM.BILINEAR),
               lambda im: F2.affine(im, angle=15, translate=[1, 2], scale=1.1, shear=[5, 3]),
               lambda im: F2.perspective(im, sp, ep),
               lambda im: F2.elastic(im, disp),
               lambda im: F2.elastic(im, disp, interpolation=IM.BICUBIC),
               lambda im: F2.adjust_sharpness(im, 2.0)):
        out = fn(xb)
        assert out.dtype is ember.bfloat16 and out.shape == xb.shape
        # (affine warps of bfloat16 images sample on a bfloat16 grid, as torchvision's do:
        # a few border pixels fall on the other side of the image's edge)
        diff = np.abs(out.float().numpy() - fn(x).numpy())
        assert (diff > 0.05).mean() < 0.05 and diff.mean() < 0.02


# -- vision: elastic with BICUBIC --------------------------------------------------------------

def _tv_elastic_bicubic(img, disp, fill, v2):
    """torchvision 0.29's elastic (v1 and v2) on PyTorch: identity grid plus displacement,
    ``grid_sample(mode='bicubic')`` with a ones channel for ``fill``, its blend, rounding."""
    import torch.nn.functional as tF

    dtype = img.dtype if v2 and img.is_floating_point() else torch.float32
    if not v2:
        dtype = disp.dtype
    shape = img.shape
    x = img.reshape(-1, *shape[-3:]).to(dtype)
    n, c, h, w = x.shape
    grid = torch.empty(1, h, w, 2, dtype=dtype)
    grid[..., 0] = torch.linspace((-w + 1) / w, (w - 1) / w, w, dtype=dtype)
    grid[..., 1] = torch.linspace((-h + 1) / h, (h - 1) / h, h, dtype=dtype).unsqueeze(-1)
    grid = (grid + disp.to(dtype)).expand(n, h, w, 2)
    if fill is not None:
        x = torch.cat((x, torch.ones(n, 1, h, w, dtype=dtype)), dim=1)
    out = tF.grid_sample(x, grid, mode="bicubic", padding_mode="zeros", align_corners=False)
    if fill is not None:
        out, mask = out[:, :-1], out[:, -1:].expand(n, c, h, w)
        f = torch.tensor(fill if isinstance(fill, list) else [float(fill)], dtype=dtype)
        f = f.view(1, -1, 1, 1).expand_as(out)
        out = (out - f) * mask + f if v2 else out * mask + (1.0 - mask) * f
    if not img.is_floating_point():
        out = out.round()
    return out.reshape(shape).to(img.dtype)


@pytest.mark.parametrize("v2", [False, True])
@pytest.mark.parametrize("fill", [None, 0, 7.5, [1.0, 2.0, 3.0]])
@pytest.mark.parametrize("dtype", ["float64", "float32", "uint8"])
def test_elastic_bicubic(dtype, fill, v2):
    from ember.vision.transforms import InterpolationMode as IM
    from ember.vision.transforms import functional as F1
    from ember.vision.transforms.v2 import functional as F2

    rng = np.random.default_rng(0)
    a = (rng.random((2, 3, 9, 7)) * (255 if dtype == "uint8" else 1)).astype(dtype)
    d = (rng.random((1, 9, 7, 2)) * 0.3 - 0.15).astype(np.float32)
    if not v2:
        a = a[0]
    want = _tv_elastic_bicubic(torch.from_numpy(a), torch.from_numpy(d), fill, v2).numpy()
    img, disp = ember.from_numpy(a), ember.from_numpy(d)
    got = (F2.elastic(img, disp, interpolation=IM.BICUBIC, fill=fill) if v2 else
           F1.elastic_transform(img, disp, interpolation=IM.BICUBIC, fill=fill)).numpy()
    assert got.dtype == want.dtype
    # NOTE: ember's bicubic grid_sample is PyTorch's to the last bits, not bit for bit
    tol = 1 if dtype == "uint8" else 1e-12 if dtype == "float64" and v2 else 1e-5
    np.testing.assert_allclose(got.astype(np.float64), want.astype(np.float64), atol=tol)


# -- vision: KeyPoints through the v2 geometric functionals --------------------------------------

# torchvision 0.29.1 (torch 2.13): the points, canvas size and dtype after each functional
TV_KEYPOINTS = {
 'hflip-f': ([[29.0, 3.0], [20.5, 12.25], [-0.0, 23.0], [24.0, 0.5]], (24, 32), 'float32'),
 'vflip-f': ([[2.0, 20.0], [10.5, 10.75], [31.0, -0.0], [7.0, 22.5]], (24, 32), 'float32'),
 'resize-f': ([[1.25, 1.5], [6.5625, 6.125], [19.375, 11.5], [4.375, 0.25]],
              (12, 20),
              'float32'),
 'resize_short-f': ([[1.3125, 2.0],
                     [6.890625, 8.166666984558105],
                     [20.34375, 15.333333969116211],
                     [4.59375, 0.3333333432674408]],
                    (16, 21),
                    'float32'),
 'crop-f': ([[-1.0, 1.0], [7.5, 10.25], [28.0, 21.0], [4.0, -1.5]], (10, 12), 'float32'),
 'center_crop-f': ([[-8.0, -4.0], [0.5, 5.25], [21.0, 16.0], [-3.0, -6.5]],
                   (10, 13),
                   'float32'),
 'resized_crop-f': ([[-2.0, 2.0], [15.0, 20.5], [56.0, 42.0], [8.0, -3.0]],
                    (20, 24),
                    'float32'),
 'pad-f': ([[3.0, 5.0], [11.5, 14.25], [32.0, 25.0], [8.0, 2.5]], (30, 36), 'float32'),
 'affine-f': ([[5.752344131469727, -3.1690564155578613],
               [11.474045753479004, 9.681655883789062],
               [30.50790023803711, 27.704025268554688],
               [12.714242935180664, -4.520864009857178]],
              (24, 32),
              'float32'),
 'rotate-f': ([[-0.643139123916626, 12.076911926269531],
               [11.52347183227539, 15.205182075500488],
               [34.57108688354492, 13.055790901184082],
               [2.188615560531616, 7.257040023803711]],
              (24, 32),
              'float32'),
 'rotate_expand-f': ([[3.311258316040039, 18.855182647705078],
                      [15.477869033813477, 21.98345375061035],
                      [38.52548599243164, 19.834062576293945],
                      [6.143013000488281, 14.035311698913574]],
                     (38, 41),
                     'float32'),
 'perspective-f': ([[3.4633097648620605, 2.055060863494873],
                    [10.574471473693848, 12.39384651184082],
                    [29.987939834594727, 24.813026428222656],
                    [8.313998222351074, -1.0139521360397339]],
                   (24, 32),
                   'float32'),
 'elastic-f': ([[3.1914005279541016, 3.891986846923828],
                [9.957263946533203, 11.966384887695312],
                [29.402084350585938, 21.799999237060547],
                [8.57081413269043, 1.1765472888946533]],
               (24, 32),
               'float32'),
 'clamp-f': ([[0.0, 0.5], [11.75, 14.375], [31.0, 23.0], [6.5, 0.0]], (24, 32), 'float32'),
 'hflip-i': ([[[29, 3], [21, 12]], [[0, 23], [26, 7]]], (24, 32), 'int64'),
 'vflip-i': ([[[2, 20], [10, 11]], [[31, 0], [5, 16]]], (24, 32), 'int64'),
 'resize-i': ([[[1, 1], [6, 6]], [[19, 11], [3, 3]]], (12, 20), 'int64'),
 'resize_short-i': ([[[1, 2], [6, 8]], [[20, 15], [3, 4]]], (16, 21), 'int64'),
 'crop-i': ([[[-1, 1], [7, 10]], [[28, 21], [2, 5]]], (10, 12), 'int64'),
 'center_crop-i': ([[[-8, -4], [0, 5]], [[21, 16], [-5, 0]]], (10, 13), 'int64'),
 'resized_crop-i': ([[[-2, 2], [14, 20]], [[56, 42], [4, 10]]], (20, 24), 'int64'),
 'pad-i': ([[[3, 5], [11, 14]], [[32, 25], [6, 9]]], (30, 36), 'int64'),
 'affine-i': ([[[5, -3], [11, 9]], [[30, 27], [7, 2]]], (24, 32), 'int64'),
 'rotate-i': ([[[0, 12], [10, 15]], [[34, 13], [4, 13]]], (24, 32), 'int64'),
 'rotate_expand-i': ([[[3, 18], [14, 22]], [[38, 19], [8, 20]]], (38, 41), 'int64'),
 'perspective-i': ([[[3, 2], [10, 12]], [[29, 24], [5, 6]]], (24, 32), 'int64'),
 'elastic-i': ([[[3, 3], [9, 11]], [[29, 21], [5, 7]]], (24, 32), 'int64'),
 'clamp-i': ([[[0.0, 0.5], [11.0, 14.0]], [[31.0, 23.0], [3.5, 6.5]]], (24, 32), 'float32'),
}

KP_OPS = {
    "hflip": lambda F, k, T: F.horizontal_flip(k),
    "vflip": lambda F, k, T: F.vertical_flip(k),
    "resize": lambda F, k, T: F.resize(k, [12, 20]),
    "resize_short": lambda F, k, T: F.resize(k, 16),
    "crop": lambda F, k, T: F.crop(k, 2, 3, 10, 12),
    "center_crop": lambda F, k, T: F.center_crop(k, [10, 13]),
    "resized_crop": lambda F, k, T: F.resized_crop(k, 2, 3, 10, 12, [20, 24]),
    "pad": lambda F, k, T: F.pad(k, [1, 2, 3, 4]),
    "affine": lambda F, k, T: F.affine(k, angle=17., translate=[2, -1], scale=1.2,
                                       shear=[5., 3.]),
    "rotate": lambda F, k, T: F.rotate(k, 33.),
    "rotate_expand": lambda F, k, T: F.rotate(k, 33., expand=True),
    "perspective": lambda F, k, T: F.perspective(
        k, None, None, coefficients=[1.1, 0.1, -2, 0.05, 0.9, 1, 0.001, 0.002]),
    "elastic": lambda F, k, T: F.elastic(k, T.linspace(-0.1, 0.1, 24 * 32 * 2)
                                         .reshape(1, 24, 32, 2)),
    "clamp": lambda F, k, T: F.clamp_keypoints(
        k.__class__(k.as_subclass(T.Tensor) * 1.5 - 4, canvas_size=k.canvas_size)),
}


@pytest.mark.parametrize("key", list(TV_KEYPOINTS))
def test_keypoints_functionals(key):
    from ember.vision.transforms.v2 import functional as F2

    name, kind = key.rsplit("-", 1)
    if kind == "f":
        kp = tv_tensors_keypoints([[2., 3.], [10.5, 12.25], [31, 23], [7, 0.5]])
    else:
        kp = tv_tensors_keypoints(ember.tensor([[[2, 3], [10, 12]], [[31, 23], [5, 7]]]))
    out = KP_OPS[name](F2, kp, ember)
    values, canvas, dtype = TV_KEYPOINTS[key]
    assert type(out).__name__ == "KeyPoints"
    if measured_cpu() or kind != "f":
        assert repr(out.tolist()) == repr(values)  # (bit for bit, -0.0 included)
    else:  # (the warps' sgemm is MKL's other kernel off the measured processor)
        nested_close(out.tolist(), values)
    assert tuple(out.canvas_size) == canvas and str(out.dtype) == "torch." + dtype


def tv_tensors_keypoints(data):
    from ember.vision import tv_tensors

    return tv_tensors.KeyPoints(data, canvas_size=(24, 32))


def test_keypoints_tensor_and_transforms():
    from ember.vision import tv_tensors
    from ember.vision.transforms import v2

    kp = tv_tensors.KeyPoints([1, 2], canvas_size=(4, 4))
    assert kp.shape == (1, 2) and repr(kp) == ("KeyPoints([[1, 2]], canvas_size=(4, 4))")
    with pytest.raises(ValueError, match=r"Expected a tensor of shape \(\.\.\., 2\), not "):
        tv_tensors.KeyPoints([[1, 2, 3]], canvas_size=(4, 4))
    assert type(kp.clone()).__name__ == "KeyPoints" and type(kp + 1).__name__ == "Tensor"
    img = tv_tensors.Image(ember.zeros(3, 24, 32, dtype=ember.uint8))
    points = tv_tensors.KeyPoints([[2., 3.], [10.5, 12.25]], canvas_size=(24, 32))
    out = v2.RandomHorizontalFlip(p=1.0)(img, points)[1]
    assert out.tolist() == [[29.0, 3.0], [20.5, 12.25]] and out.canvas_size == (24, 32)
    out = v2.RandomRotation((90, 90), expand=True)(img, points)[1]  # torchvision 0.29.1
    assert out.canvas_size == (32, 24)
    np.testing.assert_allclose(out.numpy(), [[3.0, 30.0], [12.25, 21.5]], atol=1e-5)
    with pytest.warns(UserWarning, match=r"RandomErasing\(\) is currently passing through "
                                         "inputs of type tv_tensors.KeyPoints"):
        v2.RandomErasing(p=1.0)(img, points)
    assert v2.Resize(12)(points).canvas_size == (12, 16)
    clamped = v2.ClampKeyPoints()(tv_tensors.KeyPoints([[-2., 3.], [40.5, 30]],
                                                       canvas_size=(24, 32)))
    assert clamped.tolist() == [[0.0, 3.0], [31.0, 23.0]]


def test_sanitize_keypoints():  # torchvision 0.29.1's results
    from ember.vision import tv_tensors
    from ember.vision.transforms import v2
    from ember.vision.transforms.v2 import functional as F2

    kp = tv_tensors.KeyPoints([[-2., 3.], [40.5, 12.25], [5, 23.5], [31.9, 0]],
                              canvas_size=(24, 32))
    groups = tv_tensors.KeyPoints(ember.tensor([[[2, 3], [10, 12]], [[31, 24], [5, 7]],
                                                [[0, 0], [31, 23]]]), canvas_size=(24, 32))
    out, valid = F2.sanitize_keypoints(kp)
    assert type(out).__name__ == "KeyPoints"
    assert out.tolist() == [[5.0, 23.5], [np.float32(31.9).item(), 0.0]]
    assert valid.tolist() == [False, False, True, True]
    out = v2.SanitizeKeyPoints(labels_getter="default")({"kp": groups,
                                                         "labels": ember.tensor([1, 2, 3])})
    assert out["kp"].tolist() == [[[2, 3], [10, 12]], [[0, 0], [31, 23]]]
    assert out["labels"].tolist() == [1, 3]
    for call, message in (
            (lambda: F2.sanitize_keypoints(ember.tensor([[1.0, 2.0]])),
             "canvas_size cannot be None if key_points is a pure tensor. Set it to an "
             "appropriate value or pass key_points as a tv_tensors.KeyPoints object."),
            (lambda: v2.SanitizeKeyPoints(labels_getter="default")(
                {"kp": groups, "labels": ember.tensor([1, 2])}),
             "Number of kepyoints (shape=torch.Size([3, 2, 2])) must match the number of "
             "labels.Found labels with shape=torch.Size([2]))."),
            (lambda: v2.SanitizeKeyPoints()(ember.zeros(2)),
             "No keypoints were found in the sample")):
        with pytest.raises(ValueError) as info:
            call()
        assert str(info.value) == message

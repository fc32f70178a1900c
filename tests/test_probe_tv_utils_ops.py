"""torchvision.utils / torchvision.ops as users call them, against torch and torchvision.

torchvision is not installed in the test environment: the checks either compare with plain
torch ops (where torchvision computes with them) or with torchvision 0.29.1's results (torch
2.13, CPU), recorded once and stored below as small literals.
"""
import hashlib
import math

import numpy as np
import pytest
import torch

import ember
from diff import measured_cpu
from ember.vision import ops, utils


def _md5(t):
    return hashlib.md5(t.contiguous().numpy().tobytes()).hexdigest()


def _hex(t):
    return [float(v).hex() for v in t.detach().flatten().tolist()]


# -- torchvision.utils ------------------------------------------------------------------------

def test_drawing_and_grid_functions_record_no_graph():
    # torchvision decorates them all with @torch.no_grad()
    x = ember.rand(4, 3, 5, 6, requires_grad=True)
    assert not utils.make_grid(x, nrow=2).requires_grad
    masks = ember.rand(2, 5, 6) > 0.5
    assert not utils.draw_segmentation_masks(x[0], masks).requires_grad
    boxes = ember.tensor([[0.0, 0.0, 3.0, 4.0]])
    assert not utils.draw_bounding_boxes(x[0], boxes).requires_grad
    kp = ember.tensor([[[1.0, 2.0]]])
    assert not utils.draw_keypoints(x[0], kp).requires_grad
    assert not utils.flow_to_image(ember.randn(2, 3, 4, requires_grad=True)).requires_grad


def test_drawn_images_are_channels_first_views_as_torchvision():
    # torchvision returns pil_to_tensor's permuted HWC buffer: stride (1, 3 * W, 3)
    img = ember.randint(0, 256, (3, 12, 16), dtype=ember.uint8)
    out = utils.draw_bounding_boxes(img, ember.tensor([[1.0, 1.0, 8.0, 9.0]]))
    assert out.stride() == (1, 48, 3)
    out = utils.draw_keypoints(img.float() / 255, ember.tensor([[[3.0, 4.0], [10.0, 8.0]]]),
                               connectivity=[(0, 1)])
    assert out.stride() == (1, 48, 3) and out.dtype == ember.float32


# torchvision 0.29.1: md5 of the uint8 image after drawing a rotated (N, 8) box
TV_ROTATED = {"plain": "d8d348b27a1b97d41b97a9f7155c7ba9",
              "fill_label": "83e64abf4cbddcae191a6d206909dc17"}


def test_draw_bounding_boxes_rotated_boxes():
    ember.manual_seed(0)
    img = ember.randint(0, 256, (3, 12, 16), dtype=ember.uint8)
    rb = ember.tensor([[2.0, 2, 12, 3, 11, 10, 1, 9]])
    out = utils.draw_bounding_boxes(img, rb, colors="red", width=1)
    assert _md5(out) == TV_ROTATED["plain"]
    out = utils.draw_bounding_boxes(img, rb, fill=True, labels=["a"])
    assert _md5(out) == TV_ROTATED["fill_label"]
    with pytest.raises(IndexError, match="list index out of range"):
        utils.draw_bounding_boxes(img, ember.rand(1, 5))


def test_draw_segmentation_masks_default_palette_float64():
    # torchvision's default palette holds int64 tensors, so v / 255 is a float32 value
    img = ember.arange(3 * 4 * 5, dtype=ember.float64).reshape(3, 4, 5) / 60
    masks = ember.zeros(2, 4, 5, dtype=ember.bool)
    masks[0, :2] = True
    masks[1, :, :2] = True
    out = utils.draw_segmentation_masks(img, masks, alpha=0.7)
    palette = torch.tensor([2**25 - 1, 2**15 - 1, 2**21 - 1])
    tv_img = torch.from_numpy(img.numpy())
    painted = tv_img.clone()
    tv_masks = torch.from_numpy(masks.numpy())
    for i, mask in enumerate(tv_masks):
        color = torch.tensor(tuple((i * palette) % 255 / 255), dtype=torch.float64)
        painted[:, mask] = color[:, None]
    painted[:, tv_masks.sum(0) > 1] = 0
    want = tv_img * (1 - 0.7) + painted * 0.7
    assert _hex(out) == _hex(want)


# torchvision 0.29.1: flow_to_image of the flow below
TV_FLOW = [[[255, 82, 115], [255, 255, 168]], [[186, 255, 0], [238, 3, 222]],
           [[161, 250, 255], [87, 3, 255]]]


def test_flow_to_image():
    flow = ember.tensor([[[1.0, -2.0, 0.5], [0.0, 3.0, -1.0]],
                         [[0.5, 0.5, -3.0], [2.0, 0.0, -0.25]]])
    out = utils.flow_to_image(flow)
    assert out.dtype == ember.uint8 and out.tolist() == TV_FLOW
    assert utils.flow_to_image(ember.stack([flow, -flow * 0.5])).sum().item() == 6934
    with pytest.raises(ValueError, match=r"^Flow should be of dtype torch.float, got "
                                         r"torch.float64.$"):
        utils.flow_to_image(flow.double())
    with pytest.raises(ValueError, match=r"^Input flow should have shape \(2, H, W\) or "
                                         r"\(N, 2, H, W\), got torch.Size\(\[3, 4, 4\]\).$"):
        utils.flow_to_image(ember.randn(3, 4, 4))


# -- box losses: gradients summed in torchvision's order -----------------------------------------

# torchvision 0.29.1: grad of complete_box_iou_loss(x, b).sum() for the seeded boxes below
TV_CIOU_GRAD = [
    '-0x1.31aaaa0000000p-9', '-0x1.37817a0000000p-11', '-0x1.1179780000000p-6',
    '-0x1.b330f20000000p-7', '0x1.51c9c80000000p-7', '0x1.54e3120000000p-7',
    '-0x1.96d8640000000p-7', '-0x1.e93cda0000000p-7', '0x1.98ed540000000p-7',
    '0x1.3815b40000000p-6', '-0x1.df399c0000000p-7', '0x1.1923680000000p-8',
    '0x1.3d4cc80000000p-13', '0x1.1422a60000000p-7', '-0x1.10da940000000p-9',
    '-0x1.1828f60000000p-9', '0x1.7dc5580000000p-6', '0x1.0585540000000p-6',
    '-0x1.a2832c0000000p-7', '-0x1.c519500000000p-9']


def test_complete_box_iou_loss_grad_bits():
    ember.manual_seed(0)
    boxes = []
    for _ in range(2):
        xy = ember.rand(5, 2) * 50
        wh = ember.rand(5, 2) * 30
        boxes.append(ember.cat([xy, xy + wh], 1))
    x = boxes[0].clone().requires_grad_()
    ops.complete_box_iou_loss(x, boxes[1]).sum().backward()
    if measured_cpu():
        assert _hex(x.grad) == TV_CIOU_GRAD
    else:  # (float32 atan is VML's, emulated on the measured processor only)
        np.testing.assert_allclose(x.grad.flatten().numpy(),
                                   [float.fromhex(v) for v in TV_CIOU_GRAD], rtol=1e-5)


def test_box_losses_match_torch_written_the_torchvision_way():
    # torchvision's losses, spelled with torch ops: unbind per helper, masked intersection
    def inter_union(b1, b2):
        x1, y1, x2, y2 = b1.unbind(-1)
        x1g, y1g, x2g, y2g = b2.unbind(-1)
        xk1, yk1 = torch.max(x1, x1g), torch.max(y1, y1g)
        xk2, yk2 = torch.min(x2, x2g), torch.min(y2, y2g)
        inter = torch.zeros_like(x1)
        m = (yk2 > yk1) & (xk2 > xk1)
        inter[m] = (xk2[m] - xk1[m]) * (yk2[m] - yk1[m])
        return inter, (x2 - x1) * (y2 - y1) + (x2g - x1g) * (y2g - y1g) - inter

    def diou(b1, b2, eps=1e-7):
        inter, union = inter_union(b1, b2)
        iou = inter / (union + eps)
        x1, y1, x2, y2 = b1.unbind(-1)
        x1g, y1g, x2g, y2g = b2.unbind(-1)
        diag = ((torch.max(x2, x2g) - torch.min(x1, x1g)) ** 2) + (
            (torch.max(y2, y2g) - torch.min(y1, y1g)) ** 2) + eps
        cen = (((x2 + x1) / 2 - (x1g + x2g) / 2) ** 2) + (((y2 + y1) / 2 - (y1g + y2g) / 2) ** 2)
        return 1 - iou + cen / diag, iou

    def giou(b1, b2, eps=1e-7):
        inter, union = inter_union(b1, b2)
        iou = inter / (union + eps)
        x1, y1, x2, y2 = b1.unbind(-1)
        x1g, y1g, x2g, y2g = b2.unbind(-1)
        area = (torch.max(x2, x2g) - torch.min(x1, x1g)) * (torch.max(y2, y2g) - torch.min(y1, y1g))
        return 1 - (iou - (area - union) / (area + eps))

    rng = np.random.default_rng(3)
    xy = rng.uniform(0, 40, (2, 12, 2)).astype(np.float32)
    wh = rng.uniform(0, 20, (2, 12, 2)).astype(np.float32)
    wh[:, ::4] = 0  # degenerate boxes
    data = np.concatenate([xy, xy + wh], -1)
    for name, ref in (("distance_box_iou_loss", lambda a, b: diou(a, b)[0]),
                      ("generalized_box_iou_loss", giou)):
        x, tx = ember.tensor(data[0], requires_grad=True), torch.tensor(data[0],
                                                                         requires_grad=True)
        out = getattr(ops, name)(x, ember.tensor(data[1]))
        want = ref(tx, torch.tensor(data[1]))
        assert _hex(out) == _hex(want), name
        out.sum().backward()
        want.sum().backward()
        assert _hex(x.grad) == _hex(tx.grad), name


# -- DropBlock ---------------------------------------------------------------------------------

# torchvision 0.29.1 outputs (seeded as below)
TV_DROP_BLOCK_2D = [
    -0.1352546364068985, 0.6350850462913513, -0.0, 0.0, 0.0, -0.5060828924179077,
    2.859795570373535, -2.8177201747894287, -0.0, -0.0, 0.0, -0.3927544355392456, 0.0, 0.0,
    0.0, 0.0, 0.0, 1.6431608200073242, -0.0, -0.0, 0.0, 0.9215064644813538, -0.294369101524353,
    0.09358835220336914, 0.0, 0.0, 0.0, -2.1092369556427, 1.7610396146774292,
    0.8103184103965759, 4.299524307250977, -0.0, -0.0, -0.0, -0.6142752766609192,
    0.6154347658157349, 0.06541213393211365, -0.0, 0.0, -0.0, -0.4786139726638794,
    0.24993260204792023, 0.22856086492538452, 0.0, 0.0, -0.0, -0.7273021936416626,
    1.2130154371261597, -0.1327102929353714, -0.7469987273216248, 0.744153618812561,
    -0.4546677768230438, -3.448399305343628, -2.1558220386505127, -0.5830910801887512,
    -0.7487675547599792, 0.9043489694595337, -0.035021308809518814, -1.9792855978012085,
    -0.8630596399307251]
TV_DROP_BLOCK_3D_ZEROS = [32, 33, 34, 38, 39, 40, 44, 45, 46, 50, 51, 52, 56, 57, 58, 62, 63, 64,
                          68, 69, 70, 74, 75, 76, 80, 81, 82, 86, 87, 88, 92, 93, 94, 98, 99, 100,
                          104, 105, 106, 110, 111, 112, 116, 117, 118]


def test_drop_block():
    ember.manual_seed(3)
    x = ember.randn(1, 2, 5, 6)
    ember.manual_seed(4)
    out = ops.drop_block2d(x, 0.4, 3)
    assert _hex(out) == [float(v).hex() for v in TV_DROP_BLOCK_2D]
    ember.manual_seed(5)
    out = ops.drop_block3d(ember.ones(1, 1, 4, 5, 6), 0.6, 3).flatten()
    assert (out == 0).nonzero().flatten().tolist() == TV_DROP_BLOCK_3D_ZEROS
    assert out.max().item() == 1.600000023841858
    assert ops.drop_block2d(x, 0.5, 3, training=False) is x
    xi = x.clone()
    assert ops.drop_block2d(xi, 0.3, 3, inplace=True) is xi
    for call, msg in ((lambda: ops.drop_block2d(x, 0.5, 4),
                       "block size should be odd. Got 4 which is even."),
                      (lambda: ops.drop_block2d(x, 1.5, 3),
                       "drop probability has to be between 0 and 1, but got 1.5."),
                      (lambda: ops.drop_block2d(x[0], 0.5, 3),
                       "input should be 4 dimensional. Got 3 dimensions."),
                      (lambda: ops.drop_block3d(x, 0.5, 3),
                       "input should be 5 dimensional. Got 4 dimensions.")):
        with pytest.raises(ValueError) as e:
            call()
        assert str(e.value) == msg
    m = ops.DropBlock2d(0.2, 3)
    assert repr(m) == "DropBlock2d(p=0.2, block_size=3, inplace=False)"
    assert repr(ops.DropBlock3d(0.2, 5, inplace=True)) == (
        "DropBlock3d(p=0.2, block_size=5, inplace=True)")
    assert m.eval()(x) is x


# -- deform_conv2d and the position-sensitive RoI ops -------------------------------------------

@pytest.mark.parametrize("stride,padding,dilation", [(1, 0, 1), (2, 1, 1), ((1, 2), (0, 1),
                                                                            (2, 1))])
def test_deform_conv2d_without_offsets_is_conv2d(stride, padding, dilation):
    rng = np.random.default_rng(0)
    x = rng.standard_normal((2, 4, 7, 8))
    w = rng.standard_normal((6, 2, 3, 3))
    b = rng.standard_normal(6)
    want = torch.nn.functional.conv2d(torch.tensor(x), torch.tensor(w), torch.tensor(b),
                                      stride=stride, padding=padding, dilation=dilation,
                                      groups=2)
    ho, wo = want.shape[2:]
    off = ember.zeros(2, 2 * 2 * 9, ho, wo, dtype=ember.float64)
    out = ops.deform_conv2d(ember.tensor(x), off, ember.tensor(w), ember.tensor(b),
                            stride=stride, padding=padding, dilation=dilation)
    np.testing.assert_allclose(out.numpy(), want.numpy(), rtol=1e-12, atol=1e-12)
    mask = ember.ones(2, 2 * 9, ho, wo, dtype=ember.float64) * 0.5
    out = ops.deform_conv2d(ember.tensor(x), off, ember.tensor(w), None, stride=stride,
                            padding=padding, dilation=dilation, mask=mask)
    np.testing.assert_allclose(out.numpy(), 0.5 * (want - torch.tensor(b)[:, None, None]).numpy(),
                               rtol=1e-12, atol=1e-12)


def test_deform_conv2d_offsets_and_gradients():
    rng = np.random.default_rng(1)
    x = rng.standard_normal((1, 2, 5, 6))
    w = rng.standard_normal((3, 2, 3, 3))
    # a whole-pixel offset of +1 in x reads the map shifted one column left (zeros beyond)
    off = np.zeros((1, 18, 3, 4))
    off[:, 1::2] = 1.0
    shifted = np.zeros_like(x)
    shifted[..., :-1] = x[..., 1:]
    out = ops.deform_conv2d(ember.tensor(x), ember.tensor(off), ember.tensor(w))
    want = torch.nn.functional.conv2d(torch.tensor(shifted), torch.tensor(w))
    np.testing.assert_allclose(out.numpy(), want.numpy(), rtol=1e-12, atol=1e-12)
    args = (ember.tensor(x[:, :1, :3, :3], requires_grad=True),
            ember.tensor(rng.uniform(-1.5, 1.5, (1, 2 * 4, 2, 2)), requires_grad=True),
            ember.tensor(w[:1, :1, :2, :2], requires_grad=True),
            ember.tensor(rng.standard_normal(1), requires_grad=True),
            ember.tensor(rng.uniform(0, 1, (1, 4, 2, 2)), requires_grad=True))
    assert ember.autograd.gradcheck(
        lambda i, o, w_, b_, m: ops.deform_conv2d(i, o, w_, b_, mask=m), args)
    layer = ops.DeformConv2d(4, 6, 3, padding=1, groups=2)
    assert repr(layer) == ("DeformConv2d(4, 6, kernel_size=(3, 3), stride=(1, 1), "
                           "padding=(1, 1), groups=2)")
    assert layer(ember.randn(2, 4, 7, 8), ember.zeros(2, 18, 7, 8)).shape == (2, 6, 7, 8)
    with pytest.raises(RuntimeError, match="the shape of the offset tensor at dimension 1 is "
                                           "not valid"):
        ops.deform_conv2d(ember.randn(1, 2, 5, 6), ember.zeros(1, 3, 3, 4), ember.randn(3, 2, 3, 3))
    with pytest.raises(ValueError, match="^out_channels must be divisible by groups$"):
        ops.DeformConv2d(4, 5, 3, groups=2)


def _round_half_away(v):
    return int(math.copysign(math.floor(abs(v) + 0.5), v))


def test_ps_roi_align_and_pool():
    ph, pw = 2, 3
    ember.manual_seed(0)
    x = ember.randn(2, 2 * ph * pw, 9, 10, dtype=ember.float64)
    boxes = ember.tensor([[0, 1.0, 1.5, 7.2, 6.3], [1, 0.0, 0.0, 9.0, 8.0]], dtype=ember.float64)
    out = ops.ps_roi_align(x, boxes, (ph, pw), 1.0, 2)
    # bin (i, j) of output channel c reads channel (c * ph + i) * pw + j, with half-pixel boxes
    full = ops.roi_align(x, boxes, (ph, pw), 1.0, 2, aligned=True)
    for c in range(2):
        for i in range(ph):
            for j in range(pw):
                assert ember.equal(out[:, c, i, j], full[:, (c * ph + i) * pw + j, i, j])
    # ps_roi_pool: the mean of each bin, bins clipped to the map less its last row/column
    out = ops.ps_roi_pool(x, [boxes[:1, 1:], boxes[1:, 1:]], (ph, pw))
    for r, roi in enumerate(boxes.tolist()):
        x0, y0, x1, y1 = (_round_half_away(v) for v in roi[1:])
        rw, rh = max(x1 - x0, 1), max(y1 - y0, 1)
        for c in range(2):
            for i in range(ph):
                for j in range(pw):
                    hs = min(max(math.floor(i * rh / ph) + y0, 0), 8)
                    he = min(max(math.ceil((i + 1) * rh / ph) + y0, 0), 8)
                    ws = min(max(math.floor(j * rw / pw) + x0, 0), 9)
                    we = min(max(math.ceil((j + 1) * rw / pw) + x0, 0), 9)
                    want = x[int(roi[0]), (c * ph + i) * pw + j, hs:he, ws:we].mean().item()
                    assert out[r, c, i, j].item() == pytest.approx(want, abs=1e-12)
    xg = x[:1, :, :4, :3].clone().requires_grad_()
    assert ember.autograd.gradcheck(lambda t: ops.ps_roi_align(t, boxes[:1], (ph, pw), 0.5, 2),
                                    (xg,))
    with pytest.raises(RuntimeError, match="^input channels must be a multiple of pooling "
                                           "height \\* pooling width$"):
        ops.ps_roi_align(x, boxes, 5)
    assert ops.ps_roi_pool(x.float(), boxes[:0].float(), 2).shape == (0, 3, 2, 2)
    assert repr(ops.PSRoIAlign(3, 0.5, 2)) == (
        "PSRoIAlign(output_size=3, spatial_scale=0.5, sampling_ratio=2)")
    assert repr(ops.PSRoIPool((2, 3), 1.0)) == "PSRoIPool(output_size=(2, 3), spatial_scale=1.0)"


# -- kernel error messages (as torchvision 0.29.1's compiled kernels word them) ----------------

def test_kernel_error_messages():
    boxes, scores = ember.tensor([[0.0, 0, 2, 2], [1, 1, 3, 3]]), ember.tensor([0.9, 0.8])
    with pytest.raises(RuntimeError, match="^dets should have the same type as scores$"):
        ops.nms(boxes, scores.double(), 0.5)
    with pytest.raises(RuntimeError, match="^dets should have the same type as scores$"):
        ops.batched_nms(boxes, scores.double(), ember.tensor([0, 1]), 0.5)
    x = ember.rand(1, 4, 5, 5)
    for call in (lambda: ops.roi_align(x, ember.tensor([[0, 0, 0, 2, 2]]), 2),
                 lambda: ops.roi_pool(x, [ember.tensor([[0.0, 0, 2, 2]]).double()], 2),
                 lambda: ops.ps_roi_align(x, ember.tensor([[0, 0, 0, 2, 2]]), 2),
                 lambda: ops.ps_roi_pool(x, ember.tensor([[0, 0, 0, 2, 2]]).half(), 2)):
        with pytest.raises(RuntimeError, match="^input should have the same type as rois$"):
            call()
    inp, w = ember.randn(1, 4, 5, 6), ember.randn(6, 2, 3, 3)
    off = ember.zeros(1, 18, 3, 4)
    unexplained = ("Expected {} to be true, but got false.  (Could this error message be "
                   "improved?  If so, please report an enhancement request to PyTorch.)")
    cases = [
        (lambda: ops.deform_conv2d(inp, off, ember.randn(6, 3, 3, 3)),
         unexplained.format("weight_c.size(1) * n_weight_grps == input_c.size(1)")),
        (lambda: ops.deform_conv2d(inp, off, ember.randn(5, 2, 3, 3)),
         unexplained.format("weight_c.size(0) % n_weight_grps == 0")),
        (lambda: ops.deform_conv2d(inp, ember.zeros(1, 20, 3, 4), w),
         "offset.shape[1] is not valid: got: 20 expected: 18"),
        (lambda: ops.deform_conv2d(inp, off, w, mask=ember.ones(1, 8, 3, 4)),
         "mask.shape[1] is not valid: got: 8 expected: 9"),
        (lambda: ops.deform_conv2d(inp, ember.zeros(1, 54, 3, 4), w),
         unexplained.format("input_c.size(1) % n_offset_grps == 0")),
        (lambda: ops.deform_conv2d(inp, ember.zeros(2, 18, 3, 4), w),
         "invalid batch size of offset"),
        (lambda: ops.deform_conv2d(inp, ember.zeros(1, 18, 4, 4), w),
         "offset output dims: (4, 4) - computed output dims: (3, 4)"),
        (lambda: ops.deform_conv2d(inp, off, w, mask=ember.ones(2, 9, 3, 4)),
         "invalid batch size of mask"),
        (lambda: ops.deform_conv2d(inp, off, w, mask=ember.ones(1, 9, 3, 3)),
         "mask output dims: (3, 3) - computed output dims: (3, 4)"),
    ]
    for call, msg in cases:
        with pytest.raises(RuntimeError) as e:
            call()
        assert str(e.value) == msg


def test_nms_visits_scores_in_torch_sort_order():
    # the kernel orders boxes by scores.sort(stable=True, descending=True): NaN first, ties
    # in input order; disjoint boxes are all kept, in that order
    vals = [0.5, float("nan"), 0.9, float("nan"), 0.1, float("inf"), -float("inf"), 0.5, 0.9]
    boxes = ember.tensor([[3.0 * i, 0, 3 * i + 2, 2] for i in range(len(vals))])
    want = torch.tensor(vals).sort(stable=True, descending=True)[1].tolist()
    assert ops.nms(boxes, ember.tensor(vals), 0.5).tolist() == want
    idxs = ember.tensor([0, 1, 0, 1, 0, 1, 0, 1, 0])
    assert ops.batched_nms(boxes, ember.tensor(vals), idxs, 0.5).tolist() == want


def test_roi_ops_with_inverted_boxes():
    # an inverted box has a negative adaptive sample grid: no samples, so 0 (roi_align
    # divides by max(count, 1)); ps_roi_align divides by the count itself (0 / 0 is NaN)
    x = ember.rand(1, 4, 8, 8)
    boxes = ember.tensor([[0, 6.0, 6, 2, 2], [0, 5, 1, 4.5, 6]])
    assert ops.roi_align(x, boxes, 2, aligned=True).abs().sum().item() == 0
    out = ops.ps_roi_align(x, boxes, 2)
    assert out[0].abs().sum().item() == 0 and bool(out[1].isnan().all())
    assert ops.roi_align(x, boxes, 2, sampling_ratio=2, aligned=True).shape == (2, 4, 2, 2)

"""torch.utils.tensorboard: ember writes TensorBoard's event files itself.

PyTorch's writer needs the ``tensorboard`` package, which CI does not install, so the
expected bytes below were captured once from PyTorch 2.14.1's ``SummaryWriter`` with
tensorboard 2.21 (``writer.add_...`` with the arguments in each test, fixed ``walltime``,
each record's payload read back with TensorBoard's ``RawEventFileLoader`` and printed in
hex). Images are checked by decoding the PNG, not by its bytes (zlib versions differ).
"""
import glob
import os
import struct

import numpy as np
import pytest
import torch

import ember
from ember.utils.tensorboard import SummaryWriter
from ember.utils.tensorboard import _proto as P
from ember.utils.tensorboard.writer import read_events

GOLDEN = [
    "09000000000000594010032a130a110a0a4c6f73732f747261696e150000003f",
    "09000000000000f83f2a0d0a0b0a047a65726f1500000000",
    "09000000000000004010fbffffffffffffffff012a0c0a0a0a036e656715000010c0",
    "09000000000000004010012a1d0a1b0a026e73420808012a040000a03f4a0b0a090a077363616c617273",
    ("09000000000000004010012a210a1f0a026e64420c080232089a9999999999b93f4a0b0a090a077363616c61"
     "7273"),
    ("09000000000000084010022a380a360a116e6f74652f746578745f73756d6d61727942170807120412020801"
     "420d6869202a74686572652a20c3bc4a080a060a0474657874"),
    ("09000000000000104010042aaa010aa7010a01682aa10109000000000000f03f11000000000000f83f190000"
     "000000003440210000000000003940295f43790de5b53f40323808996919155aed3f2b14facdbe24f03f6349"
     "c61505c2f13fba508d319f88f33f333fe81caf7cf53f8545cc9fc0a2f73f794cfae2d3fff93f3a3800000000"
     "00000000000000000000f03f0000000000001040000000000000104000000000000014400000000000001440"
     "000000000000f03f"),
    ("09000000000000104010042ab2010aaf010a02686d2aa8011100000000008048401900000000000049402100"
     "00000000249340290000000020bde340324000000000000000006766666666661d406766666666662d40cdcc"
     "cccccc0c36406766666666663d400000000000604240cdcccccccc0c464000000000008048403a4000000000"
     "0000000000000000000020400000000000001c4000000000000020400000000000001c400000000000001c40"
     "00000000000020400000000000001440"),
    ("0900000000000014402a610a5f0a037261772a58110000000000001440190000000000002440210000000000"
     "0034402900000000000049403218000000000000f03f000000000000004000000000000014403a1800000000"
     "0000084000000000000008400000000000001040"),
    ("0900000000000018402aa3010aa0010a0270724286010801120812020806120208052a780000a0400000a040"
     "00008040000000400000000000004040000000400000803f0000803f00000000000000000000803f00000040"
     "000000400000404000000000000000000000803f000040400000a0400000203f6edb363fcdcc4c3fabaa2a3f"
     "000000000000803f0000803fcdcc4c3fcdcccc3e000000004a110a0f0a0970725f63757276657312021005"),
]
GOLDEN_HPARAMS = [
    ("099fb63a86ebc4da4110042a5b0a590a145f68706172616d735f2f6578706572696d656e744a410a3f0a0768"
     "706172616d731234123222060a026c72200322180a036f707420012a0f0a051a037367640a061a046164616d"
     "2a0e0a0c120a68706172616d2f616363"),
    ("09f6b63a86ebc4da4110042a500a4e0a1c5f68706172616d735f2f73657373696f6e5f73746172745f696e66"
     "6f4a2e0a2c0a0768706172616d7312211a1f0a0f0a026c721209119a9999999999b93f0a0c0a036f70741205"
     "1a03736764"),
    ("0913b73a86ebc4da4110042a310a2f0a1a5f68706172616d735f2f73657373696f6e5f656e645f696e666f4a"
     "110a0f0a0768706172616d73120422020801"),
    "098ab73a86ebc4da4110042a130a110a0a68706172616d2f616363156666663f",
]


def _events(log_dir):
    files = sorted(glob.glob(os.path.join(log_dir, "events.out.tfevents.*")))
    assert len(files) == 1, files
    return read_events(files[0])


def test_crc32c_check_value_and_record_framing():
    assert P.crc32c(b"123456789") == 0xE3069283  # the standard CRC-32C check value
    rec = P.record(b"abc")
    assert P.read_records(rec + P.record(b"")) == [b"abc", b""]
    broken = rec[:-1] + bytes([rec[-1] ^ 1])
    with pytest.raises(ValueError, match="corrupt record payload"):
        P.read_records(broken)


def test_events_match_pytorchs_bytes(tmp_path):
    w = SummaryWriter(str(tmp_path), purge_step=7)
    w.add_scalar("Loss/train", 0.5, 3, walltime=100.0)
    w.add_scalar("zero", 0.0, 0, walltime=1.5)
    w.add_scalar("neg", ember.tensor(-2.25), -5, walltime=2.0)
    w.add_scalar("ns", 1.25, 1, walltime=2.0, new_style=True)
    w.add_scalar("nd", 0.1, 1, walltime=2.0, new_style=True, double_precision=True)
    w.add_text("note", "hi *there* ü", 2, walltime=3.0)
    w.add_histogram("h", np.linspace(1, 1.5, 20), 4, walltime=4.0)
    w.add_histogram("hm", np.arange(50.0), 4, walltime=4.0, bins=20, max_bins=6)
    w.add_histogram_raw("raw", 0.0, 5.0, 10, 20.0, 50.0, [1.0, 2.0, 5.0], [3, 3, 4], 0,
                        walltime=5.0)
    lab = ember.tensor([0, 1, 1, 0, 1, 0, 1, 1])
    pred = ember.tensor([0.1, 0.9, 0.6, 0.4, 0.3, 0.8, 0.7, 0.99])
    w.add_pr_curve("pr", lab, pred, 0, num_thresholds=5, walltime=6.0)
    w.close()
    events = _events(str(tmp_path))
    header, purge, start = (P.decode(e) for e in events[:3])
    assert (3, 2, b"brain.Event:2") in header
    assert [(n, v) for n, _, v in purge[1:]] == [(2, 7), (3, b"brain.Event:2")]
    assert [(n, v) for n, _, v in start[1:]] == [(2, 7), (7, b"\x08\x01")]  # SessionLog START
    assert [e.hex() for e in events[3:]] == [g if isinstance(g, str) else "".join(g)
                                            for g in GOLDEN]


def test_hparams_match_pytorchs_bytes(tmp_path):
    with SummaryWriter(str(tmp_path)) as w:
        w.add_hparams({"lr": 0.1, "opt": "sgd"}, {"hparam/acc": 0.9},
                      hparam_domain_discrete={"opt": ["sgd", "adam"]}, run_name="hp",
                      global_step=4)
    events = _events(str(tmp_path / "hp"))[1:]
    # the wall time (first field: key 0x09 and 8 bytes) is the clock's: compare the rest
    assert [e[9:].hex() for e in events] == [g[18:] for g in GOLDEN_HPARAMS]
    assert os.listdir(tmp_path / "hp") and len(os.listdir(tmp_path)) == 2


def test_scalars_go_to_one_run_per_key(tmp_path):
    with SummaryWriter(str(tmp_path)) as w:
        w.add_scalars("run/14h", {"xsinx": 1.5, "xcosx": -2.0}, 3, walltime=3.0)
        w.add_scalars("run/14h", {"xsinx": 2.5}, 4, walltime=3.0)
    assert sorted(os.listdir(tmp_path))[-2:] == ["run_14h_xcosx", "run_14h_xsinx"]
    events = _events(str(tmp_path / "run_14h_xsinx"))[1:]
    values = [struct.unpack("<f", e[-4:])[0] for e in events]
    assert values == [1.5, 2.5]
    assert all(b"run/14h" in e for e in events)


def test_images_decode_to_the_scaled_pixels(tmp_path):
    Image = pytest.importorskip("PIL.Image")
    import io
    torch.manual_seed(0)
    chw = torch.rand(3, 8, 10)
    batch = torch.rand(11, 1, 6, 5)
    with SummaryWriter(str(tmp_path)) as w:
        w.add_image("img", ember.from_numpy(chw.numpy()), 0, walltime=6.0)
        w.add_image("hw", chw[0].numpy(), 0, walltime=6.0, dataformats="HW")
        w.add_images("imgs", ember.from_numpy(batch.numpy()), 1, walltime=6.0)
        with pytest.raises(AssertionError, match="input format are different"):
            w.add_image("bad", torch.rand(3, 4).numpy(), 0)
    images = []
    for e in _events(str(tmp_path))[1:]:
        summary = dict((n, v) for n, _, v in P.decode(e))[5]
        value = dict((n, v) for n, _, v in P.decode(dict(
            (n, v) for n, _, v in P.decode(summary))[1]))
        image = {n: v for n, _, v in P.decode(value[4])}
        pixels = np.asarray(Image.open(io.BytesIO(image[4])))
        assert (image[1], image[2], image[3]) == pixels.shape
        images.append(pixels)

    def to_u8(a):  # PyTorch's writer: float images are [0, 1], scaled and truncated
        return (a.astype(np.float32) * 255).clip(0, 255).astype(np.uint8)
    np.testing.assert_array_equal(images[0], to_u8(chw.numpy().transpose(1, 2, 0)))
    np.testing.assert_array_equal(images[1], to_u8(np.stack([chw[0].numpy()] * 3, 2)))
    grid = np.zeros((3, 12, 40), np.float32)  # 8 a row, tiled row by row, grey to RGB
    for i in range(11):
        y, x = divmod(i, 8)
        grid[:, y * 6:(y + 1) * 6, x * 5:(x + 1) * 5] = batch[i].numpy()
    np.testing.assert_array_equal(images[2], to_u8(grid.transpose(1, 2, 0)))


def test_embedding_files_match_pytorchs(tmp_path):
    pytest.importorskip("PIL.Image")
    with SummaryWriter(str(tmp_path)) as w:
        w.add_embedding(ember.tensor([[0.5, -1.25], [3.0, 0.1]]), metadata=["a", 7],
                        label_img=ember.zeros(2, 1, 3, 3), global_step=3, tag="my/tag")
        w.add_embedding(np.array([[1.0], [2.0]]), metadata=[[1, "x"], [2, "y"]],
                        metadata_header=["id", "name"])
        with pytest.raises(AssertionError, match="#labels should equal"):
            w.add_embedding(np.ones((3, 2)), metadata=["a"], global_step=9)

    def read(name):
        return (tmp_path / name).read_text()
    assert read("projector_config.pbtxt") == (
        'embeddings {\n  tensor_name: "my/tag:00003"\n'
        '  metadata_path: "00003/my%2ftag/metadata.tsv"\n  sprite {\n'
        '    image_path: "00003/my%2ftag/sprite.png"\n    single_image_dim: 3\n'
        '    single_image_dim: 3\n  }\n  tensor_path: "00003/my%2ftag/tensors.tsv"\n}\n'
        'embeddings {\n  tensor_name: "default:00000"\n'
        '  metadata_path: "00000/default/metadata.tsv"\n'
        '  tensor_path: "00000/default/tensors.tsv"\n}\n')
    assert read("00003/my%2ftag/tensors.tsv") == "0.5\t-1.25\n3.0\t0.10000000149011612\n"
    assert read("00003/my%2ftag/metadata.tsv") == "a\n7\n"
    assert read("00000/default/metadata.tsv") == "id\tname\n1\tx\n2\ty\n"
    assert read("00000/default/tensors.tsv") == "1.0\n2.0\n"
    assert (tmp_path / "00003/my%2ftag/sprite.png").exists()


def test_graph_lists_module_calls_wired_through_functional_ops(tmp_path):
    nn, F = ember.nn, ember.nn.functional

    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.conv = nn.Conv2d(1, 2, 3)
            self.pool = nn.MaxPool2d(2)
            self.fc = nn.Sequential(nn.Linear(2 * 3 * 3, 4), nn.ReLU())

        def forward(self, x):
            x = self.pool(F.relu(self.conv(x)))
            return self.fc(x.flatten(1)) * 2

    with SummaryWriter(str(tmp_path)) as w:
        w.add_graph(Net(), ember.rand(5, 1, 8, 8))
    graph = dict((n, v) for n, _, v in P.decode(_events(str(tmp_path))[1]))[4]
    nodes = []
    for n, _, v in P.decode(graph):
        if n == 1:
            fields = P.decode(v)
            nodes.append((fields[0][2].decode(), fields[1][2].decode(),
                          [x.decode() for k, _, x in fields if k == 3]))
    assert nodes == [
        ("input/input.0", "IO Node", []),
        ("Net/Conv2d[conv]", "Conv2d", ["input/input.0"]),
        ("Net/MaxPool2d[pool]", "MaxPool2d", ["Net/Conv2d[conv]"]),
        ("Net/Sequential[fc]/Linear[0]", "Linear", ["Net/MaxPool2d[pool]"]),
        ("Net/Sequential[fc]/ReLU[1]", "ReLU", ["Net/Sequential[fc]/Linear[0]"]),
        ("output/output.0", "IO Node", ["Net/Sequential[fc]/ReLU[1]"]),
    ]


def test_errors_and_lifetime(tmp_path):
    w = SummaryWriter(str(tmp_path), max_queue=3)
    with pytest.raises(AssertionError, match="one element"):
        w.add_scalar("x", ember.ones(2))
    with pytest.raises(NotImplementedError, match="numpy array or torch tensor"):
        w.add_scalar("x", [1.0])
    with pytest.raises(ValueError, match="no element"):
        w.add_histogram("e", np.array([]))
    with pytest.raises(TypeError, match="should be dictionary"):
        w.add_hparams([1], {})
    with pytest.raises(ValueError, match="one of int, float, str, bool"):
        w.add_hparams({"a": [1]}, {})
    path = glob.glob(str(tmp_path / "events*"))[0]
    w.add_scalar("a", 1.0, 0)
    w.add_scalar("a", 2.0, 1)
    assert len(read_events(path)) == 1  # queued, not yet written
    w.add_scalar("a", 3.0, 2)
    assert len(read_events(path)) == 4  # the third fills the queue
    w.add_scalar("a", 4.0, 3)
    w.flush()
    assert len(read_events(path)) == 5
    w.close()
    w.close()  # a second close does nothing
    w.add_scalar("a", 5.0, 4)  # writing after close opens a new file, as PyTorch's does
    w.close()
    assert len(glob.glob(str(tmp_path / "events*"))) == 2


def test_default_log_dir(tmp_path, monkeypatch):
    import socket
    monkeypatch.chdir(tmp_path)
    w = SummaryWriter(comment="_lr0.1")
    w.close()
    (run,) = os.listdir(tmp_path / "runs")
    assert run.endswith("_" + socket.gethostname() + "_lr0.1") and w.get_logdir() == \
        os.path.join("runs", run)


def test_pytorch_script_runs_under_ember_run(tmp_path):
    import subprocess
    import sys
    script = tmp_path / "s.py"
    script.write_text(
        "import torch\nfrom torch.utils.tensorboard import SummaryWriter\n"
        "with SummaryWriter(r'%s') as w:\n"
        "    for i in range(3):\n        w.add_scalar('loss', torch.tensor(1.0 / (i + 1)), i)\n"
        "print(type(w).__module__)\n" % (tmp_path / "runs"))
    out = subprocess.run([sys.executable, "-m", "ember.cli", "run", str(script)],
                         capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "torch.utils.tensorboard.writer"
    events = _events(str(tmp_path / "runs"))
    assert [struct.unpack("<f", e[-4:])[0] for e in events[1:]] == [1.0, 0.5, np.float32(1 / 3)]

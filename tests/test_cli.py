"""``ember run`` runs unmodified PyTorch scripts; missing APIs are named, not hidden."""
import os
import subprocess
import sys
import textwrap

import pytest

import ember


def run(tmp_path, body, *args):
    script = tmp_path / "script.py"
    script.write_text(textwrap.dedent(body))
    return subprocess.run([sys.executable, "-m", "ember.cli", "run", str(script), *args],
                          capture_output=True, text=True, timeout=120, cwd=tmp_path,
                          env=dict(os.environ, PYTHONPATH=os.pathsep.join(sys.path)))


def test_run_resolves_torch_and_passes_arguments(tmp_path):
    p = run(tmp_path, """
        import sys
        import torch
        import torch.nn.functional as F
        from torch import nn
        from torch.utils.data import DataLoader, TensorDataset
        torch.manual_seed(0)
        print(sys.argv[1:], torch.__name__, type(nn.Linear(2, 3)))
        print(F.relu(torch.tensor([-1.0, 2.0])), len(DataLoader(TensorDataset(torch.ones(4)))))
        """, "--lr", "0.1", "x")
    assert p.returncode == 0, p.stderr
    assert p.stdout.splitlines() == [
        "['--lr', '0.1', 'x'] ember <class 'torch.nn.modules.linear.Linear'>",
        "tensor([0., 2.]) 4"]


def test_missing_api_is_named(tmp_path):
    p = run(tmp_path, """
        import torch
        torch.nested.nested_tensor([torch.ones(4)])
        """)
    assert p.returncode != 0
    assert "torch.nested is not supported by ember" in p.stderr
    p = run(tmp_path, "import torch.onnx\n")
    assert "torch.onnx is not supported by ember" in p.stderr


def test_missing_names_are_not_implemented_but_probe_safely():
    with pytest.raises(NotImplementedError, match="torch.nested is not supported by ember"):
        ember.nested  # noqa: B018
    with pytest.raises(NotImplementedError, match="torch.Tensor.q_scale is not supported"):
        ember.ones(2).q_scale()
    with pytest.raises(NotImplementedError,
                       match="torch.nn.functional.conv_tbc"):
        ember.nn.functional.conv_tbc  # noqa: B018
    assert not hasattr(ember, "nested") and not hasattr(ember.ones(1), "q_scale")
    assert getattr(ember.nn, "qat", None) is None


def test_missing_script(tmp_path, capsys):
    # (in this process: the command refuses before it installs anything, and a fresh
    # interpreter cost a second; the tests above run ``python -m ember.cli run``)
    from ember import cli

    assert cli.main(["run", str(tmp_path / "nope.py")]) == 2
    assert "no such script" in capsys.readouterr().err


def test_run_is_like_python_and_spawned_workers_get_ember(tmp_path):
    """``ember run`` gives the script what ``python script.py`` does (``__main__``, an absolute
    ``__file__``, ``sys.argv[0]`` as given, a traceback that starts at the script), and
    DataLoader workers started by spawn import torch as ember too."""
    body = """
        import os, sys
        import torch
        from torch.utils.data import DataLoader, Dataset

        class Squares(Dataset):
            def __len__(self):
                return 4

            def __getitem__(self, i):
                return torch.tensor([float(i)]) ** 2

        if __name__ == "__main__":
            print(sys.argv[0].endswith("script.py"), os.path.isabs(__file__), __name__)
            loader = DataLoader(Squares(), batch_size=2, num_workers=2,
                                multiprocessing_context="spawn")
            print(torch.__name__, type(torch.ones(1)), [b.view(-1).tolist() for b in loader])
            raise ValueError("boom")
        """
    p = run(tmp_path, body)
    assert p.returncode == 1, p.stderr
    assert p.stdout.splitlines() == ["True True __main__",
                                     "ember <class 'torch.Tensor'> [[0.0, 1.0], [4.0, 9.0]]"]
    lines = p.stderr.strip().splitlines()
    start = lines.index("Traceback (most recent call last):")
    assert lines[start + 1].startswith('  File "') and "script.py" in lines[start + 1]
    # (multiprocessing's resource tracker may add its own lines at exit)
    assert "ValueError: boom" in lines[start:]


def test_classes_print_their_pytorch_names_under_run(tmp_path):
    """A script that believes it runs on PyTorch sees PyTorch's class names, and the renamed
    classes still pickle (plain pickle, whole-model checkpoints)."""
    p = run(tmp_path, """
        import pickle
        import torch
        import torchvision.transforms as T
        from torch import nn

        class Twice(torch.autograd.Function):
            @staticmethod
            def forward(ctx, x):
                return x * 2

            @staticmethod
            def backward(ctx, g):
                return g * 2

        x = torch.ones(2, requires_grad=True)
        y = Twice.apply(x)
        m = nn.Sequential(nn.Linear(2, 3), nn.ReLU())
        print(type(x), type(x.dtype), type(x.device), type(x.shape))
        print(type(m), type(m[0].weight), type(torch.optim.SGD(m.parameters(), lr=0.1)))
        print(type((x * 2).grad_fn), type(y.grad_fn), type(T.ToTensor()))
        print(torch.typename(m), torch.typename(x))
        print(pickle.loads(pickle.dumps(m))[0], type(pickle.loads(pickle.dumps(T.ToTensor()))))
        torch.save(m, "whole.pt")
        print(type(torch.load("whole.pt", weights_only=False)))
        """)
    assert p.returncode == 0, p.stderr
    assert p.stdout.splitlines() == [
        "<class 'torch.Tensor'> <class 'torch.dtype'> <class 'torch.device'> "
        "<class 'torch.Size'>",
        "<class 'torch.nn.modules.container.Sequential'> "
        "<class 'torch.nn.parameter.Parameter'> <class 'torch.optim.sgd.SGD'>",
        "<class 'MulBackward0'> <class 'torch.autograd.function.TwiceBackward'> "
        "<class 'torchvision.transforms.transforms.ToTensor'>",
        "torch.nn.modules.container.Sequential torch.FloatTensor",
        "Linear(in_features=2, out_features=3, bias=True) "
        "<class 'torchvision.transforms.transforms.ToTensor'>",
        "<class 'torch.nn.modules.container.Sequential'>"]


def test_whole_model_saved_under_run_loads_in_pytorch(tmp_path):
    """Classes renamed for printing still pickle under PyTorch's public names, whichever
    ember module defines them (Flatten, Upsample, InstanceNorm, LPPool, ...)."""
    torch = pytest.importorskip("torch")
    p = run(tmp_path, """
        import torch
        from torch import nn
        m = nn.Sequential(nn.Conv2d(1, 2, 3), nn.InstanceNorm2d(2), nn.Upsample(scale_factor=2),
                          nn.LPPool2d(2, 2), nn.Flatten(), nn.LazyLinear(3), nn.RReLU())
        x = torch.linspace(-1, 1, 64).view(1, 1, 8, 8) ** 2
        m(x)  # (the lazy layer takes its shape)
        print(m.eval()(x).sum().item())
        torch.save(m, "whole.pt")
        """)
    assert p.returncode == 0, p.stderr
    m = torch.load(tmp_path / "whole.pt", weights_only=False)
    x = torch.linspace(-1, 1, 64).view(1, 1, 8, 8) ** 2
    assert m(x).sum().item() == pytest.approx(float(p.stdout), rel=1e-4)
    assert type(m[4]) is torch.nn.Flatten and type(m[5]) is torch.nn.Linear


def test_classes_kept_elsewhere_print_pytorchs_home(tmp_path):
    """A class ember defines in another module than PyTorch does prints PyTorch's module,
    which resolves under run (plain pickle round-trips it)."""
    p = run(tmp_path, """
        import pickle
        import torch
        from torch import nn
        import torch.nn.modules.flatten as fl
        for m in (nn.Flatten(), nn.InstanceNorm2d(2), nn.Upsample(scale_factor=2),
                  nn.LPPool2d(2, 2), nn.RReLU(), nn.LazyLinear(2), nn.LazyConv2d(2, 3)):
            print(type(m), type(pickle.loads(pickle.dumps(m))) is type(m))
        print(fl.Flatten is nn.Flatten, torch.autograd.Variable)
        """)
    assert p.returncode == 0, p.stderr
    assert p.stdout.splitlines() == [
        "<class 'torch.nn.modules.flatten.Flatten'> True",
        "<class 'torch.nn.modules.instancenorm.InstanceNorm2d'> True",
        "<class 'torch.nn.modules.upsampling.Upsample'> True",
        "<class 'torch.nn.modules.pooling.LPPool2d'> True",
        "<class 'torch.nn.modules.activation.RReLU'> True",
        "<class 'torch.nn.modules.linear.LazyLinear'> True",
        "<class 'torch.nn.modules.conv.LazyConv2d'> True",
        "True <class 'torch.autograd.variable.Variable'>"]

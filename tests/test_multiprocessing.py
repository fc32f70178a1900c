"""``torch.multiprocessing``: Hogwild training through shared memory, ``spawn``'s error
reports, and the sharing-strategy switches, as PyTorch's."""
import os
import subprocess
import sys
import textwrap

import pytest

import ember
import ember.multiprocessing as mp
from ember import nn

torch = pytest.importorskip("torch")


def _train(rank, model):
    ember.manual_seed(rank)
    opt = ember.optim.SGD(model.parameters(), lr=0.1)
    for _ in range(5):
        x = ember.randn(8, 4)
        opt.zero_grad()
        nn.functional.mse_loss(model(x), x.sum(1, keepdim=True)).backward()
        opt.step()


def test_forked_processes_train_shared_parameters():
    ember.manual_seed(0)
    model = nn.Linear(4, 1)
    before = model.weight.detach().clone()
    assert not model.weight.is_shared()
    assert model.share_memory() is model and model.weight.is_shared() and model.bias.is_shared()
    ctx = mp.get_context("fork")
    procs = [ctx.Process(target=_train, args=(r, model)) for r in range(2)]
    for p in procs:
        p.start()
    for p in procs:
        p.join()
    assert all(p.exitcode == 0 for p in procs)
    assert not ember.equal(before, model.weight)  # the children's steps reached the parent
    # without shared memory the parent's copy stays as it was
    plain = nn.Linear(4, 1)
    kept = plain.weight.detach().clone()
    p = ctx.Process(target=_train, args=(0, plain))
    p.start()
    p.join()
    assert ember.equal(kept, plain.weight)


def _raise_in_one(i, value):
    if i == 1:
        raise ValueError(f"boom {value}")


def _exit_with(i, code):
    sys.exit(code if i == 0 else 0)


def test_start_processes_reports_the_failure_as_pytorch():
    with pytest.raises(mp.ProcessRaisedException) as info:
        mp.start_processes(_raise_in_one, args=(7,), nprocs=2, start_method="fork")
    err = info.value
    assert isinstance(err, mp.ProcessException) and err.error_index == 1 and err.error_pid > 0
    text = str(err)
    assert text.startswith("\n\n-- Process 1 terminated with the following error:\nTraceback")
    assert text.rstrip().endswith("ValueError: boom 7")
    with pytest.raises(mp.ProcessExitedException, match="^process 0 terminated with exit "
                                                         "code 3$") as info:
        mp.start_processes(_exit_with, args=(3,), nprocs=2, start_method="fork")
    assert info.value.exit_code == 3 and info.value.error_index == 0
    assert mp.start_processes(_exit_with, args=(0,), nprocs=2, start_method="fork") is None
    ctx = mp.start_processes(_exit_with, args=(0,), nprocs=1, start_method="fork", join=False)
    assert isinstance(ctx, mp.ProcessContext) and len(ctx.pids()) == 1
    while not ctx.join():
        pass


def test_sharing_strategies_as_pytorch():
    for M in (mp, torch.multiprocessing):
        assert M.get_sharing_strategy() == "file_descriptor"
        assert M.get_all_sharing_strategies() == {"file_descriptor", "file_system"}
        with pytest.raises(AssertionError, match="invalid sharing strategy 'x'"):
            M.set_sharing_strategy("x")
    assert {"Process", "Queue", "Pool", "get_context", "set_start_method", "spawn",
            "cpu_count"} <= set(dir(mp))


def test_spawn_under_ember_run(tmp_path):
    script = tmp_path / "script.py"
    script.write_text(textwrap.dedent("""
        import torch
        import torch.multiprocessing as mp

        def work(i, x):
            if i == 1:
                raise KeyError(x.sum().item())

        if __name__ == "__main__":
            try:
                mp.spawn(work, args=(torch.ones(3),), nprocs=2)
            except mp.ProcessRaisedException as e:
                print(e.error_index, str(e).strip().splitlines()[-1])
        """))
    p = subprocess.run([sys.executable, "-m", "ember.cli", "run", str(script)], cwd=tmp_path,
                       capture_output=True, text=True, timeout=120,
                       env=dict(os.environ, PYTHONPATH=os.pathsep.join(sys.path)))
    assert p.returncode == 0, p.stderr
    assert p.stdout.split() == ["1", "KeyError:", "3.0"]

"""Fixes from the lead's review of the 2026-12-07 round."""
import subprocess
import sys
import textwrap


def test_torchvision_op_modules_keep_the_functions(tmp_path):
    # torchvision 0.29.1 has a file per op; importing it by name leaves the package's function
    # bound (the package imported the file first): its output, recorded, is the last line
    script = tmp_path / "s.py"
    script.write_text(textwrap.dedent('''
        import torchvision.ops
        import torchvision.ops.stochastic_depth
        from torchvision.ops.stochastic_depth import StochasticDepth
        from torchvision.ops.roi_align import roi_align, RoIAlign
        from torchvision.ops.roi_pool import roi_pool, RoIPool
        from torchvision.ops.ps_roi_align import ps_roi_align
        from torchvision.ops.ps_roi_pool import ps_roi_pool
        from torchvision.ops.giou_loss import generalized_box_iou_loss
        from torchvision.ops.ciou_loss import complete_box_iou_loss
        from torchvision.ops.diou_loss import distance_box_iou_loss
        import torchvision.ops.roi_align as m
        print(callable(torchvision.ops.stochastic_depth), type(torchvision.ops.roi_align).__name__,
              type(m).__name__, m.__name__, roi_align is torchvision.ops.roi_align)
    '''))
    run = ("import sys, runpy, ember._compat as c; c.install(); "
           "runpy.run_path(sys.argv[1], run_name='__main__')")
    p = subprocess.run([sys.executable, "-c", run, str(script)], capture_output=True, text=True,
                       timeout=120)
    assert p.returncode == 0, p.stderr
    assert p.stdout == "True function function roi_align True\n"

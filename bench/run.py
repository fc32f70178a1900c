"""Every benchmark, one after the other."""
import os
import runpy

HERE = os.path.dirname(os.path.abspath(__file__))
for name in ("tensor_ops.py", "nn_model.py", "conv.py", "training.py"):
    print(f"== {name}")
    runpy.run_path(os.path.join(HERE, name), run_name="__main__")

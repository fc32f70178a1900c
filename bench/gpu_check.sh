#!/usr/bin/env bash
# The one prepared run for a GPU machine that already has CuPy, PyTorch and NumPy: the real-GPU
# test cases, the training benchmark against PyTorch CUDA, then the probe of where a step's time
# goes (bench/gpu_probe.py).  Writes under $OUT (or
# /tmp/ember-gpu).  The seed's text, when copied to .devseed/, lets the seed test run there.
set -u
cd "$(dirname "$0")/.."
export PYTHONPATH="$PWD/src" PYTHONUNBUFFERED=1
out="${OUT:-/tmp/ember-gpu}"
mkdir -p "$out"
if ls .devseed/*.txt >/dev/null 2>&1; then
  mkdir -p ../shared/seeds && cp .devseed/*.txt ../shared/seeds/
fi
nvidia-smi --query-gpu=name,driver_version --format=csv,noheader > "$out/gpu.txt" 2>&1
timeout "${TEST_SECONDS:-200}" python3 -m pytest tests/test_cuda.py -k "not sim" -q \
  -p no:cacheprovider -o addopts= -rfE --tb=short 2>&1 | tee "$out/tests.txt" | tail -15
timeout "${BENCH_SECONDS:-240}" python3 bench/gpu.py --json "$out/bench.json" --repeats 5 2>&1 \
  | tee "$out/bench.txt"
timeout "${PROBE_SECONDS:-150}" python3 bench/gpu_probe.py --json "$out/probe.json" 2>&1 \
  | tee "$out/probe.txt"

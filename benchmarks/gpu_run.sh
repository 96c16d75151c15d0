#!/usr/bin/env bash
# Runs benchmarks/gpu.py on a GPU machine without network access, in two
# steps.
#
# 1. Once, in a checkout with network access: download the wheels the GPU
#    machine lacks (it is expected to have JAX, PyTorch, NumPy, h5py, rich,
#    ml-dtypes, absl-py; not Keras or TensorFlow) into .whl/, which git
#    ignores:
#
#        bash benchmarks/gpu_run.sh wheels
#
# 2. On the GPU machine, from a copy of the checkout with .whl/, in a call
#    of at most 600 s:
#
#        bash benchmarks/gpu_run.sh device        # JAX, estimated ~5 min
#        bash benchmarks/gpu_run.sh device torch  # a second call, PyTorch
#
#    (`device jax torch` runs both in one call, each cut at 280 s: the
#    JAX run may not finish in its share.) Each backend's output is
#    printed and kept in $OUT/gpu-<backend>.txt ($OUT: the current folder
#    when unset); each run is cut at its share of 560 s, so the call
#    always returns.
set -u
VERSIONS="keras==3.15.1 optree==0.20.0 namex==0.1.0 keras-tuner==1.4.8
kt-legacy==1.0.5"

case "${1:-}" in
wheels)
    cd "$(git rev-parse --show-toplevel)" || exit 1
    exclude="$(git rev-parse --git-common-dir)/info/exclude"
    grep -qx '/.whl/' "$exclude" 2>/dev/null || echo '/.whl/' >>"$exclude"
    # shellcheck disable=SC2086
    python3 -m pip download --no-deps --only-binary=:all: \
        --python-version 3.12 --implementation cp \
        --platform manylinux_2_28_x86_64 --platform manylinux_2_27_x86_64 \
        --platform manylinux_2_17_x86_64 --platform manylinux2014_x86_64 \
        --platform manylinux1_x86_64 -d .whl $VERSIONS
    ls -l .whl
    ;;
device)
    shift
    backends="${*:-jax}"
    python3 -m pip install -q --no-index --no-deps --no-compile \
        --no-cache-dir --upgrade --target /tmp/site .whl/*.whl || exit 1
    export PYTHONPATH=/tmp/site PYTHONUNBUFFERED=1
    nvidia-smi --query-gpu=name,memory.used,memory.total,clocks.sm \
        --format=csv
    # 560 s of the 600: split evenly between the backends asked for.
    share=$((560 / $(echo "$backends" | wc -w)))
    status=0
    for backend in $backends; do
        set -o pipefail
        KERAS_BACKEND=$backend timeout "$share" \
            python3 benchmarks/gpu.py 2>&1 | tee "${OUT:-.}/gpu-$backend.txt"
        code=$?
        echo "gpu.py under $backend exited with $code"
        [ "$code" -ne 0 ] && status=$code
    done
    exit "$status"
    ;;
*)
    echo "usage: $0 wheels | device [jax] [torch]" >&2
    exit 2
    ;;
esac

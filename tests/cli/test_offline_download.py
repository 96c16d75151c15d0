"""`ktk ... --download` without network: one line, at once, nothing left."""

import os
import socket
import subprocess
import sys
import time

KTK = os.path.join(os.path.dirname(sys.executable), "ktk")


def test_offline_download_fails_fast_and_leaves_data_dir_as_it_was(tmp_path):
    data_dir, run_dir = tmp_path / "data", tmp_path / "run"
    (data_dir / "mnist" / "3.0.1").mkdir(parents=True)  # another set's
    (data_dir / "mnist" / "3.0.1" / "dataset_info.json").write_text("{}")
    env = dict(os.environ)
    env.pop("TF_CPP_MIN_LOG_LEVEL", None)  # what a user has: nothing set
    env.pop("NO_PROXY", None)
    env.pop("no_proxy", None)
    with socket.socket() as closed:  # no network: a proxy nobody answers
        closed.bind(("127.0.0.1", 0))
        proxy = f"http://127.0.0.1:{closed.getsockname()[1]}"
        for name in ("HTTPS_PROXY", "HTTP_PROXY", "https_proxy", "http_proxy"):
            env[name] = proxy
        start = time.monotonic()
        result = subprocess.run(
            [KTK, "train", "--dataset", "cifar10", "--download"]
            + ["--augment", "cifar10_mixup", "--data-dir", str(data_dir)]
            + ["--output-dir", str(run_dir)],
            capture_output=True,
            text=True,
            timeout=240,
            env=env,
        )
        elapsed = time.monotonic() - start
    # tfds alone retries for 3.5 minutes; this is TensorFlow's import and
    # one refused connection (about 6 s here), with room for a busy machine.
    assert elapsed < 60
    assert result.returncode == 1, result.stderr  # the work failed, not 2
    lines = result.stderr.strip().splitlines()
    assert lines[-1] == (
        f"ktk train: error: Could not download the tensorflow-datasets set "
        f"'cifar10' into '{data_dir}' (`--data-dir`): https://www.cs.toronto"
        f".edu is unreachable (ProxyError). Run it where the network is "
        f"reachable, pass `--data-dir` with a folder that holds the set, or "
        f"use --dataset digits or mnist1d (offline)."
    )
    for noise in ("Retrying", "Dl Completed", "Variant folder", "Traceback"):
        assert noise not in result.stderr
    assert sorted(os.listdir(data_dir)) == ["mnist"]
    assert not run_dir.exists()

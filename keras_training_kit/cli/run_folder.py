"""The one check that keeps a resumed run folder on the same experiment."""

import json
import os

from keras_training_kit import run_files
from keras_training_kit.cli.errors import UsageError


def check_config(
    folder: str, config: dict, *, hint: str, added: dict | None = None
) -> bool:
    """Refuses a folder whose `config.json` has other settings; writes nothing.

    Args:
        folder: str, the run or search folder (it may not exist yet).
        config: dict of the settings that define the experiment.
        hint: str, what the user can do instead, ending the error message.
        added: dict or `None`, settings that a `config.json` written by an
            earlier build may lack, with the value that reproduces what that
            build did: a `config.json`
            written before a setting existed holds that value. Defaults to
            `None`.

    Returns:
        Whether the folder already holds a config (the same one).

    Raises:
        ValueError: when the folder holds a config with other values, naming
            each differing setting with its saved and given value.
    """
    path = os.path.join(folder, "config.json")
    if not os.path.exists(path):
        return False
    with open(path) as f:
        saved = {**(added or {}), **json.load(f)}
    changed = {
        key: (saved.get(key), value)
        for key, value in config.items()
        if saved.get(key) != value
    }
    if changed:
        raise UsageError(
            f"The folder {folder!r} holds an experiment with other "
            f"settings (saved, given): {changed}. {hint}"
        )
    return True


def save_config(folder: str, config: dict) -> None:
    """Writes `folder/config.json` once (creating the folder).

    Called when the work is about to start, so a start that fails earlier
    leaves nothing behind; a resumed run keeps the config it started with.
    """
    os.makedirs(folder, exist_ok=True)
    path = os.path.join(folder, "config.json")
    if not os.path.exists(path):
        run_files.write_json(path, config)


def check_overwrite(folder: str, flag: str = "--overwrite") -> None:
    """Checks that `--overwrite` would delete only a run folder of `ktk`.

    A folder that does not exist, is empty or holds a `config.json` (a run
    or search folder) may be overwritten; any other folder (`.`, a home
    folder, a data folder) is refused, before any work.

    Raises:
        ValueError: naming the folder and the flag.
    """
    if not os.path.isdir(folder) or not os.listdir(folder):
        return
    if not os.path.exists(os.path.join(folder, "config.json")):
        raise UsageError(
            f"`{flag}` deletes a ktk run folder, but {folder!r} holds other "
            f"files and no config.json. Give `--output-dir` a new or a run "
            f"folder."
        )


def discard(folder: str) -> None:
    """Deletes a run folder that `check_overwrite` accepted."""
    import shutil

    check_overwrite(folder)
    if os.path.isdir(folder):
        shutil.rmtree(folder)

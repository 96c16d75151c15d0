"""The one check that keeps a resumed run folder on the same experiment."""

import json
import os

from keras_training_kit import run_files


def check_config(folder: str, config: dict, *, hint: str) -> bool:
    """Refuses a folder whose `config.json` holds other settings; writes nothing.

    Args:
        folder: str, the run or search folder (it may not exist yet).
        config: dict of the settings that define the experiment.
        hint: str, what the user can do instead, ending the error message.

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
        saved = json.load(f)
    changed = {
        key: (saved.get(key), value)
        for key, value in config.items()
        if saved.get(key) != value
    }
    if changed:
        raise ValueError(
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

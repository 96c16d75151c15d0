"""The one check that keeps a resumed run folder on the same experiment."""

import json
import os

from keras_training_kit import run_files


def check_and_save_config(folder: str, config: dict, *, hint: str) -> bool:
    """Saves `config` as `folder/config.json`, refusing a different saved one.

    Args:
        folder: str, the run or search folder (created if missing).
        config: dict of the settings that define the experiment.
        hint: str, what the user can do instead, ending the error message.

    Returns:
        Whether the folder already held a config (the same one).

    Raises:
        ValueError: when the folder holds a config with other values, naming
            each differing setting with its saved and given value.
    """
    os.makedirs(folder, exist_ok=True)
    path = os.path.join(folder, "config.json")
    existed = os.path.exists(path)
    if existed:
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
    else:
        # Written once: a resumed run keeps the config it started with.
        run_files.write_json(path, config)
    return existed

"""The version check of the compatibility modules (Keras, KerasTuner)."""

import warnings

_warned = set()


def check_tested_version(
    subject: str,
    package: str,
    version: str,
    tested_versions: tuple,
    consequence: str,
) -> bool:
    """Whether `version` is one of `tested_versions`; warns once if not.

    Args:
        subject: str, what was tested, e.g. "keras_training_kit's
            augmentation"; one warning per subject and process.
        package: str, the package's name in the message, e.g. "Keras".
        version: str, the installed version.
        tested_versions: tuple of str, version prefixes such as `"3.15"`
            (`"3.15.1"` matches, `"3.1"` does not).
        consequence: str, the sentence saying what may go wrong.

    Returns:
        Whether the version was tested.

    Example:

    >>> check_tested_version("x", "Keras", "3.15.1", ("3.15",), "")
    True
    """
    tested = any(
        version == v or version.startswith(v + ".") for v in tested_versions
    )
    if not tested and subject not in _warned:
        _warned.add(subject)
        warnings.warn(
            f"{subject} was tested with {package} "
            f"{', '.join(tested_versions)}.x; found {version}. {consequence}",
            RuntimeWarning,
            stacklevel=3,
        )
    return tested

"""tensorflow-datasets downloads that fail fast offline and clean up after.

tfds fetches each file with 10 retries and an exponential backoff (about 3.5
minutes in all) before it reports a missing network, and leaves its temporary
download folders behind when it fails. `download_and_prepare` first asks each
host of the data set's URLs for one answer, with a short timeout and no
retries, and removes what a failed download wrote.
"""

import logging
import os
import re
import shutil
import threading
import urllib.parse

logger = logging.getLogger(__name__)

# How long one host may take to answer the probe (DNS lookup included).
PROBE_TIMEOUT = 10.0

# tfds' temporary names in the downloads folder: `<file>.tmp.<uuid hex>`
# while downloading, `incomplete.<uuid hex>_<name>` while extracting and
# `<...>.todelete` while replacing an extraction.
_TEMPORARY_NAME = re.compile(
    r"\.tmp\.[0-9a-f]{32}$|^incomplete\.[0-9a-f]{32}_|\.todelete$"
)


def is_prepared(builder) -> bool:
    """Whether `builder`'s data set is prepared in its data directory.

    The test of `DatasetBuilder.is_prepared()`, without its warning
    `Variant folder ... has no dataset_info.json` for a set that is simply
    not there yet (tfds logs it for every unprepared set).
    """
    return builder.data_path.joinpath("dataset_info.json").exists()


def find_unreachable(urls, timeout: float = PROBE_TIMEOUT) -> str | None:
    """Says why a host of `urls` cannot be reached, or `None` if all answer.

    Sends one `HEAD` request to the first URL of each http(s) host, through
    the proxies of the environment (`HTTPS_PROXY`, `NO_PROXY`, ...) as tfds'
    download does, with no retries. Any HTTP answer, an error status
    included, counts as reachable. Other schemes (`ftp://`, `gs://`, ...)
    are not probed.

    Args:
        urls: iterable of str, the URLs a download will fetch.
        timeout: float, seconds each host may take to answer, name lookup
            included. Defaults to `PROBE_TIMEOUT` (10 seconds).

    Returns:
        `None`, or a one-line reason such as
        `"https://example.org is unreachable (NameResolutionError)"`.

    Example:

    >>> find_unreachable([]) is None
    True
    """
    probed = set()
    for url in urls:
        parts = urllib.parse.urlsplit(url)
        origin = f"{parts.scheme}://{parts.netloc}"
        if parts.scheme not in ("http", "https") or origin in probed:
            continue
        probed.add(origin)
        reason = _probe(url, timeout)
        if reason:
            return f"{origin} is unreachable ({reason})"
    return None


def _probe(url, timeout):
    """The reason `url` gets no HTTP answer within `timeout`, or `None`."""
    import requests

    outcome = {}

    def ask():
        try:
            requests.head(url, timeout=timeout, allow_redirects=False)
        except requests.RequestException as error:
            outcome["error"] = error
        except Exception as error:  # a probe bug must not block a download
            logger.debug("Probing %s failed unexpectedly: %r", url, error)

    # A daemon thread: a name lookup can outlast `requests`' timeout, and a
    # hung lookup must neither delay the answer nor the interpreter's exit.
    thread = threading.Thread(target=ask, name="ktk-probe", daemon=True)
    thread.start()
    thread.join(timeout)
    if thread.is_alive() or isinstance(outcome.get("error"), requests.Timeout):
        return f"no answer within {timeout:g} s"
    if "error" not in outcome:
        return None
    error = outcome["error"]
    # requests wraps urllib3's error, whose `reason` names the failed step
    # (NameResolutionError, ProxyError, NewConnectionError, SSLError, ...).
    cause = error.args[0] if error.args else error
    return type(getattr(cause, "reason", cause)).__name__


def download_and_prepare(builder) -> None:
    """Downloads and prepares `builder`'s data set, failing fast offline.

    Raises `ConnectionError` at once when a host of the data set's known
    URLs does not answer. When the download or preparation fails (or is
    interrupted), removes the temporary folders it wrote: tfds' `*.tmp.*`
    download folders and `incomplete.*` extraction folders, anything new in
    the data set's own folder, and the folders it created that are left
    empty. Completed, checksum-verified downloads are kept for the next try.
    Nothing that existed before is touched.
    """
    reason = find_unreachable(sorted(builder.url_infos or ()))
    if reason:
        raise ConnectionError(reason)
    root = os.fspath(builder.data_dir_root)
    before = _Snapshot(root, builder.name)
    try:
        builder.download_and_prepare()
    except BaseException:
        before.remove_new_partial_files()
        raise


class _Snapshot:
    """The folders a download of one data set writes, before it starts."""

    def __init__(self, root, name):
        self.root = root
        self.dataset_dir = os.path.join(root, name)
        self.downloads = os.path.join(root, "downloads")
        self.extracted = os.path.join(self.downloads, "extracted")
        # tfds downloads into `downloads/<name>/` (older versions: into
        # `downloads/`) and extracts into `downloads/extracted/`.
        self.own_downloads = os.path.join(self.downloads, name)
        self.existed = {
            folder
            for folder in (self.root, self.downloads, self.extracted)
            if os.path.isdir(folder)
        }
        self.walked = {
            folder: set(_walk(folder))
            for folder in (self.dataset_dir, self.own_downloads)
        }
        self.listed = {
            folder: set(_listdir(folder))
            for folder in (self.downloads, self.extracted)
        }

    def remove_new_partial_files(self):
        """Removes what the failed download wrote (see the caller)."""
        # Sorted, a new folder (`"."` first) goes before what it holds.
        for relative in sorted(_walk(self.dataset_dir)):
            if relative not in self.walked[self.dataset_dir]:
                _remove(os.path.join(self.dataset_dir, relative))
        for relative in sorted(_walk(self.own_downloads)):
            new = relative not in self.walked[self.own_downloads]
            if new and _TEMPORARY_NAME.search(os.path.basename(relative)):
                _remove(os.path.join(self.own_downloads, relative))
        for folder, known in self.listed.items():
            for entry in _listdir(folder):
                if entry not in known and _TEMPORARY_NAME.search(entry):
                    _remove(os.path.join(folder, entry))
        # Reverse sorted, a folder's content goes before the folder.
        for relative in sorted(_walk(self.own_downloads), reverse=True):
            if relative not in self.walked[self.own_downloads]:
                _remove_if_empty(os.path.join(self.own_downloads, relative))
        for folder in (self.extracted, self.downloads, self.root):
            if folder not in self.existed:
                _remove_if_empty(folder)


def _walk(folder):
    """Paths under `folder` relative to it (`"."` for the folder itself)."""
    if not os.path.isdir(folder):
        return
    yield "."
    for parent, folders, files in os.walk(folder):
        for entry in folders + files:
            yield os.path.relpath(os.path.join(parent, entry), folder)


def _listdir(folder):
    return os.listdir(folder) if os.path.isdir(folder) else []


def _remove_if_empty(path):
    path = os.path.normpath(path)  # not `folder/.`
    if os.path.isdir(path) and not os.listdir(path):
        os.rmdir(path)


def _remove(path):
    path = os.path.normpath(path)
    if os.path.isdir(path) and not os.path.islink(path):
        shutil.rmtree(path, ignore_errors=True)
    elif os.path.lexists(path):
        os.remove(path)

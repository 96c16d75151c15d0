"""`EventFile`: a TensorBoard event file, written without TensorFlow.

TensorBoard reads a log folder's `events.out.tfevents.*` files: TFRecord
files of `Event` protocol buffers, the first of which names the format
(`file_version="brain.Event:2"`). Each record is its length (little-endian
uint64), the masked CRC-32C of the length, the data and the masked CRC-32C
of the data. `tensorboard`'s own `EventFileWriter` writes the same file,
but importing it imports `tensorboard.summary` and its summary ops
(~30 ms on 2 CPU cores, at the first sample of a process's first `fit`),
and writes from a thread of its own.
"""

import itertools
import os
import socket
import struct
import time

# One counter per process, as TensorBoard's writer numbers its files.
_files = itertools.count()


def _crc_table():
    # CRC-32C (Castagnoli), reflected polynomial 0x82F63B78.
    table = []
    for byte in range(256):
        crc = byte
        for _ in range(8):
            crc = (crc >> 1) ^ 0x82F63B78 if crc & 1 else crc >> 1
        table.append(crc)
    return tuple(table)


_CRC_TABLE = _crc_table()


def crc32c(data: bytes) -> int:
    """The CRC-32C checksum of `data`.

    Example:

    >>> hex(crc32c(b"123456789"))
    '0xe3069283'
    """
    table = _CRC_TABLE
    crc = 0xFFFFFFFF
    for byte in data:
        crc = table[(crc ^ byte) & 0xFF] ^ (crc >> 8)
    return crc ^ 0xFFFFFFFF


def masked_crc32c(data: bytes) -> int:
    """The masked CRC-32C of TFRecord files."""
    crc = crc32c(data)
    return (((crc >> 15) | (crc << 17)) + 0xA282EAD8) & 0xFFFFFFFF


class EventFile:
    """A new TensorBoard event file in `log_dir` (created if missing).

    Events are written through Python's file buffer: on disk at `flush()`,
    at `close()` and whenever the buffer fills.

    Args:
        log_dir: str, the TensorBoard log folder.

    Attributes:
        path: str, the event file.

    Example:

    >>> import tempfile
    >>> from tensorboard.compat.proto import event_pb2
    >>> events = EventFile(tempfile.mkdtemp())
    >>> events.write(event_pb2.Event(step=1, wall_time=0.0))
    >>> events.close()
    >>> os.path.basename(events.path).startswith("events.out.tfevents.")
    True
    """

    def __init__(self, log_dir: str):
        from tensorboard.compat.proto import event_pb2

        os.makedirs(log_dir, exist_ok=True)
        name = "events.out.tfevents.%010d.%s.%s.%s" % (
            time.time(),
            socket.gethostname(),
            os.getpid(),
            next(_files),
        )
        self.path = os.path.join(log_dir, name)
        self._file = open(self.path, "wb")
        self.write(
            event_pb2.Event(wall_time=time.time(), file_version="brain.Event:2")
        )
        self.flush()

    def write(self, event):
        """Appends one `Event` protocol buffer."""
        data = event.SerializeToString()
        header = struct.pack("<Q", len(data))
        self._file.write(
            header
            + struct.pack("<I", masked_crc32c(header))
            + data
            + struct.pack("<I", masked_crc32c(data))
        )

    def flush(self):
        self._file.flush()

    def close(self):
        if not self._file.closed:
            self._file.close()

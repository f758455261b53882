"""A package file's size cap and its sha256, worked out on a thread of its own."""

from __future__ import annotations

import hashlib
import os
import threading

from jobferry.package.model import ReadLimits
from jobferry.package.refusals import MIB, refuse, size_text


class PackageHash:
    """A package file's size and sha256, worked out on a thread of its own while the read walks
    the central directory and reads the manifest (a 100,000-job package took the import's own
    thread 0.3 s to hash first). It reads with ``pread``, so it shares the open file with the
    read, and it refuses a file that grew past the cap since it was opened."""

    CHUNK = 4 * MIB
    """Read and hashed at a time, into one buffer: the thread takes the interpreter's lock
    between chunks only, each time waiting for the read to let go of it (up to 5 ms), so chunks
    are large (a new ``bytes`` each time held two at once: 16 MiB more at the peak)."""

    def __init__(self, fd: int, limits: ReadLimits) -> None:
        self._fd, self._limits = fd, limits
        self._stopped = False
        self._outcome: tuple[int, str] | BaseException = RuntimeError("the hash was stopped")
        self._thread = threading.Thread(target=self._run, name="package-hash")
        self._thread.start()

    def _run(self) -> None:
        hasher = hashlib.sha256()
        buffer = bytearray(self.CHUNK)
        chunk = memoryview(buffer)
        size = 0
        try:
            while not self._stopped:
                got = os.preadv(self._fd, [buffer], size)
                if not got:
                    self._outcome = (size, hasher.hexdigest())
                    return
                size += got
                check_package_size(size, self._limits)
                hasher.update(chunk[:got])
        except Exception as exc:  # raised where the outcome is asked for
            self._outcome = exc

    def result(self) -> tuple[int, str]:
        """(bytes hashed, sha256); raises what hashing raised."""
        self._thread.join()
        if isinstance(self._outcome, BaseException):
            raise self._outcome
        return self._outcome

    def stop(self) -> None:
        """Stop hashing (if it still is) and wait for the thread: the file may close then."""
        self._stopped = True
        self._thread.join()


def check_package_size(size: int, limits: ReadLimits) -> None:
    if size > limits.max_package_bytes:
        raise refuse(
            "size.package",
            f"the package file is {size_text(size)}, more than the "
            f"{size_text(limits.max_package_bytes)} allowed",
            "split the export into smaller packages",
            limit=limits.max_package_bytes,
        )

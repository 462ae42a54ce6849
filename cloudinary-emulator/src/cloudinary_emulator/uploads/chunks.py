"""Chunked uploads: `X-Unique-Upload-Id` + `Content-Range: bytes <start>-<end>/<total>` on ordinary upload POSTs.

Each chunk is kept on disk under `chunks/<upload id>/` until the byte ranges received cover `0..total-1` with no
gap; only then is the file assembled (in offset order, so chunks may arrive in any order) and uploaded as one.
A chunk repeating a range already received replaces it (a client retrying a chunk); a chunk that overlaps a
received one without matching it exactly is refused, as is any range that contradicts the total.
"""

import re
import shutil
import threading
from pathlib import Path

import msgspec

from cloudinary_emulator.errors import bad_request

# `total` is `-1` (or `*`) while unknown: the docs' browser example and the Node SDK send the real total on the
# last chunk only; the Python SDK sends it on every chunk [UP][PY:uploader.py:upload_large][NODE:lib/uploader.js].
_CONTENT_RANGE = re.compile(r"^bytes\s+(\d+)-(\d+)/(-1|\*|\d+)$")
_SAFE_ID = re.compile(r"^[\w.-]{1,128}$")


class ChunkRange(msgspec.Struct, frozen=True):
    """One chunk's place in the file; `total` is None while the client does not know it yet."""

    start: int
    end: int
    total: int | None


class ChunkProgress(msgspec.Struct):
    """After a chunk: the assembled file once complete, else the bytes received so far."""

    received: int
    data: bytes | None


def parse_content_range(header: str | None) -> ChunkRange:
    """`bytes 0-999/5000` (end inclusive); Cloudinary-style 400 for anything else."""
    match = _CONTENT_RANGE.match((header or "").strip())
    if match is None:
        raise bad_request(f"Invalid Content-Range header - {header or ''}")
    start, end = int(match.group(1)), int(match.group(2))
    total = None if match.group(3) in ("-1", "*") else int(match.group(3))
    if end < start or (total is not None and end >= total):
        raise bad_request(f"Invalid Content-Range header - {header}")
    return ChunkRange(start=start, end=end, total=total)


class ChunkStore:
    """Chunks of unfinished uploads, on disk, keyed by the client's unique upload id."""

    def __init__(self, root: Path, max_bytes: int) -> None:
        self.root = root / "chunks"
        self.max_bytes = max_bytes
        self._lock = threading.Lock()
        self._totals: dict[str, int] = {}

    def add(self, upload_id: str, chunk: ChunkRange, data: bytes) -> ChunkProgress:
        """Keep one chunk; when the ranges cover the whole file, return it assembled and forget the upload."""
        if not _SAFE_ID.match(upload_id):
            raise bad_request(f"Invalid X-Unique-Upload-Id header - {upload_id}")
        if len(data) != chunk.end - chunk.start + 1:
            raise bad_request(f"Chunk size {len(data)} does not match Content-Range bytes {chunk.start}-{chunk.end}")
        with self._lock:
            known = self._totals.get(upload_id)
            if chunk.total is not None:
                if known is not None and known != chunk.total:
                    raise bad_request(f"Content-Range total {chunk.total} differs from the earlier {known}")
                known = chunk.total
            size = known if known is not None else chunk.end + 1
            if size > self.max_bytes:
                self._discard(upload_id)
                raise bad_request(f"File size too large. Got {size}. Maximum is {self.max_bytes}.")
            directory = self.root / upload_id
            ranges = self._ranges(directory)
            for start, end in ranges:
                overlaps = start <= chunk.end and chunk.start <= end
                if overlaps and (start, end) != (chunk.start, chunk.end):
                    raise bad_request(
                        f"Chunk bytes {chunk.start}-{chunk.end} overlaps the received bytes {start}-{end}; "
                        "overlapping chunks of different ranges are not supported by the emulator"
                    )
                if known is not None and end >= known:
                    raise bad_request(f"Received bytes {start}-{end} lie beyond the total {known}")
            directory.mkdir(parents=True, exist_ok=True)
            # A repeated range (a retried chunk) replaces the earlier copy.
            (directory / f"{chunk.start}-{chunk.end}").write_bytes(data)
            if known is not None:
                self._totals[upload_id] = known
            ranges = sorted({*ranges, (chunk.start, chunk.end)})
            received = sum(end - start + 1 for start, end in ranges)
            if known is None or received != known:
                return ChunkProgress(received=received, data=None)
            # Non-overlapping ranges inside 0..known-1 whose sizes add up to known cover it exactly.
            assembled = b"".join((directory / f"{start}-{end}").read_bytes() for start, end in ranges)
            self._discard(upload_id)
            return ChunkProgress(received=received, data=assembled)

    def _ranges(self, directory: Path) -> list[tuple[int, int]]:
        if not directory.is_dir():
            return []
        ranges = []
        for path in directory.iterdir():
            start, _, end = path.name.partition("-")
            ranges.append((int(start), int(end)))
        return sorted(ranges)

    def _discard(self, upload_id: str) -> None:
        shutil.rmtree(self.root / upload_id, ignore_errors=True)
        self._totals.pop(upload_id, None)

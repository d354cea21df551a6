"""The embedded broker's disk: Tansu's ``s3://`` storage engine against
``localbucket``, a file-backed S3 server (a folder per bucket, a file per
object), with the three things Tansu needs that localbucket 1.2 lacks:

* **fsync.** localbucket writes a temporary file and renames it, without
  fsync: after a power cut an acknowledged record batch could be an empty
  file or missing. Here the data is fsynced before the rename and the folder
  after it (and every folder the write created), before S3 answers, and
  Tansu answers the producer only after S3 answered.
* **If-Match.** Tansu updates a partition's watermark and a group's state by
  compare-and-swap (PUT with If-Match: the ETag it read). localbucket ignores
  If-Match and overwrites, so two concurrent produces to a partition could
  both win and one would move the watermark back. Here a PUT with If-Match
  is refused with 412 unless the object's ETag is still that one (404 when
  the object is gone, as S3 does), and the check and the rename happen under
  one lock per key; If-None-Match: * is checked under the same lock.
* **GET and PUT of one key in turn.** A GET's body and ETag are one version
  (localbucket could pair the old body with a new ETag, see ``_get``).
* **Sub-second LastModified.** Listings give LastModified to the second;
  Tansu's ListOffsets by timestamp reads it, and misbehaved on records
  written within the same second. Listed here to the millisecond.

And two for speed: no Nagle delay on responses, and listings that walk only
the folder their prefix names.

Run as ``python -m hub.kafka.s3store DATA_ROOT --port PORT`` (loopback only,
no credentials checked: it is the hub's own disk, not a service)."""

from __future__ import annotations

import argparse
import bisect
import logging
import os
import tempfile
import threading
import xml.etree.ElementTree as ET
from datetime import UTC, datetime
from http import HTTPStatus
from http.server import ThreadingHTTPServer
from pathlib import Path

import localbucket
from localbucket import S3Error, etag_matches, object_etag, remember_etag, sub_element

_locks: dict[Path, threading.Lock] = {}
_locks_guard = threading.Lock()


def _lock(path: Path) -> threading.Lock:
    with _locks_guard:
        return _locks.setdefault(path, threading.Lock())


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


class _Listings:
    """Sorted (key, path) lists per folder, rebuilt after a write under it.
    A folder's generation is taken before it is walked, so a write that lands
    during the walk makes the next listing walk again."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._generation: dict[Path, int] = {}
        self._cache: dict[Path, tuple[int, list[tuple[str, Path]]]] = {}
        self._meta: dict[Path | None, tuple[str, str, str]] = {}

    def changed(self, folder: Path, path: Path | None = None) -> None:
        with self._lock:
            for f in (folder, *folder.parents):
                self._generation[f] = self._generation.get(f, 0) + 1
            self._meta.pop(path, None)

    def meta(self, path: Path) -> tuple[str, str, str]:
        """(LastModified, ETag, Size) of a listed object, computed once per version."""
        with self._lock:
            known = self._meta.get(path)
        if known is None:
            stat = path.stat()
            known = (_listing_time(stat.st_mtime), f'"{object_etag(path)}"', str(stat.st_size))
            with self._lock:
                self._meta[path] = known
        return known

    def keys(self, start: Path, bucket_dir: Path) -> list[tuple[str, Path]]:
        with self._lock:
            generation = self._generation.get(start, 0)
            cached = self._cache.get(start)
        if cached and cached[0] == generation:
            return cached[1]
        keys = []
        for directory, _, files in os.walk(start):
            for name in files:
                if not name.startswith(localbucket.TEMP_PREFIX):
                    path = Path(directory, name)
                    keys.append((path.relative_to(bucket_dir).as_posix(), path))
        # Python compares str by code point, which orders UTF-8 bytes alike (S3's order).
        keys.sort()
        with self._lock:
            self._cache[start] = (generation, keys)
        return keys


_listing = _Listings()


def _listing_time(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


class DurableHandler(localbucket.S3Handler):
    # Headers and body leave in separate writes: with Nagle's algorithm and the
    # client's delayed ACK each response then waited 40 ms on a kept-alive
    # connection, longer than the hub's fetch wait, and fetches came back empty.
    disable_nagle_algorithm = True

    def _write_object(self, bucket: str, key: str, write) -> str:
        target = self._object_path(bucket, key)
        if_match = self.headers.get("If-Match")
        if_none_match = self.headers.get("If-None-Match", "").strip() == "*"
        created = [p for p in (target.parent, *target.parent.parents)
                   if p.is_relative_to(self.data_root) and not p.exists()]
        target.parent.mkdir(parents=True, exist_ok=True)
        for folder in sorted(created, key=lambda p: len(p.parts)):
            _fsync_dir(folder.parent)
        fd, tmp_name = tempfile.mkstemp(dir=target.parent, prefix=localbucket.TEMP_PREFIX)
        try:
            with os.fdopen(fd, "wb") as tmp:
                etag = write(tmp)
                tmp.flush()
                os.fsync(tmp.fileno())
            with _lock(target):
                if if_match is not None:
                    if not target.is_file():
                        raise S3Error(HTTPStatus.NOT_FOUND, "NoSuchKey",
                                      "The specified key does not exist.")
                    if not etag_matches(if_match, object_etag(target)):
                        raise self._precondition_failed_error()
                if if_none_match and target.exists():
                    raise self._precondition_failed_error()
                os.replace(tmp_name, target)
                _listing.changed(target.parent, target)
                _fsync_dir(target.parent)
        except BaseException:
            Path(tmp_name).unlink(missing_ok=True)
            raise
        remember_etag(target, etag)
        return etag

    def _get(self, bucket: str, key: str, include_body: bool) -> None:
        # localbucket opens the file, then takes the ETag from the path: a PUT
        # renamed in between gave the old body with the new ETag. Tansu's
        # compare-and-swap on that pair then won against the newer version
        # and moved a watermark back: acknowledged records were lost. Under
        # the key's lock the body and the ETag are one version.
        if not bucket or not key:
            return super()._get(bucket, key, include_body)
        with _lock(self._object_path(bucket, key)):
            return super()._get(bucket, key, include_body)

    def _delete_object(self, bucket: str, key: str) -> None:
        target = self._object_path(bucket, key)
        with _lock(target):
            super()._delete_object(bucket, key)
            _listing.changed(target.parent, target)
        if target.parent.is_dir():
            _fsync_dir(target.parent)

    def _add_list_entries(self, root: ET.Element, contents, common_prefixes, encode) -> None:
        for key, path in contents:
            try:
                modified, etag, size = _listing.meta(path)
            except FileNotFoundError:
                continue  # deleted since the page was cut
            item = ET.SubElement(root, "Contents")
            sub_element(item, "Key", encode(key))
            sub_element(item, "LastModified", modified)
            sub_element(item, "ETag", etag)
            sub_element(item, "Size", size)
            sub_element(item, "StorageClass", "STANDARD")
        for common in common_prefixes:
            item = ET.SubElement(root, "CommonPrefixes")
            sub_element(item, "Prefix", encode(common))

    def _list_entries(self, bucket_dir: Path, prefix: str, delimiter: str, marker: str,
                      marker_is_prefix: bool, max_keys: int):
        # localbucket's own walks the whole bucket and sorts it for every page;
        # Tansu lists a partition's records on every fetch, so each fetch cost
        # grew with all data ever stored. The same listing, from the sorted
        # keys of the prefix's folder (kept between requests: this process is
        # the only writer), starting at the marker.
        folder = prefix.rpartition("/")[0]
        keys = _listing.keys(bucket_dir.joinpath(*folder.split("/")) if folder else bucket_dir,
                             bucket_dir)
        first = max(prefix, marker) if not marker_is_prefix else marker
        contents, common_prefixes, last_entry, truncated = [], [], "", False
        for key, path in keys[bisect.bisect_left(keys, (first,)):]:
            if not key.startswith(prefix):
                break
            if marker and (key <= marker or (marker_is_prefix and key.startswith(marker))):
                continue
            common = ""
            if delimiter and (index := key.find(delimiter, len(prefix))) >= 0:
                common = key[: index + len(delimiter)]
            if common and common_prefixes and common_prefixes[-1] == common:
                continue
            if len(contents) + len(common_prefixes) >= max_keys:
                truncated = max_keys > 0
                break
            if common:
                common_prefixes.append(common)
                last_entry = "P:" + common
            else:
                contents.append((key, path))
                last_entry = "K:" + key
        return contents, common_prefixes, truncated, last_entry

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002
        pass  # one line per request would drown the broker log


def serve(data_root: Path, port: int, host: str = "127.0.0.1") -> None:
    data_root = data_root.resolve()
    data_root.mkdir(parents=True, exist_ok=True)
    DurableHandler.data_root = data_root
    server = ThreadingHTTPServer((host, port), DurableHandler)
    server.daemon_threads = True
    logging.getLogger("localbucket").info("serving %s on %s:%s", data_root, host, port)
    try:
        server.serve_forever()
    finally:
        server.server_close()


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m hub.kafka.s3store")
    parser.add_argument("data_root", type=Path)
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s s3store %(message)s")
    serve(args.data_root, args.port)


if __name__ == "__main__":
    main()

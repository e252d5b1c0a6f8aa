#!/usr/bin/env python3
"""Writes a gzipped tarball from a JSON list of entries on stdin, for tests of hostile tarballs.

Each entry: {"path": ..., "type": "file"|"dir"|"symlink"|"fifo", "text": ..., "linkpath": ..., "pax": {...}}
("pax": extended header records written as given, e.g. a linkpath that differs from the plain header's).
argv: <output file> [<bytes to keep>]: with a byte count, the uncompressed tar is cut there (a header that
promises more data than follows) before it is gzipped.
"""
import gzip
import io
import json
import sys
import tarfile

entries = json.load(sys.stdin)
raw = io.BytesIO()
with tarfile.open(fileobj=raw, mode="w", format=tarfile.PAX_FORMAT) as tar:
    for entry in entries:
        info = tarfile.TarInfo(entry["path"])
        info.mtime = 1700000000
        info.pax_headers = dict(entry.get("pax", {}))
        kind = entry.get("type", "file")
        data = None
        if kind == "dir":
            info.type = tarfile.DIRTYPE
            info.mode = 0o755
        elif kind == "symlink":
            info.type = tarfile.SYMTYPE
            info.linkname = entry["linkpath"]
        elif kind == "fifo":
            info.type = tarfile.FIFOTYPE
        else:
            data = entry.get("text", "").encode()
            info.size = len(data)
            info.mode = 0o644
        tar.addfile(info, io.BytesIO(data) if data is not None else None)
body = raw.getvalue()
if len(sys.argv) > 2:
    body = body[: int(sys.argv[2])]
with open(sys.argv[1], "wb") as out:
    out.write(gzip.compress(body, mtime=0))

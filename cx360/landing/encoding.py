"""Text encoding of CSV batch files: detected per file unless the source settings declare it.

DuckDB's CSV reader reads UTF-8 only (other encodings need an extension fetched from the
network), so a file in another encoding is transcoded to a UTF-8 copy in the warehouse's temp
folder before it is read; line numbers and content are unchanged.

Detection, per file:
- a UTF-16 byte-order mark (FF FE or FE FF) -> utf-16: Excel's "Unicode Text" export and other
  Windows tools write UTF-16 with a BOM; without one (NUL bytes in the header line) the file
  must declare `encoding: utf-16-le` or `utf-16-be` (discovery says so);
- valid UTF-8 (with or without BOM) -> utf-8;
- any valid multi-byte UTF-8 character -> utf-8 too: the file is UTF-8 with a few broken
  lines, which landing quarantines one by one as `unparseable_line`;
- otherwise (non-ASCII bytes, none of them UTF-8) -> cp1252, the encoding Windows and Excel
  export Western European text in; latin-1 when a byte is undefined in cp1252.
A file in another single-byte encoding (cp1250, ...) needs `encoding:` in the settings file.
"""

from __future__ import annotations

import codecs
import gzip
import re
from pathlib import Path
from typing import BinaryIO

UTF8 = "utf-8"
UTF16 = "utf-16"  # Python's codec reads the BOM, then little- or big-endian as it says
UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")
_CHUNK = 8 * 1024 * 1024
# a valid UTF-8 multi-byte character: lead byte then the right number of continuation bytes
_UTF8_MULTIBYTE = re.compile(
    rb"[\xc2-\xdf][\x80-\xbf]|[\xe0-\xef][\x80-\xbf]{2}|[\xf0-\xf4][\x80-\xbf]{3}"
)


def _open(path: Path) -> BinaryIO:
    if path.name.lower().endswith(".gz"):
        return gzip.open(path, "rb")  # type: ignore[return-value]
    return path.open("rb")


def detect_encoding(path: Path) -> str:
    """The file's encoding by the rules of the module doc (a Python codec name)."""
    with _open(path) as handle:
        if handle.read(2) in UTF16_BOMS:
            return UTF16
    invalid = False
    seen_multibyte = False  # a non-ASCII chunk decoded as UTF-8
    cp1252_ok = True
    decoder = codecs.getincrementaldecoder(UTF8)()
    with _open(path) as handle:
        while chunk := handle.read(_CHUNK):
            if chunk.isascii():
                continue
            if not invalid:
                try:
                    decoder.decode(chunk)
                    seen_multibyte = True
                    continue
                except UnicodeDecodeError:
                    invalid = True
            if seen_multibyte or _UTF8_MULTIBYTE.search(chunk):
                return UTF8  # UTF-8 with broken lines
            if cp1252_ok:
                try:
                    chunk.decode("cp1252")
                except UnicodeDecodeError:
                    cp1252_ok = False
    if not invalid:
        return UTF8
    return "cp1252" if cp1252_ok else "latin-1"


def is_utf8(encoding: str) -> bool:
    return codecs.lookup(encoding).name in ("utf-8", "utf-8-sig")


def is_utf16(encoding: str) -> bool:
    return codecs.lookup(encoding).name.startswith(UTF16)


def looks_like_utf16(first_line: bytes) -> bool:
    """NUL bytes in a header line: UTF-16 text (a CSV header in any 8-bit encoding has none)."""
    return b"\x00" in first_line


def ends_a_line(start: bytes, tail: bytes, size: int) -> bool:
    """Whether a text file whose first bytes are `start`, last bytes `tail` and length `size`
    ends with a line end: \n or \r, or in UTF-16 (by its BOM) that code unit, whole."""
    if start[:2] == b"\xff\xfe":
        return size % 2 == 0 and tail[-2:] in (b"\n\x00", b"\r\x00")
    if start[:2] == b"\xfe\xff":
        return size % 2 == 0 and tail[-2:] in (b"\x00\n", b"\x00\r")
    # no BOM: 8-bit text, or UTF-16 little-endian without one (its header check says so)
    return tail[-1:] in (b"\n", b"\r") or tail[-2:] in (b"\n\x00", b"\r\x00")


def transcode_to_utf8(path: Path, encoding: str, target: Path) -> Path:
    """Write `path` (plain or gzip) decoded from `encoding` as plain UTF-8 to `target`."""
    target.parent.mkdir(parents=True, exist_ok=True)
    decoder = codecs.getincrementaldecoder(encoding)(errors="strict")
    with _open(path) as source, target.open("wb") as sink:
        while chunk := source.read(_CHUNK):
            sink.write(decoder.decode(chunk).encode(UTF8))
        sink.write(decoder.decode(b"", final=True).encode(UTF8))
    return target

"""Decide which uploaded files may enter the corpus folder: pure checks, no file is written here.

An upload is a name (what its sender called it) and its bytes. It is accepted only when all of
these hold, and each failed check is a `Refusal` that names the file and the one reason:

- the name is a plain file name: no folder part (`/`), no `..`, not absolute (`/x`, `C:x`), no
  backslash, no NUL or other control character, not hidden (a leading dot), only letters,
  digits, spaces and `. _ - ( ) , + ' &`, at most `MAX_NAME_CHARS` characters;
- the suffix is `.txt`, `.md`, `.html` or `.htm`, or `.zip` for an archive of such files;
- the size is within the upload limit (NEWSQA_MAX_UPLOAD_MB) and an article's limit
  (`index.load.MAX_ARTICLE_BYTES`, what ingest would read);
- the content matches the suffix: UTF-8 text with something in it, no NUL bytes; for a web page
  also a tag such as `<html>`, `<body>` or `<p>`, and story text trafilatura can extract (what
  ingest would index), so a file is never written that ingest would then skip;
- no file of that name is in the corpus folder or earlier in the same upload: nothing is
  overwritten, and no new version is made (remove the old article first).

A zip's members are checked the same way, each a file of its own (its folders are dropped: a
member `news/a.txt` becomes `a.txt` in the corpus folder, and is refused when a member path
climbs out with `..`, is absolute, holds a backslash, or has a hidden part such as `__MACOSX/.`
or `.git/`). Links, encrypted members and nested archives are refused. The whole archive is
refused when it is not a readable zip, holds more than `MAX_ZIP_MEMBERS` files, or would unpack
to more than the upload limit in total (a zip bomb), before any member is read.

What it deliberately does not do: guess an encoding other than UTF-8, rename a file to make
it fit, or read anything but the bytes it is given.

>>> accepted, refused = plan_uploads(
...     [("harbour.txt", b"Pier opens\\nThe pier opens in June."), ("../x.txt", b"x")],
...     existing=frozenset(),
...     limit_bytes=10_000,
... )
>>> [a.name for a in accepted], [str(r) for r in refused]
(['harbour.txt'], ['../x.txt: not added, the path climbs out of its folder (..)'])
"""

from __future__ import annotations

import io
import re
import stat
import unicodedata
import zipfile
import zlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import PurePosixPath

from index.load import ARTICLE_SUFFIXES, MAX_ARTICLE_BYTES
from index.webpage import extract_page

ZIP_SUFFIX = ".zip"
MAX_NAME_CHARS = 150
MAX_ZIP_MEMBERS = 1000
_NAME_CHARS = re.compile(r"[\w .,()+'&-]")
_HTML_LIKE = re.compile(
    r"<\s*(?:!doctype\s+html|html|head|body|article|main|section|p|div|h[1-6]|title|meta)\b",
    re.IGNORECASE,
)
_SUFFIXES_SAID = ".txt, .md, .html or .htm"


@dataclass(frozen=True)
class Refusal:
    """One file that does not go in, and why; `str()` is the one-line message."""

    name: str  # as shown: the upload's name, or "member (in archive.zip)"
    reason: str

    def __str__(self) -> str:
        return f"{self.name}: not added, {self.reason}"


@dataclass(frozen=True)
class Accepted:
    """A file that passed every check, with the name it gets in the corpus folder."""

    name: str
    data: bytes = field(repr=False)
    origin: str  # the upload it came from: itself, or the zip that held it


def shown(name: str) -> str:
    """A name as a message shows it: as it is when printable, else escaped (one line always).

    >>> shown("a.txt"), shown("a\\nb.txt")
    ('a.txt', "'a\\\\nb.txt'")
    """
    return name if name.isprintable() else ascii(name)


def path_problem(path: str) -> str | None:
    """Why a relative path (a zip member, an article's `source`) is unsafe, or None.

    >>> path_problem("news/a.txt") is None, path_problem("a/../../b.txt")
    (True, 'the path climbs out of its folder (..)')
    """
    if not path:
        return "no file name"
    if "\x00" in path:
        return "the name holds a NUL byte"
    if "\\" in path:
        return "the name holds a backslash"
    if path.startswith("/") or re.match(r"[A-Za-z]:", path):
        return "an absolute path"
    if any(not unicodedata.category(ch).startswith(("L", "N", "P", "S", "Zs")) for ch in path):
        return "the name holds a control or invisible character"
    parts = path.split("/")
    if any(part in (".", "..") for part in parts):
        return "the path climbs out of its folder (..)"
    if any(part == "" for part in parts):
        return "the path has an empty part (//)"
    return None


def name_problem(name: str, *, archive_allowed: bool = True) -> str | None:
    """Why `name` may not become a file in the corpus folder, or None.

    >>> name_problem("Report (2024).md") is None
    True
    >>> name_problem(".env.txt"), name_problem("news/a.txt")
    ('a hidden name (it starts with a dot)', 'the name holds a folder part (/)')
    >>> name_problem("a.pdf")
    'a .pdf file; only .txt, .md, .html or .htm files (or a .zip of them) can be added'
    """
    problem = path_problem(name)
    if problem:
        return problem
    if "/" in name:
        return "the name holds a folder part (/)"
    if name.startswith("."):
        return "a hidden name (it starts with a dot)"
    if len(name) > MAX_NAME_CHARS:
        return f"the name is longer than {MAX_NAME_CHARS} characters"
    odd = next((ch for ch in name if not _NAME_CHARS.fullmatch(ch)), None)
    if odd is not None:
        return f"the name holds {odd!r}; use letters, digits, spaces and . _ - ( ) , + ' &"
    if not name[0].isalnum():
        return "the name must start with a letter or digit"
    suffix = PurePosixPath(name).suffix.lower()
    if suffix in ARTICLE_SUFFIXES or (archive_allowed and suffix == ZIP_SUFFIX):
        return None
    what = f"a {suffix} file" if suffix else "a file without a suffix"
    allowed = f"{_SUFFIXES_SAID} files (or a .zip of them)" if archive_allowed else _SUFFIXES_SAID
    return f"{what}; only {allowed} can be added"


def size_problem(size: int, *, limit_bytes: int, article: bool) -> str | None:
    """Why a file of `size` bytes is too big, or None. `article`: it is one article (not a zip).

    >>> size_problem(3_000_000, limit_bytes=2_000_000, article=True)
    '3,000,000 bytes, over the 2,000,000-byte upload limit (NEWSQA_MAX_UPLOAD_MB)'
    """
    if size > limit_bytes:
        return f"{size:,} bytes, over the {limit_bytes:,}-byte upload limit (NEWSQA_MAX_UPLOAD_MB)"
    if article and size > MAX_ARTICLE_BYTES:
        return f"{size:,} bytes, over the {MAX_ARTICLE_BYTES:,}-byte limit for one article"
    return None


def content_problem(name: str, data: bytes) -> str | None:
    """Why these bytes are not an article of the kind the suffix says, or None.

    >>> content_problem("a.txt", "Brücke\\nSie öffnet.".encode()) is None
    True
    >>> content_problem("a.html", b"just words, no markup")
    'not HTML: no <html>, <body>, <p> or similar tag'
    """
    if not data:
        return "the file is empty"
    if b"\x00" in data:
        return "binary content (NUL bytes), not text"
    try:
        text = data.decode("utf-8").removeprefix("\ufeff")
    except UnicodeDecodeError as exc:
        return f"not UTF-8 text (bad byte at offset {exc.start})"
    if not text.strip():
        return "no text, only white space"
    if PurePosixPath(name).suffix.lower() in (".html", ".htm"):
        if not _HTML_LIKE.search(text[:65536]):
            return "not HTML: no <html>, <body>, <p> or similar tag"
        if extract_page(text) is None:
            return "a page with no story text that trafilatura could extract"
    return None


def check_article(name: str, data: bytes, *, limit_bytes: int) -> str | None:
    """Every check of one article file (a plain upload or a zip member's own name)."""
    return (
        name_problem(name, archive_allowed=False)
        or size_problem(len(data), limit_bytes=limit_bytes, article=True)
        or content_problem(name, data)
    )


def _member_problem(info: zipfile.ZipInfo) -> str | None:
    problem = path_problem(info.filename)
    if problem:
        return problem
    if any(part.startswith(".") for part in info.filename.split("/")):
        return "a hidden file or folder (a part starts with a dot)"
    if stat.S_ISLNK(info.external_attr >> 16):
        return "a link, not a file"
    if info.flag_bits & 0x1:
        return "encrypted"
    return None


def _read_member(
    archive: zipfile.ZipFile, info: zipfile.ZipInfo, *, limit_bytes: int
) -> tuple[str, bytes | None, str | None]:
    """One member's corpus file name, its bytes when every check passed, else the problem."""
    name = info.filename.rsplit("/", 1)[-1]
    problem = (
        _member_problem(info)
        or name_problem(name, archive_allowed=False)
        or size_problem(info.file_size, limit_bytes=limit_bytes, article=True)
    )
    if problem:
        return name, None, problem
    try:
        with archive.open(info) as member:
            body = member.read(info.file_size + 1)  # zipfile stops at the declared size
    except (zipfile.BadZipFile, zlib.error, RuntimeError, NotImplementedError, OSError) as exc:
        return name, None, f"cannot be unpacked ({exc})"
    problem = check_article(name, body, limit_bytes=limit_bytes)
    return name, (None if problem else body), problem


def unpack_zip(
    zip_name: str, data: bytes, *, limit_bytes: int
) -> tuple[list[Accepted], list[Refusal]]:
    """The article files of one zip archive that pass every check, and the refused ones."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        infos = [info for info in archive.infolist() if not info.is_dir()]
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, EOFError) as exc:
        return [], [Refusal(shown(zip_name), f"not a readable zip archive ({exc})")]
    if len(infos) > MAX_ZIP_MEMBERS:
        reason = f"{len(infos):,} files in the archive, more than {MAX_ZIP_MEMBERS:,}"
        return [], [Refusal(shown(zip_name), reason)]
    unpacked = sum(info.file_size for info in infos)
    if unpacked > limit_bytes:
        reason = (
            f"unpacks to {unpacked:,} bytes, over the {limit_bytes:,}-byte upload limit "
            "(NEWSQA_MAX_UPLOAD_MB)"
        )
        return [], [Refusal(shown(zip_name), reason)]
    accepted, refused = [], []
    for info in infos:
        name, body, problem = _read_member(archive, info, limit_bytes=limit_bytes)
        if body is None:
            label = f"{shown(info.filename)} (in {shown(zip_name)})"
            refused.append(Refusal(label, problem or "unreadable"))
        else:
            accepted.append(Accepted(name, body, zip_name))
    return accepted, refused


def _one_upload(
    name: str, data: bytes, *, limit_bytes: int
) -> tuple[list[Accepted], list[Refusal]]:
    """The files one upload brings (itself, or a zip's members) and its refusals."""
    problem = name_problem(name)
    if problem is None and name.lower().endswith(ZIP_SUFFIX):
        problem = size_problem(len(data), limit_bytes=limit_bytes, article=False)
        if problem is None:
            return unpack_zip(name, data, limit_bytes=limit_bytes)
    problem = problem or check_article(name, data, limit_bytes=limit_bytes)
    if problem:
        return [], [Refusal(shown(name), problem)]
    return [Accepted(name, data, name)], []


def plan_uploads(
    uploads: Iterable[tuple[str, bytes]], *, existing: frozenset[str], limit_bytes: int
) -> tuple[list[Accepted], list[Refusal]]:
    """Which of `uploads` (name, bytes) go into a corpus folder already holding the names
    `existing`, and which are refused; each file is decided on its own (see module doc)."""
    accepted: list[Accepted] = []
    refused: list[Refusal] = []
    taken = set(existing)
    for name, data in uploads:
        files, bad = _one_upload(name, data, limit_bytes=limit_bytes)
        refused.extend(bad)
        for item in files:
            if item.name in taken:
                where = (
                    "in the corpus folder" if item.name in existing else "earlier in this upload"
                )
                label = item.name if item.origin == item.name else f"{item.name} (in {item.origin})"
                refused.append(Refusal(label, f"a file of that name is already {where}"))
                continue
            taken.add(item.name)
            accepted.append(item)
    return accepted, refused

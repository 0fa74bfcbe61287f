"""The upload checks (pure): each named failure gives its own one-line reason, and good files
pass untouched."""

from __future__ import annotations

import io
import stat
import zipfile

import pytest

from index.load import MAX_ARTICLE_BYTES
from index.uploads import (
    MAX_ZIP_MEMBERS,
    content_problem,
    name_problem,
    path_problem,
    plan_uploads,
    size_problem,
    unpack_zip,
)

ARTICLE = b"Pier opens in June\nThe harbour master said the new pier opens in June.\n"
PAGE = (
    b"<html><head><title>Pier opens</title></head><body><article><h1>Pier opens</h1><p>"
    + b"The harbour master said the new pier opens in June after two years of repairs. " * 4
    + b"</p></article></body></html>"
)
LIMIT = 1_000_000


def _zip(members: dict[str, bytes], *, link: str | None = None) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
        if link:
            info = zipfile.ZipInfo(link)
            info.external_attr = (stat.S_IFLNK | 0o777) << 16
            archive.writestr(info, "/etc/passwd")
    return buffer.getvalue()


@pytest.mark.parametrize(
    "name",
    ["harbour.txt", "Report (2024).md", "page.html", "old-page.HTM", "Café 7.txt", "a.zip"],
)
def test_good_names_pass(name: str) -> None:
    assert name_problem(name) is None


@pytest.mark.parametrize(
    "name,reason",
    [
        ("../evil.txt", "the path climbs out of its folder (..)"),
        ("..", "the path climbs out of its folder (..)"),
        ("/etc/evil.txt", "an absolute path"),
        ("C:evil.txt", "an absolute path"),
        ("news/a.txt", "the name holds a folder part (/)"),
        ("a\\..\\b.txt", "the name holds a backslash"),
        ("a\x00.txt", "the name holds a NUL byte"),
        ("a\nb.txt", "the name holds a control or invisible character"),
        ("evil\u202etxt.exe", "the name holds a control or invisible character"),
        (".hidden.txt", "a hidden name (it starts with a dot)"),
        ("", "no file name"),
        ("a<b>.txt", "the name holds '<'; use letters, digits, spaces and . _ - ( ) , + ' &"),
        ("-rf.txt", "the name must start with a letter or digit"),
        ("x" * 151 + ".txt", "the name is longer than 150 characters"),
        ("notes.pdf", "a .pdf file; only .txt, .md, .html or .htm files (or a .zip of them)"),
        ("README", "a file without a suffix; only"),
    ],
)
def test_bad_names_are_refused_with_their_reason(name: str, reason: str) -> None:
    problem = name_problem(name)
    assert problem is not None and problem.startswith(reason), problem


def test_a_zip_member_may_not_be_a_zip() -> None:
    assert name_problem("inner.zip", archive_allowed=False) == (
        "a .zip file; only .txt, .md, .html or .htm can be added"
    )


def test_paths_of_existing_articles() -> None:
    assert path_problem("sub/a.txt") is None
    assert path_problem("sub//a.txt") == "the path has an empty part (//)"
    assert path_problem("sub/./a.txt") == "the path climbs out of its folder (..)"


def test_sizes() -> None:
    assert size_problem(LIMIT, limit_bytes=LIMIT, article=True) is None
    assert size_problem(LIMIT + 1, limit_bytes=LIMIT, article=False) == (
        "1,000,001 bytes, over the 1,000,000-byte upload limit (NEWSQA_MAX_UPLOAD_MB)"
    )
    big = MAX_ARTICLE_BYTES + 1
    assert size_problem(big, limit_bytes=10**9, article=True) == (
        f"{big:,} bytes, over the {MAX_ARTICLE_BYTES:,}-byte limit for one article"
    )
    assert size_problem(big, limit_bytes=10**9, article=False) is None  # a zip may be bigger


@pytest.mark.parametrize(
    "name,data,reason",
    [
        ("a.txt", b"", "the file is empty"),
        ("a.txt", b"%PDF-1.7\x00\x01binary", "binary content (NUL bytes), not text"),
        ("a.md", "Caf\xe9".encode("latin-1"), "not UTF-8 text (bad byte at offset 3)"),
        ("a.txt", b" \n\t\n", "no text, only white space"),
        ("a.html", b"plain words, no markup at all", "not HTML: no <html>, <body>, <p>"),
        (
            "a.html",
            b"<html><body><script>app()</script></body></html>",
            "a page with no story text that trafilatura could extract",
        ),
    ],
)
def test_content_must_match_the_suffix(name: str, data: bytes, reason: str) -> None:
    problem = content_problem(name, data)
    assert problem is not None and problem.startswith(reason), problem


def test_good_content_passes() -> None:
    assert content_problem("a.txt", ARTICLE) is None
    assert content_problem("a.md", b"\xef\xbb\xbf" + ARTICLE) is None  # a UTF-8 BOM is fine
    assert content_problem("a.html", PAGE) is None


def test_plan_keeps_good_files_and_names_each_refusal() -> None:
    accepted, refused = plan_uploads(
        [
            ("good.txt", ARTICLE),
            ("page.html", PAGE),
            ("../evil.txt", ARTICLE),
            ("taken.txt", ARTICLE),
            ("good.txt", ARTICLE),
            ("empty.md", b""),
        ],
        existing=frozenset({"taken.txt"}),
        limit_bytes=LIMIT,
    )
    assert [(a.name, a.data) for a in accepted] == [("good.txt", ARTICLE), ("page.html", PAGE)]
    assert [str(r) for r in refused] == [
        "../evil.txt: not added, the path climbs out of its folder (..)",
        "taken.txt: not added, a file of that name is already in the corpus folder",
        "good.txt: not added, a file of that name is already earlier in this upload",
        "empty.md: not added, the file is empty",
    ]


def test_zip_members_are_checked_one_by_one_and_lose_their_folders() -> None:
    data = _zip(
        {
            "news/one.txt": ARTICLE,
            "two.md": ARTICLE,
            "../../escape.txt": ARTICLE,
            "/abs.txt": ARTICLE,
            "__MACOSX/news/._one.txt": b"\x00\x05mac",
            "dir\\win.txt": ARTICLE,
            "nested.zip": _zip({"x.txt": ARTICLE}),
            "bad.txt": b"\xff\xfe",
        },
        link="link.txt",
    )
    accepted, refused = unpack_zip("bundle.zip", data, limit_bytes=LIMIT)
    assert [(a.name, a.origin) for a in accepted] == [
        ("one.txt", "bundle.zip"),
        ("two.md", "bundle.zip"),
    ]
    assert [str(r) for r in refused] == [
        "../../escape.txt (in bundle.zip): not added, the path climbs out of its folder (..)",
        "/abs.txt (in bundle.zip): not added, an absolute path",
        "__MACOSX/news/._one.txt (in bundle.zip): not added, a hidden file or folder "
        "(a part starts with a dot)",
        "dir\\win.txt (in bundle.zip): not added, the name holds a backslash",
        "nested.zip (in bundle.zip): not added, a .zip file; only .txt, .md, .html or .htm "
        "can be added",
        "bad.txt (in bundle.zip): not added, not UTF-8 text (bad byte at offset 0)",
        "link.txt (in bundle.zip): not added, a link, not a file",
    ]


def test_a_zip_bomb_is_refused_whole_before_anything_is_unpacked() -> None:
    bomb = _zip({"ok.txt": ARTICLE, "zeros.txt": b"0" * (LIMIT + 1)})
    assert len(bomb) < 10_000  # small to send, over the limit unpacked
    accepted, refused = unpack_zip("bomb.zip", bomb, limit_bytes=LIMIT)
    assert accepted == []
    assert [str(r) for r in refused] == [
        f"bomb.zip: not added, unpacks to {LIMIT + 1 + len(ARTICLE):,} bytes, over the "
        f"{LIMIT:,}-byte upload limit (NEWSQA_MAX_UPLOAD_MB)"
    ]


def test_a_zip_with_too_many_members_is_refused_whole() -> None:
    many = _zip({f"a{n}.txt": b"x" for n in range(MAX_ZIP_MEMBERS + 1)})
    accepted, refused = unpack_zip("many.zip", many, limit_bytes=LIMIT)
    assert accepted == [] and len(refused) == 1
    assert str(refused[0]) == (
        f"many.zip: not added, {MAX_ZIP_MEMBERS + 1:,} files in the archive, "
        f"more than {MAX_ZIP_MEMBERS:,}"
    )


def test_something_that_is_not_a_zip() -> None:
    accepted, refused = plan_uploads(
        [("fake.zip", ARTICLE)], existing=frozenset(), limit_bytes=LIMIT
    )
    assert accepted == []
    assert str(refused[0]).startswith("fake.zip: not added, not a readable zip archive")


def test_zip_members_collide_with_the_corpus_and_each_other() -> None:
    data = _zip({"a/same.txt": ARTICLE, "b/same.txt": ARTICLE, "taken.txt": ARTICLE})
    accepted, refused = plan_uploads(
        [("z.zip", data)], existing=frozenset({"taken.txt"}), limit_bytes=LIMIT
    )
    assert [a.name for a in accepted] == ["same.txt"]
    assert [str(r) for r in refused] == [
        "same.txt (in z.zip): not added, a file of that name is already earlier in this upload",
        "taken.txt (in z.zip): not added, a file of that name is already in the corpus folder",
    ]

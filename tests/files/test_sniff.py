"""Content types come from the bytes; a client's name or type never decides alone."""

from __future__ import annotations

import pytest

from skylight.files.sniff import OCTET_STREAM, sniff
from tests.files import samples

DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


@pytest.mark.parametrize(
    ("data", "name", "expected"),
    [
        (samples.JPEG, "photo.jpg", "image/jpeg"),
        (samples.png(), "x.png", "image/png"),
        (b"GIF89a" + bytes(10), "a.gif", "image/gif"),
        (b"RIFF\x00\x00\x00\x00WEBPVP8 ", "a.webp", "image/webp"),
        (samples.PDF, "booking.pdf", "application/pdf"),
        (samples.MP4, "clip.mp4", "video/mp4"),
        (b"\x00\x00\x00\x18ftypM4A \x00\x00\x00\x00", "note.m4a", "audio/mp4"),
        (b"\x00\x00\x00\x14ftypqt  \x00\x00\x00\x00", "clip.mov", "video/quicktime"),
        (samples.OGG, "voice.ogg", "audio/ogg"),
        (b"ID3\x04\x00" + bytes(20), "song.mp3", "audio/mpeg"),
        (b"\xff\xfb\x90\x00" + bytes(20), "song.mp3", "audio/mpeg"),
        (b"\xff\xf1\x50\x80" + bytes(20), "voice.aac", "audio/aac"),
        (samples.docx(), "cv.docx", DOCX),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(20), "old.xls", "application/vnd.ms-excel"),
        ("Bonjour, à demain\n".encode(), "note.txt", "text/plain"),
        (b"name,phone\nSara,+966\n", "list.csv", "text/csv"),
        (samples.EXE, "setup.exe", "application/x-msdownload"),
    ],
)
def test_types_are_told_by_their_bytes(data: bytes, name: str, expected: str) -> None:
    assert sniff(data, name) == expected


def test_a_name_or_extension_never_makes_a_type() -> None:
    # An executable called photo.jpg is still an executable; random bytes are nothing.
    assert sniff(samples.EXE, "photo.jpg") == "application/x-msdownload"
    assert sniff(bytes(range(256)) * 4, "report.pdf") == OCTET_STREAM
    assert sniff(b"", "empty.txt") == OCTET_STREAM


def test_a_plain_zip_is_not_an_office_document() -> None:
    import io
    import zipfile

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("notes.txt", "hi")
    assert sniff(buffer.getvalue(), "cv.docx") == "application/zip"


def test_long_utf8_text_cut_inside_a_character_is_still_text() -> None:
    text = ("é" * 40_000).encode()  # 80,000 bytes: the 64 KiB sample ends mid-character
    assert sniff(text, "a.txt") == "text/plain"

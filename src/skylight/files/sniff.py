"""What a file is, told from its first bytes: a client's Content-Type (or file name) is never
trusted on its own. Only the kinds a channel can carry are recognised; anything else is
application/octet-stream, which no channel accepts.

The file name only settles what the bytes leave open: a ZIP is a .docx, .xlsx or .pptx by the
part names inside it; an OLE2 compound file is a .doc, .xls or .ppt by its extension; text is
CSV when it is called .csv."""

from __future__ import annotations

import codecs
import io
import zipfile

OCTET_STREAM = "application/octet-stream"

# Exact prefixes at offset 0.
_PREFIXES: tuple[tuple[bytes, str], ...] = (
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"GIF87a", "image/gif"),
    (b"GIF89a", "image/gif"),
    (b"%PDF-", "application/pdf"),
    (b"OggS", "audio/ogg"),
    (b"ID3", "audio/mpeg"),
    (b"#!AMR", "audio/amr"),
    (b"\x1a\x45\xdf\xa3", "video/webm"),
    # Executables: recognised so they are named in the refusal, never accepted.
    (b"MZ", "application/x-msdownload"),
    (b"\x7fELF", "application/x-executable"),
    (b"\xcf\xfa\xed\xfe", "application/x-mach-binary"),
    (b"\xce\xfa\xed\xfe", "application/x-mach-binary"),
    (b"\xca\xfe\xba\xbe", "application/x-mach-binary"),
)
_OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_OLE2_BY_EXTENSION = {
    "doc": "application/msword",
    "xls": "application/vnd.ms-excel",
    "ppt": "application/vnd.ms-powerpoint",
}
_OOXML_PARTS = (
    ("word/", "application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
    ("xl/", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
    ("ppt/", "application/vnd.openxmlformats-officedocument.presentationml.presentation"),
)
# ISO base media (MP4 family): the major brand at bytes 8-12.
_FTYP_BRANDS = {
    b"M4A ": "audio/mp4",
    b"M4B ": "audio/mp4",
    b"qt  ": "video/quicktime",
    b"3gp4": "video/3gpp",
    b"3gp5": "video/3gpp",
    b"3gp6": "video/3gpp",
    b"3g2a": "video/3gpp",
    b"heic": "image/heic",
    b"heix": "image/heic",
    b"mif1": "image/heif",
}


def _extension(filename: str) -> str:
    return filename.rsplit(".", 1)[-1].lower() if "." in filename else ""


def _riff(head: bytes) -> str | None:
    kind = head[8:12]
    if kind == b"WEBP":
        return "image/webp"
    if kind == b"WAVE":
        return "audio/wav"
    if kind == b"AVI ":
        return "video/x-msvideo"
    return None


def _frame_audio(head: bytes) -> str | None:
    """Raw audio frames without a container: 12 sync bits, then the layer tells AAC (ADTS,
    layer 0) from MP3 (layer III)."""
    if len(head) < 2 or head[0] != 0xFF or head[1] & 0xF0 != 0xF0:
        return None
    layer = (head[1] >> 1) & 0x03
    return {0: "audio/aac", 1: "audio/mpeg"}.get(layer)


def _zip(data: bytes) -> str:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            names = archive.namelist()
    except (zipfile.BadZipFile, ValueError, OSError):
        return OCTET_STREAM
    for prefix, content_type in _OOXML_PARTS:
        if "[Content_Types].xml" in names and any(n.startswith(prefix) for n in names):
            return content_type
    return "application/zip"


def _text(data: bytes, filename: str) -> str | None:
    sample = data[:65536]
    if b"\x00" in sample:
        return None
    # Not final when the sample is cut: a character split at its end is not an error.
    decoder = codecs.getincrementaldecoder("utf-8")()
    try:
        decoder.decode(sample, final=len(sample) == len(data))
    except UnicodeDecodeError:
        return None
    if any(b < 32 and b not in (9, 10, 12, 13) for b in sample):
        return None
    return "text/csv" if _extension(filename) == "csv" else "text/plain"


def sniff(data: bytes, filename: str = "") -> str:
    """The content type of `data` (see the module's docstring for what the name may decide)."""
    head = data[:64]
    if not data:
        return OCTET_STREAM
    for prefix, content_type in _PREFIXES:
        if head.startswith(prefix):
            return content_type
    if head.startswith(b"RIFF") and (riff := _riff(head)):
        return riff
    if head[4:8] == b"ftyp":
        return _FTYP_BRANDS.get(head[8:12], "video/mp4")
    if head.startswith(_OLE2):
        return _OLE2_BY_EXTENSION.get(_extension(filename), "application/x-ole-storage")
    if head.startswith(b"PK\x03\x04"):
        return _zip(data)
    if audio := _frame_audio(head):
        return audio
    return _text(data, filename) or OCTET_STREAM

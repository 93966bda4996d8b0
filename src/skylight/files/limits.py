"""What each channel may carry: the strictest of Unipile's limit and the network's own, by kind
of file. This table is the README's "Attachment limits" table; keep the two the same.

Unipile: its SDK declares 25 MiB per attachment, integrators report about 15 MB in practice;
the stricter holds. Networks: WhatsApp (Cloud API media limits), Telegram, Instagram (messaging
API). Sizes are decimal megabytes, the smaller reading of every published figure."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from skylight.channels.types import ChannelType

MB = 1_000_000
UNIPILE_MAX_BYTES = 15 * MB


class Kind(StrEnum):
    """An attachment's kind, as the API shows it (Unipile: img, video, audio, file)."""

    IMAGE = "image"
    VIDEO = "video"
    AUDIO = "audio"
    FILE = "file"

    @property
    def plural(self) -> str:
        return {"image": "images", "video": "videos", "audio": "audio", "file": "documents"}[self]

    @property
    def unipile(self) -> str:
        return {"image": "img", "video": "video", "audio": "audio", "file": "file"}[self]


def kind_of(content_type: str) -> Kind:
    top = content_type.split("/", 1)[0]
    return {"image": Kind.IMAGE, "video": Kind.VIDEO, "audio": Kind.AUDIO}.get(top, Kind.FILE)


# Short names for the types, for error messages and the README.
LABELS = {
    "image/jpeg": "JPEG",
    "image/png": "PNG",
    "image/gif": "GIF",
    "image/webp": "WebP",
    "video/mp4": "MP4",
    "video/3gpp": "3GP",
    "video/quicktime": "MOV",
    "video/webm": "WebM",
    "audio/aac": "AAC",
    "audio/mp4": "M4A",
    "audio/mpeg": "MP3",
    "audio/ogg": "OGG/Opus",
    "audio/amr": "AMR",
    "audio/wav": "WAV",
    "application/pdf": "PDF",
    "application/msword": "DOC",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": "DOCX",
    "application/vnd.ms-excel": "XLS",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": "XLSX",
    "application/vnd.ms-powerpoint": "PPT",
    "application/vnd.openxmlformats-officedocument.presentationml.presentation": "PPTX",
    "text/plain": "TXT",
    "text/csv": "CSV",
}
DOCUMENTS = frozenset(t for t, _ in LABELS.items() if t.startswith(("application/", "text/")))


@dataclass(frozen=True)
class Limit:
    max_bytes: int
    types: frozenset[str]


def _limit(megabytes: int, *types: str) -> Limit:
    return Limit(min(megabytes * MB, UNIPILE_MAX_BYTES), frozenset(types))


LIMITS: dict[ChannelType, dict[Kind, Limit]] = {
    ChannelType.WHATSAPP: {
        Kind.IMAGE: _limit(5, "image/jpeg", "image/png"),
        Kind.VIDEO: _limit(16, "video/mp4", "video/3gpp"),
        Kind.AUDIO: _limit(16, "audio/aac", "audio/mp4", "audio/mpeg", "audio/amr", "audio/ogg"),
        Kind.FILE: _limit(100, *DOCUMENTS),
    },
    ChannelType.TELEGRAM: {
        Kind.IMAGE: _limit(10, "image/jpeg", "image/png", "image/gif", "image/webp"),
        Kind.VIDEO: _limit(50, "video/mp4", "video/quicktime", "video/webm"),
        Kind.AUDIO: _limit(50, "audio/mpeg", "audio/ogg", "audio/mp4", "audio/aac", "audio/wav"),
        Kind.FILE: _limit(50, *DOCUMENTS),
    },
    ChannelType.INSTAGRAM: {
        Kind.IMAGE: _limit(8, "image/jpeg", "image/png", "image/gif"),
        Kind.VIDEO: _limit(25, "video/mp4", "video/quicktime", "video/webm"),
        Kind.AUDIO: _limit(25, "audio/aac", "audio/mp4", "audio/wav"),
        # Instagram direct messages carry no documents.
    },
}
# An upload is not tied to a channel yet: it may be as large as the largest any channel takes.
MAX_UPLOAD_BYTES = max(limit.max_bytes for kinds in LIMITS.values() for limit in kinds.values())
# Room for the multipart boundaries, headers and the other fields around an upload's bytes.
MULTIPART_OVERHEAD = 64 * 1024
ACCEPTED_ANYWHERE = frozenset(
    t for kinds in LIMITS.values() for k in kinds.values() for t in k.types
)


def megabytes(size: int) -> str:
    return f"{size / MB:.1f}".removesuffix(".0") + " MB"


def label(content_type: str) -> str:
    return LABELS.get(content_type, content_type)


def _listing(types: frozenset[str]) -> str:
    names = sorted(label(t) for t in types)
    return names[0] if len(names) == 1 else f"{', '.join(names[:-1])} or {names[-1]}"


@dataclass(frozen=True)
class Breach:
    """Why a file cannot go; `too_large` is a 413, a type not allowed a 422."""

    too_large: bool
    reason: str


def check_upload(content_type: str, size: int) -> Breach | None:
    if size > MAX_UPLOAD_BYTES:
        return Breach(
            True,
            f"The file is {megabytes(size)}; files may be at most "
            f"{megabytes(MAX_UPLOAD_BYTES)} (the most any channel takes).",
        )
    if content_type not in ACCEPTED_ANYWHERE:
        return Breach(
            False,
            f"{label(content_type)} files cannot be sent on any channel. Accepted: "
            f"{_listing(ACCEPTED_ANYWHERE)}.",
        )
    return None


def check_for_channel(channel: ChannelType, content_type: str, size: int) -> Breach | None:
    kind = kind_of(content_type)
    limit = LIMITS[channel].get(kind)
    if limit is None:
        return Breach(False, f"{channel.label} does not carry {kind.plural}.")
    if content_type not in limit.types:
        return Breach(
            False,
            f"{channel.label} {kind.plural} may be {_listing(limit.types)}, "
            f"not {label(content_type)}.",
        )
    if size > limit.max_bytes:
        return Breach(
            True,
            f"The file is {megabytes(size)}; {channel.label} {kind.plural} may be at most "
            f"{megabytes(limit.max_bytes)}.",
        )
    return None

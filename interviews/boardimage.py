"""The board's picture for the report: a PNG sent by a participant's browser (exported by
Excalidraw from the shared board), checked and re-encoded here so that what a report page or a
PDF embeds is a picture Pillow drew, never the bytes someone uploaded."""

import io

from django.db import transaction
from PIL import Image, UnidentifiedImageError

from .models import BoardImage, Interview

MAX_UPLOAD_BYTES = 4 * 1024 * 1024
MAX_SIDE = 4096  # pixels; the browser exports at most 2400
MAX_PIXELS = 12_000_000
# While the board can change, and in the wrap-up (the last export as the interview ended).
OPEN_FOR_IMAGES = frozenset({Interview.Status.LIVE, Interview.Status.WRAPUP})


class BoardImageError(Exception):
    """An image refused: ``code`` for programs, ``message`` for people."""

    def __init__(self, code: str, message: str) -> None:
        self.code, self.message = code, message
        super().__init__(message)


def clean_png(data: bytes) -> tuple[bytes, int, int]:
    """A re-encoded copy of ``data`` if it is a PNG of sensible size, with its width and height;
    ``BoardImageError`` otherwise."""
    if len(data) > MAX_UPLOAD_BYTES:
        megabytes = MAX_UPLOAD_BYTES // 1024 // 1024
        raise BoardImageError("too_large", f"The board's image is at most {megabytes} MB.")
    if not data.startswith(b"\x89PNG\r\n\x1a\n"):
        raise BoardImageError("bad_image", "The board's image must be a PNG.")
    try:
        with Image.open(io.BytesIO(data)) as probe:
            if probe.format != "PNG":
                raise BoardImageError("bad_image", "The board's image must be a PNG.")
            width, height = probe.size
            if width > MAX_SIDE or height > MAX_SIDE or width * height > MAX_PIXELS:
                raise BoardImageError(
                    "too_large", f"The board's image is at most {MAX_SIDE} pixels a side."
                )
            probe.verify()
        with Image.open(io.BytesIO(data)) as image:
            image.load()
            clean = image.convert("RGBA" if "A" in image.getbands() else "RGB")
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError):
        raise BoardImageError("bad_image", "That is not a readable PNG.") from None
    out = io.BytesIO()
    clean.save(out, format="PNG", optimize=True)
    return out.getvalue(), width, height


def board_image_save(*, interview: Interview, user, data: bytes) -> BoardImage:
    """Store the board's latest picture (a participant's; the caller checked who)."""
    if interview.status not in OPEN_FOR_IMAGES:
        raise BoardImageError(
            "invalid_state", "The board's image is taken while the interview runs and at its end."
        )
    png, width, height = clean_png(data)
    with transaction.atomic():
        image, _created = BoardImage.objects.update_or_create(
            interview=interview,
            defaults={"png": png, "width": width, "height": height, "updated_by": user},
        )
    return image


def board_image_of(interview: Interview) -> BoardImage | None:
    return BoardImage.objects.filter(interview=interview).first()

"""Photos: what kind of image some bytes are, and a resized copy (the buckets: services/kit/objects.py).

Shared by the teams service (project photos, kept as sent) and the schedule service (speakers'
photos, kept resized). Each service writes only its own buckets.
"""

import io

from schemas.teams import PhotoType

_MAGIC: tuple[tuple[bytes, int, PhotoType], ...] = (
    (b"\xff\xd8\xff", 0, "image/jpeg"),
    (b"\x89PNG\r\n\x1a\n", 0, "image/png"),
    (b"WEBP", 8, "image/webp"),
)
# A decompression bomb is refused before it is decoded: a 2 MB file may claim a huge canvas.
MAX_PIXELS = 40_000_000


def photo_type(head: bytes) -> PhotoType | None:
    """The image kind its first bytes say (a WebP file starts with RIFF, then WEBP at 8)."""
    for magic, offset, kind in _MAGIC:
        if head[offset : offset + len(magic)] == magic and (kind != "image/webp" or head[:4] == b"RIFF"):
            return kind
    return None


class UnreadablePhoto(ValueError):
    """The bytes say they are an image but cannot be decoded as one (or claim too many pixels)."""


def resized(data: bytes, longest: int = 600) -> bytes:
    """A JPEG of the photo at most `longest` pixels on its longer side, without its metadata.

    Re-encoding drops EXIF (a phone's photo often holds where it was taken) and anything hidden
    after the image; transparency is laid on white. Raises UnreadablePhoto.
    """
    from PIL import Image, ImageOps  # imported here: only the services that keep photos load Pillow

    Image.MAX_IMAGE_PIXELS = MAX_PIXELS
    try:
        with Image.open(io.BytesIO(data)) as opened:
            if opened.format not in ("JPEG", "PNG", "WEBP"):
                raise UnreadablePhoto(f"not a JPEG, PNG or WebP image: {opened.format}")
            image = ImageOps.exif_transpose(opened)
            image.thumbnail((longest, longest))
            if image.mode in ("RGBA", "LA", "P"):
                rgba = image.convert("RGBA")
                image = Image.new("RGB", rgba.size, "white")
                image.paste(rgba, mask=rgba.getchannel("A"))
            elif image.mode != "RGB":
                image = image.convert("RGB")
            out = io.BytesIO()
            image.save(out, format="JPEG", quality=82, optimize=True)
            return out.getvalue()
    except UnreadablePhoto:
        raise
    except (OSError, ValueError, Image.DecompressionBombError, SyntaxError) as error:
        raise UnreadablePhoto(str(error)) from error

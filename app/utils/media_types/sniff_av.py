"""Sniffers for audio, video and image containers (RIFF, ISO BMFF, Ogg) and raw MP3/AAC streams."""
from __future__ import annotations

import struct

from app.utils.media_types.lookups import Sniffed, _found


def _sniff_riff(head: bytes) -> Sniffed | None:
    if head[:4] != b"RIFF" or len(head) < 12:
        return None
    form = head[8:12]
    if form == b"WAVE":
        return _found("audio/wav")
    if form == b"AVI ":
        return _found("video/x-msvideo")
    if form != b"WEBP":
        return None
    # Walk the chunks: animated when VP8X has the animation flag (0x02) or ANIM/ANMF shows up.
    animated = False
    pos = 12
    while pos + 8 <= len(head) and not animated:
        fourcc = head[pos:pos + 4]
        (size,) = struct.unpack_from("<I", head, pos + 4)
        if fourcc == b"VP8X" and pos + 8 < len(head) and head[pos + 8] & 0x02:
            animated = True
        if fourcc in (b"ANIM", b"ANMF"):
            animated = True
        pos += 8 + size + (size & 1)
    flavour = {b"VP8 ": "lossy", b"VP8L": "lossless", b"VP8X": "extended"}.get(head[12:16])
    return _found("image/webp", animated, flavour)


_BRANDS_3GPP = (b"3g",)  # 3gp4..3gp7, 3gg6, 3ge6, 3g2a.. (3GPP2 reported as 3GPP)
_BRANDS_M4A = {b"M4A ", b"M4B "}
_BRANDS_MP4 = {
    b"isom", b"iso2", b"iso3", b"iso4", b"iso5", b"iso6", b"iso7", b"iso8", b"iso9",
    b"mp41", b"mp42", b"mp71", b"avc1", b"avc2", b"avc3", b"avc4", b"hvc1", b"dash",
    b"M4V ", b"M4VH", b"M4VP", b"mmp4", b"MSNV", b"NDAS", b"NDSC", b"NDSH", b"NDSM",
    b"NDSP", b"NDSS", b"NDXC", b"NDXH", b"NDXM", b"NDXP", b"NDXS", b"f4v ", b"XAVC",
}
_BRANDS_HEIC = {b"heic", b"heix", b"hevc", b"hevx", b"heim", b"heis", b"mif1", b"msf1"}
_BRANDS_AVIF = {b"avif", b"avis"}


def _brand_type(brand: bytes) -> str | None:
    if brand.startswith(_BRANDS_3GPP):
        return "video/3gpp"
    if brand in _BRANDS_M4A:
        return "audio/mp4"
    if brand in _BRANDS_MP4:
        return "video/mp4"
    if brand == b"qt  ":
        return "video/quicktime"
    if brand in _BRANDS_AVIF:
        return "image/avif"
    if brand in _BRANDS_HEIC:
        return "image/heic"
    return None


def _sniff_isobmff(head: bytes) -> Sniffed | None:
    if len(head) < 12:
        return None
    box = head[4:8]
    if box in (b"moov", b"mdat", b"wide", b"pnot"):  # old QuickTime files start without ftyp
        return _found("video/quicktime")
    if box != b"ftyp":
        return None
    (size,) = struct.unpack_from(">I", head, 0)
    major = head[8:12]
    detail = major.decode("latin-1").strip()
    mime = _brand_type(major)
    if mime is None:  # an unknown major brand: the compatible brands may say what it is
        compatible = [head[i:i + 4] for i in range(16, min(size, len(head)) - 3, 4)]
        mime = next((m for m in map(_brand_type, compatible) if m), "application/mp4")
    return _found(mime, detail=detail)


_OGG_CODECS = (
    (b"OpusHead", "opus"), (b"\x01vorbis", "vorbis"), (b"Speex   ", "speex"),
    (b"\x7fFLAC", "flac"), (b"\x80theora", "theora"),
)


def _sniff_ogg(head: bytes) -> Sniffed | None:
    if head[:4] != b"OggS" or len(head) < 27 or head[4] != 0:
        return None
    # The first page's first packet identifies the codec: after the 27-byte page header
    # and the segment table (one lacing byte per segment, count at offset 26).
    packet = head[27 + head[26]:]
    codec = next((name for magic, name in _OGG_CODECS if packet.startswith(magic)), None)
    if codec == "theora":
        return _found("video/ogg", detail=codec)
    return _found("audio/ogg", detail=codec)


_MP3_KBPS = {
    True: (0, 32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320, 0),  # MPEG-1
    False: (0, 8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160, 0),  # MPEG-2/2.5
}
_MP3_RATES = {3: (44100, 48000, 32000), 2: (22050, 24000, 16000), 0: (11025, 12000, 8000)}


def _mp3_frame_length(head: bytes, pos: int) -> int | None:
    """Length of the MPEG audio Layer III frame at ``pos``, None if no valid header is there."""
    if pos + 4 > len(head) or head[pos] != 0xFF or head[pos + 1] & 0xE0 != 0xE0:
        return None
    b1, b2, b3 = head[pos + 1], head[pos + 2], head[pos + 3]
    version, layer = (b1 >> 3) & 3, (b1 >> 1) & 3
    bitrate_index, rate_index = b2 >> 4, (b2 >> 2) & 3
    if version == 1 or layer != 1 or rate_index == 3 or b3 & 3 == 2:
        return None  # reserved version, not layer III, reserved rate or emphasis
    kbps = _MP3_KBPS[version == 3][bitrate_index]
    if not kbps:
        return None  # free format or the bad index
    factor = 144 if version == 3 else 72
    return factor * kbps * 1000 // _MP3_RATES[version][rate_index] + ((b2 >> 1) & 1)


def _adts_frame_length(head: bytes, pos: int) -> int | None:
    """Length of the ADTS frame at ``pos`` (sync 0xFFF, layer 00), None if there is none."""
    if pos + 7 > len(head) or head[pos] != 0xFF or head[pos + 1] & 0xF6 != 0xF0:
        return None
    if (head[pos + 2] >> 2) & 0xF > 12:
        return None  # reserved sampling frequency index
    length = ((head[pos + 3] & 3) << 11) | (head[pos + 4] << 3) | (head[pos + 5] >> 5)
    header = 7 if head[pos + 1] & 1 else 9
    return length if length >= header else None


def _frames_at(head: bytes, pos: int, frame_length) -> bool:
    """A valid frame at ``pos``, and another right after it when the head reaches that far."""
    length = frame_length(head, pos)
    if length is None:
        return False
    following = pos + length
    return following + 4 > len(head) or frame_length(head, following) is not None


def _sniff_audio_stream(head: bytes, pos: int = 0) -> Sniffed | None:
    if head[pos:pos + 4] == b"fLaC":
        return _found("audio/flac")
    if _frames_at(head, pos, _adts_frame_length):
        return _found("audio/aac", detail="adts")
    if _frames_at(head, pos, _mp3_frame_length):
        return _found("audio/mpeg")
    return None


def _sniff_id3(head: bytes) -> Sniffed | None:
    # ID3v2: "ID3", major version 2-4, revision, flags, then a 28-bit syncsafe size.
    if head[:3] != b"ID3" or len(head) < 10 or head[3] not in (2, 3, 4) or head[4] == 0xFF:
        return None
    if any(b & 0x80 for b in head[6:10]):
        return None
    size = (head[6] << 21) | (head[7] << 14) | (head[8] << 7) | head[9]
    end = 10 + size + (10 if head[5] & 0x10 else 0)  # a footer follows when flagged
    if end >= len(head):
        return _found("audio/mpeg", detail="id3")  # the tag outlasts the head (cover art)
    # ID3 tags also prefix FLAC and AAC: what follows the tag decides.
    return _sniff_audio_stream(head, end) or _found("audio/mpeg", detail="id3")

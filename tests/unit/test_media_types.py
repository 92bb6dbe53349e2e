"""What WhatsApp takes as media: sniffing real (generated) files and the upload rules."""
from __future__ import annotations

import io
import re
import struct

import pytest
from PIL import Image

from app.errors import PayloadTooLarge, UnsupportedMediaType, ValidationError
from app.utils.media_types import (
    CATEGORIES,
    KB,
    MAX_BYTES_BY_CATEGORY,
    MB,
    SNIFF_BYTES,
    SUPPORTED_TYPES,
    MediaCheck,
    Sniffed,
    check_media,
    extension_for,
    max_bytes_for,
    normalize_mime_type,
    sniff,
)
from tests.fixtures import media_files as files

DOC = "application/msword"
XLS = "application/vnd.ms-excel"
PPT = "application/vnd.ms-powerpoint"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
PPTX = "application/vnd.openxmlformats-officedocument.presentationml.presentation"


def check(data: bytes, declared: str | None, filename: str | None = None, size: int | None = -1):
    """check_media as the upload endpoint calls it: the head, and the whole size by default."""
    return check_media(data[:SNIFF_BYTES], declared, len(data) if size == -1 else size, filename)


# --------------------------------------------------------------------------- the table


def test_table_holds_exactly_whatsapps_types_with_their_categories():
    assert {mime: spec.category for mime, spec in SUPPORTED_TYPES.items()} == {
        "image/jpeg": "image", "image/png": "image",
        "video/mp4": "video", "video/3gpp": "video",
        "audio/aac": "audio", "audio/amr": "audio", "audio/mpeg": "audio", "audio/mp4": "audio",
        "audio/ogg": "audio",
        "image/webp": "sticker",
        "text/plain": "document", "application/pdf": "document", DOC: "document",
        DOCX: "document", XLS: "document", XLSX: "document", PPT: "document", PPTX: "document",
    }


def test_category_limits_are_whatsapps_in_binary_megabytes():
    assert dict(MAX_BYTES_BY_CATEGORY) == {
        "image": 5 * 1024 * 1024, "video": 16 * 1024 * 1024, "audio": 16 * 1024 * 1024,
        "sticker": 500 * 1024, "document": 100 * 1024 * 1024,
    }
    assert set(CATEGORIES) == set(MAX_BYTES_BY_CATEGORY)
    assert SNIFF_BYTES == 8192


# --------------------------------------------------------------------------- sniffing


@pytest.mark.parametrize(("make", "expected"), [
    (files.jpeg, Sniffed("image/jpeg", "image")),
    (files.png, Sniffed("image/png", "image")),
    (files.webp_static, Sniffed("image/webp", "sticker", animated=False, detail="lossy")),
    (files.webp_animated, Sniffed("image/webp", "sticker", animated=True, detail="extended")),
    (files.mp4, Sniffed("video/mp4", "video", detail="isom")),
    (files.three_gp, Sniffed("video/3gpp", "video", detail="3gp4")),
    (files.m4a, Sniffed("audio/mp4", "audio", detail="M4A")),
    (files.ogg_opus, Sniffed("audio/ogg", "audio", detail="opus")),
    (files.ogg_vorbis_head, Sniffed("audio/ogg", "audio", detail="vorbis")),
    (files.mp3, Sniffed("audio/mpeg", "audio")),
    (files.aac_adts, Sniffed("audio/aac", "audio", detail="adts")),
    (files.amr, Sniffed("audio/amr", "audio")),
    (files.pdf, Sniffed("application/pdf", "document")),
    (files.docx, Sniffed(DOCX, "document", detail="zip")),
    (files.xlsx, Sniffed(XLSX, "document", detail="zip")),
    (files.cfb, Sniffed(DOC, "document", detail="ole2")),
    (files.text, Sniffed("text/plain", "document")),
    (files.gif, Sniffed("image/gif", None)),
    (files.zip_archive, Sniffed("application/zip", None, detail="zip")),
    (files.exe, Sniffed("application/x-executable", None)),
], ids=lambda value: getattr(value, "__name__", ""))
def test_each_generated_file_sniffs_as_its_real_type(make, expected):
    assert sniff(make()) == expected


@pytest.mark.parametrize("make", [files.jpeg, files.png, files.webp_static, files.webp_animated])
def test_generated_images_open_with_pillow(make):
    data = make()
    Image.open(io.BytesIO(data)).verify()
    image = Image.open(io.BytesIO(data))
    image.load()
    assert image.size == (8, 8)


def test_generated_animated_webp_has_several_frames_and_the_static_one_has_one():
    animated = Image.open(io.BytesIO(files.webp_animated(frames=3)))
    assert (animated.format, animated.is_animated, animated.n_frames) == ("WEBP", True, 3)
    static = Image.open(io.BytesIO(files.webp_static()))
    assert (static.format, getattr(static, "is_animated", False)) == ("WEBP", False)


def test_ole2_kind_comes_from_the_stream_names_in_the_directory():
    assert sniff(files.cfb("Workbook")).mime_type == XLS
    assert sniff(files.cfb("PowerPoint Document")).mime_type == PPT
    assert sniff(files.cfb("WordDocument"), "slides.ppt").mime_type == DOC  # the bytes win


def test_ole2_without_known_streams_falls_back_on_declared_type_then_extension():
    data = files.cfb("Data")
    assert sniff(data) == Sniffed("application/x-ole-storage", None, detail="ole2")
    assert sniff(data, "budget.XLS").mime_type == XLS
    assert sniff(data, declared_type=PPT).mime_type == PPT
    assert sniff(data, "budget.xls", declared_type=DOC).mime_type == DOC
    assert sniff(data, declared_type="image/png", filename="a.ppt").mime_type == PPT


def test_ooxml_zip_whose_parts_are_past_the_head_falls_back_on_declared_type_then_extension():
    # Only the first local header ([Content_Types].xml, stored, without the main type) is seen.
    name = b"[Content_Types].xml"
    data = b"PK\x03\x04" + struct.pack("<HHHHHIIIHH", 20, 0, 0, 0, 0, 0, 5, 5, len(name), 0) + name + b"<x/>\n"
    assert sniff(data) == Sniffed("application/zip", None, detail="zip")
    assert sniff(data, "sheet.xlsx").mime_type == XLSX
    assert sniff(data, "sheet.xlsx", declared_type=PPTX).mime_type == PPTX


def test_id3_tag_before_adts_sniffs_as_aac_and_a_bare_mp3_stream_as_mpeg():
    tag = files.mp3()[:files.mp3().index(files.MP3_FRAME_HEADER)]
    assert sniff(tag + files.aac_adts()).mime_type == "audio/aac"
    assert sniff(files.mp3()[len(tag):]) == Sniffed("audio/mpeg", "audio")


def test_mp3_tag_longer_than_the_head_still_sniffs_as_mpeg():
    big = files.padded(files.mp3(), 2 * SNIFF_BYTES)
    assert sniff(big[:SNIFF_BYTES]) == Sniffed("audio/mpeg", "audio", detail="id3")


def test_id3_tag_longer_than_the_head_is_accepted_as_mpeg_or_aac():
    big = files.padded(files.mp3(), 2 * SNIFF_BYTES)
    assert check(big, "audio/mpeg").mime_type == "audio/mpeg"
    assert check(big, "audio/aac").mime_type == "audio/aac"
    with pytest.raises(UnsupportedMediaType):
        check(big, "audio/ogg")


def test_text_cut_inside_a_utf8_character_at_the_head_boundary_is_still_text():
    data = b"a" * (SNIFF_BYTES - 1) + "é".encode()
    assert sniff(data).mime_type == "text/plain"


def test_unrecognised_binary_sniffs_as_nothing():
    assert sniff(bytes(range(256)) * 4) is None
    assert sniff("café".encode("latin-1")) is None


def test_sniff_detects_other_unsupported_formats():
    assert sniff(b"#!AMR-WB\n" + bytes(20)).mime_type == "audio/amr-wb"
    assert sniff(b"fLaC" + bytes(40)).mime_type == "audio/flac"
    assert sniff(b"\x1a\x45\xdf\xa3\x9f\x42\x82\x84webm" + bytes(20)).mime_type == "video/webm"
    assert sniff(b"\x00\x00\x00\x14ftypqt  \x00\x00\x00\x00qt  ").mime_type == "video/quicktime"
    assert sniff(b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic").mime_type == "image/heic"


def test_unknown_mp4_brand_is_classified_by_its_compatible_brands():
    head = b"\x00\x00\x00\x18ftypXYZ1\x00\x00\x00\x00XYZ1isom"
    assert sniff(head) == Sniffed("video/mp4", "video", detail="XYZ1")


# --------------------------------------------------------------------------- structure of the fixtures


def _ogg_crc_bitwise(data: bytes) -> int:
    """CRC-32 as Ogg uses it, written out bit by bit: poly 0x04C11DB7, init 0, no reflection."""
    crc = 0
    for byte in data:
        crc ^= byte << 24
        for _ in range(8):
            crc = ((crc << 1) ^ 0x04C11DB7) if crc & 0x80000000 else crc << 1
            crc &= 0xFFFFFFFF
    return crc


def test_ogg_crc_reference_matches_the_catalogued_check_value():
    # CRC-32/CKSUM's check value is 0x765E7680 with a final xor of 0xFFFFFFFF; Ogg has none.
    assert _ogg_crc_bitwise(b"123456789") == 0x765E7680 ^ 0xFFFFFFFF
    assert files.ogg_crc(b"123456789") == 0x89A1897F


def test_ogg_opus_pages_have_correct_crcs_flags_and_headers():
    data = files.ogg_opus()
    pages = files.ogg_pages(data)
    assert [offset for offset, _ in pages] == [0, len(pages[0][1])]
    assert sum(len(page) for _, page in pages) == len(data)
    for sequence, (_, page) in enumerate(pages):
        stored = struct.unpack_from("<I", page, 22)[0]
        assert stored == _ogg_crc_bitwise(page[:22] + b"\x00\x00\x00\x00" + page[26:])
        version, header_type, granule, serial, seq = struct.unpack_from("<BBqII", page, 4)
        assert (version, granule, serial, seq) == (0, 0, files.OGG_SERIAL, sequence)
    assert [page[5] for _, page in pages] == [0x02, 0x04]  # BOS first, EOS last
    first = pages[0][1]
    packet = first[27 + first[26]:]
    assert struct.unpack("<8sBBHIhB", packet) == (b"OpusHead", 1, 1, 312, 48000, 0, 0)
    second = pages[1][1]
    assert second[27 + second[26]:].startswith(b"OpusTags")


def _walk_boxes(data: bytes, start: int, end: int, path: str = "") -> list[str]:
    """Box paths, asserting that the children of each container add up to its payload."""
    containers = {b"moov", b"trak", b"mdia", b"minf", b"dinf", b"stbl"}
    seen, pos = [], start
    while pos < end:
        size, kind = struct.unpack_from(">I4s", data, pos)
        assert size >= 8
        name = path + kind.decode()
        seen.append(name)
        if kind in containers:
            seen += _walk_boxes(data, pos + 8, pos + size, name + "/")
        pos += size
    assert pos == end, f"boxes under {path or '/'} do not add up"
    return seen


@pytest.mark.parametrize("make", [files.mp4, files.m4a, files.three_gp])
def test_iso_bmff_box_sizes_add_up_to_the_file_and_moov_comes_before_mdat(make):
    data = make()
    boxes = _walk_boxes(data, 0, len(data))
    assert [b for b in boxes if "/" not in b] == ["ftyp", "moov", "mdat"]
    for needed in ("moov/mvhd", "moov/trak/tkhd", "moov/trak/mdia/mdhd", "moov/trak/mdia/hdlr",
                   "moov/trak/mdia/minf/stbl/stsd", "moov/trak/mdia/minf/stbl/stco"):
        assert needed in boxes


def test_mp4_handler_is_video_and_m4a_handler_is_sound():
    assert b"hdlr\x00\x00\x00\x00\x00\x00\x00\x00vide" in files.mp4()
    assert b"hdlr\x00\x00\x00\x00\x00\x00\x00\x00soun" in files.m4a()


def _check_pdf_xref(data: bytes) -> None:
    startxref = int(re.search(rb"startxref\n(\d+)\n%%EOF\n$", data).group(1))
    assert data[startxref:startxref + 5] == b"xref\n"
    entries = re.findall(rb"(\d{10}) (\d{5}) ([nf])\r\n", data[startxref:])
    assert entries[0] == (b"0000000000", b"65535", b"f")
    for number, (offset, _, _) in enumerate(entries[1:], start=1):
        assert data[int(offset):].startswith(b"%d 0 obj\n" % number)


def test_pdf_xref_offsets_point_at_their_objects():
    data = files.pdf()
    _check_pdf_xref(data)
    assert b"/Count 1" in data


@pytest.mark.parametrize("make", [files.jpeg, files.png, files.webp_static, files.webp_animated,
                                  files.mp4, files.mp3, files.pdf, files.text])
@pytest.mark.parametrize("extra", [1, 13, 1001])
def test_padded_files_have_the_exact_size_and_the_same_type(make, extra):
    data = make()
    grown = files.padded(data, len(data) + extra)
    assert len(grown) == len(data) + extra
    assert sniff(grown[:SNIFF_BYTES]) == sniff(data)
    if make in (files.jpeg, files.png, files.webp_static, files.webp_animated):
        Image.open(io.BytesIO(grown)).verify()
    if make is files.pdf:
        _check_pdf_xref(grown)
    if make is files.mp4:
        _walk_boxes(grown, 0, len(grown))


# --------------------------------------------------------------------------- check_media: accepted


@pytest.mark.parametrize(("make", "declared", "expected"), [
    (files.jpeg, "image/jpeg", MediaCheck("image/jpeg", "image", 5 * MB)),
    (files.png, "image/png", MediaCheck("image/png", "image", 5 * MB)),
    (files.mp4, "video/mp4", MediaCheck("video/mp4", "video", 16 * MB)),
    (files.three_gp, "video/3gpp", MediaCheck("video/3gpp", "video", 16 * MB)),
    (files.m4a, "audio/mp4", MediaCheck("audio/mp4", "audio", 16 * MB)),
    (files.ogg_opus, "audio/ogg", MediaCheck("audio/ogg", "audio", 16 * MB)),
    (files.mp3, "audio/mpeg", MediaCheck("audio/mpeg", "audio", 16 * MB)),
    (files.aac_adts, "audio/aac", MediaCheck("audio/aac", "audio", 16 * MB)),
    (files.amr, "audio/amr", MediaCheck("audio/amr", "audio", 16 * MB)),
    (files.webp_static, "image/webp", MediaCheck("image/webp", "sticker", 100 * KB, False)),
    (files.webp_animated, "image/webp", MediaCheck("image/webp", "sticker", 500 * KB, True)),
    (files.pdf, "application/pdf", MediaCheck("application/pdf", "document", 100 * MB)),
    (files.docx, DOCX, MediaCheck(DOCX, "document", 100 * MB)),
    (files.xlsx, XLSX, MediaCheck(XLSX, "document", 100 * MB)),
    (files.cfb, DOC, MediaCheck(DOC, "document", 100 * MB)),
    (files.text, "text/plain", MediaCheck("text/plain", "document", 100 * MB)),
], ids=lambda value: getattr(value, "__name__", "") if callable(value) else "")
def test_file_declared_as_its_real_type_is_accepted(make, declared, expected):
    assert check(make(), declared) == expected


@pytest.mark.parametrize("declared", [None, "", "application/octet-stream", "Application/Octet-Stream; x=1",
                                      "binary/octet-stream"])
def test_octet_stream_or_missing_declared_type_falls_back_on_sniffing(declared):
    assert check(files.png(), declared) == MediaCheck("image/png", "image", 5 * MB)
    assert check(files.webp_animated(), declared) == MediaCheck("image/webp", "sticker", 500 * KB, True)


@pytest.mark.parametrize(("make", "declared", "mime"), [
    (files.ogg_opus, "audio/ogg; codecs=opus", "audio/ogg"),
    (files.ogg_opus, "AUDIO/OGG;codecs=\"opus\"", "audio/ogg"),
    (files.png, " Image/PNG ; charset=binary", "image/png"),
    (files.text, "text/plain; charset=utf-8", "text/plain"),
    (files.jpeg, "image/jpg", "image/jpeg"),
    (files.mp3, "audio/mp3", "audio/mpeg"),
])
def test_declared_type_parameters_are_stripped_and_aliases_made_canonical(make, declared, mime):
    assert check(make(), declared).mime_type == mime


def test_audio_mp4_and_video_mp4_are_one_container_and_the_declared_type_decides():
    assert check(files.m4a(), "video/mp4") == MediaCheck("video/mp4", "video", 16 * MB)
    assert check(files.mp4(), "audio/mp4") == MediaCheck("audio/mp4", "audio", 16 * MB)


def test_text_plain_declared_for_any_utf8_text_is_accepted_even_if_it_looks_like_a_signature():
    data = b"%PDF- is how a PDF starts; this is a note about it.\n"
    assert check(data, "text/plain") == MediaCheck("text/plain", "document", 100 * MB)


def test_legacy_office_kind_from_declared_type_or_filename_when_the_bytes_cannot_tell():
    data = files.cfb("Data")
    assert check(data, PPT).mime_type == PPT
    assert check(data, None, "q3.xls").mime_type == XLS
    assert check(data, "application/octet-stream", "letter.doc").mime_type == DOC


def test_extension_for_check_result():
    assert check(files.m4a(), None).extension == ".m4a"


# --------------------------------------------------------------------------- check_media: 415


@pytest.mark.parametrize(("make", "declared", "detected", "phrase"), [
    (files.png, "image/jpeg", "image/png", "declared image/jpeg but the bytes are a PNG"),
    (files.jpeg, "image/png", "image/jpeg", "declared image/png but the bytes are a JPEG"),
    (files.pdf, "image/png", "application/pdf", "declared image/png but the bytes are a PDF"),
    (files.mp4, "audio/ogg", "video/mp4", "declared audio/ogg but the bytes are an MP4 video"),
    (files.three_gp, "video/mp4", "video/3gpp", "declared video/mp4 but the bytes are a 3GPP video"),
    (files.docx, XLSX, DOCX, "but the bytes are a Word (.docx) document"),
    (files.text, "application/pdf", "text/plain", "declared application/pdf but the bytes are plain text"),
    (files.webp_static, "image/png", "image/webp", "declared image/png but the bytes are a WebP"),
])
def test_lying_content_type_is_415_naming_both_types(make, declared, detected, phrase):
    with pytest.raises(UnsupportedMediaType) as raised:
        check(make(), declared)
    assert raised.value.status == 415
    assert raised.value.details == {"file": "declared type does not match the contents",
                                    "detected": detected, "declared": declared}
    assert phrase in raised.value.message
    assert "131053" in raised.value.message


def test_mismatch_details_show_the_declared_type_as_sent_without_parameters():
    with pytest.raises(UnsupportedMediaType) as raised:
        check(files.mp4(), "Audio/OGG; codecs=opus")
    assert raised.value.details["declared"] == "audio/ogg"


@pytest.mark.parametrize("declared", [None, "image/gif", "image/png", "application/octet-stream"])
def test_gif_is_415_whatever_is_declared(declared):
    with pytest.raises(UnsupportedMediaType) as raised:
        check(files.gif(), declared)
    assert raised.value.details == {"file": "type not supported by WhatsApp",
                                    "detected": "image/gif", "declared": declared}
    assert "a GIF (image/gif), which WhatsApp does not take" in raised.value.message


@pytest.mark.parametrize(("make", "detected"), [
    (files.zip_archive, "application/zip"),
    (files.exe, "application/x-executable"),
    (lambda: b"MZ" + bytes(62) + b"PE\x00\x00", "application/vnd.microsoft.portable-executable"),
    (lambda: b"BM" + struct.pack("<IHHII", 70, 0, 0, 54, 40) + bytes(56), "image/bmp"),
])
def test_unsupported_sniffed_type_is_415(make, detected):
    with pytest.raises(UnsupportedMediaType) as raised:
        check(make(), "application/octet-stream")
    assert raised.value.details["detected"] == detected


def test_declared_type_whatsapp_does_not_take_is_415():
    with pytest.raises(UnsupportedMediaType) as raised:
        check(files.png(), "image/bmp")
    assert raised.value.details == {"file": "type not supported by WhatsApp",
                                    "detected": "image/png", "declared": "image/bmp"}
    assert "image/bmp is not a media type WhatsApp takes" in raised.value.message


def test_unrecognised_contents_are_415_with_no_detected_type():
    with pytest.raises(UnsupportedMediaType) as raised:
        check(bytes(range(256)) * 4, "video/mp4")
    assert raised.value.details == {"file": "contents not recognised", "detected": None,
                                    "declared": "video/mp4"}


def test_text_plain_that_is_not_utf8_is_415():
    with pytest.raises(UnsupportedMediaType) as raised:
        check("naïve café\n".encode("latin-1"), "text/plain")
    assert "not UTF-8 text" in raised.value.message


def test_ogg_that_is_not_opus_is_415():
    with pytest.raises(UnsupportedMediaType) as raised:
        check(files.ogg_vorbis_head(), "audio/ogg")
    assert raised.value.details == {"file": "Ogg audio must be Opus", "detected": "audio/ogg",
                                    "declared": "audio/ogg"}


def test_legacy_office_file_of_unknown_kind_without_hints_is_415():
    with pytest.raises(UnsupportedMediaType) as raised:
        check(files.cfb("Data"), None, "attachment.bin")
    assert raised.value.details == {"file": "legacy Office kind unknown",
                                    "detected": "application/x-ole-storage", "declared": None}


def test_empty_file_is_a_validation_error_naming_file():
    with pytest.raises(ValidationError) as raised:
        check_media(b"", "image/png", 0)
    assert (raised.value.status, raised.value.details) == (400, {"file": "is empty"})
    with pytest.raises(ValidationError):
        check_media(b"", None, None)


# --------------------------------------------------------------------------- check_media: 413


@pytest.mark.parametrize(("make", "declared", "limit"), [
    (files.jpeg, "image/jpeg", 5 * MB),
    (files.png, "image/png", 5 * MB),
    (files.mp4, "video/mp4", 16 * MB),
    (files.mp3, "audio/mpeg", 16 * MB),
    (files.webp_static, "image/webp", 100 * KB),
    (files.webp_animated, "image/webp", 500 * KB),
], ids=["image", "image-png", "video", "audio", "static-sticker", "animated-sticker"])
def test_size_limit_passes_at_the_limit_and_fails_one_byte_over(make, declared, limit):
    at_limit = files.padded(make(), limit)
    assert len(at_limit) == limit
    assert check(at_limit, declared).max_bytes == limit

    over = files.padded(make(), limit + 1)
    with pytest.raises(PayloadTooLarge) as raised:
        check(over, declared)
    assert raised.value.status == 413
    assert raised.value.details == {"file": "is too large", "limit_bytes": limit, "size_bytes": limit + 1}


def test_padded_stickers_keep_their_animation_and_still_open():
    static = files.padded(files.webp_static(), 100 * KB + 1)
    animated = files.padded(files.webp_animated(), 500 * KB)
    assert sniff(static[:SNIFF_BYTES]).animated is False
    assert sniff(animated[:SNIFF_BYTES]).animated is True
    Image.open(io.BytesIO(static)).verify()
    assert Image.open(io.BytesIO(animated)).n_frames == 2


def test_static_sticker_over_100_kb_fails_where_an_animated_one_passes():
    with pytest.raises(PayloadTooLarge) as raised:
        check(files.webp_static(), "image/webp", size=300 * KB)
    assert raised.value.details["limit_bytes"] == 100 * KB
    assert check(files.webp_animated(), "image/webp", size=300 * KB).max_bytes == 500 * KB


@pytest.mark.parametrize(("make", "declared"), [
    (files.pdf, "application/pdf"), (files.docx, DOCX), (files.text, "text/plain"), (files.cfb, DOC),
])
def test_document_limit_is_100_mb_given_as_a_size(make, declared):
    assert check(make(), declared, size=100 * MB).max_bytes == 100 * MB
    with pytest.raises(PayloadTooLarge) as raised:
        check(make(), declared, size=100 * MB + 1)
    assert raised.value.details == {"file": "is too large", "limit_bytes": 100 * MB,
                                    "size_bytes": 100 * MB + 1}
    assert "104857600 bytes (100 MB)" in raised.value.message


def test_unknown_size_checks_only_the_type_and_reports_the_limit_for_streaming():
    assert check(files.mp4(), "video/mp4", size=None) == MediaCheck("video/mp4", "video", 16 * MB)
    with pytest.raises(UnsupportedMediaType):
        check(files.png(), "image/jpeg", size=None)


# --------------------------------------------------------------------------- helpers


@pytest.mark.parametrize(("mime", "animated", "limit"), [
    ("image/jpeg", None, 5 * MB), ("image/png", None, 5 * MB),
    ("video/mp4", None, 16 * MB), ("video/3gpp", None, 16 * MB),
    ("audio/aac", None, 16 * MB), ("audio/amr", None, 16 * MB), ("audio/mpeg", None, 16 * MB),
    ("audio/mp4", None, 16 * MB), ("audio/ogg; codecs=opus", None, 16 * MB),
    ("image/webp", False, 100 * KB), ("image/webp", True, 500 * KB), ("image/webp", None, 100 * KB),
    ("text/plain", None, 100 * MB), ("application/pdf", None, 100 * MB), (PPTX, None, 100 * MB),
])
def test_max_bytes_for(mime, animated, limit):
    assert max_bytes_for(mime, animated) == limit


def test_max_bytes_for_a_type_whatsapp_does_not_take_is_415():
    with pytest.raises(UnsupportedMediaType) as raised:
        max_bytes_for("image/gif")
    assert raised.value.details["declared"] == "image/gif"


@pytest.mark.parametrize(("mime", "extension"), [
    ("image/jpeg", ".jpg"), ("image/png", ".png"), ("image/webp", ".webp"), ("video/mp4", ".mp4"),
    ("video/3gpp", ".3gp"), ("audio/ogg", ".ogg"), ("audio/ogg; codecs=opus", ".ogg"),
    ("audio/mpeg", ".mp3"), ("audio/mp4", ".m4a"), ("audio/aac", ".aac"), ("audio/amr", ".amr"),
    ("application/pdf", ".pdf"), ("text/plain", ".txt"), (DOC, ".doc"), (DOCX, ".docx"),
    (XLS, ".xls"), (XLSX, ".xlsx"), (PPT, ".ppt"), (PPTX, ".pptx"), ("IMAGE/JPEG", ".jpg"),
    ("image/gif", ".gif"), ("application/zip", ".zip"), ("text/csv", ".csv"),
    ("application/x-made-up", ".bin"), (None, ".bin"), ("", ".bin"),
])
def test_extension_for(mime, extension):
    assert extension_for(mime) == extension


def test_normalize_mime_type():
    assert normalize_mime_type("Audio/OGG; codecs=opus") == "audio/ogg"
    assert normalize_mime_type("image/pjpeg") == "image/jpeg"
    assert normalize_mime_type("  ") is None
    assert normalize_mime_type(None) is None

"""Subtitles: sidecar files found beside a video, SRT/VTT read in any usual encoding, embedded streams read."""

import json
import os
from pathlib import Path

import pytest
from subtitle_files import ASS, SRT, VTT, mkv_with_subtitles, write_text

from vidx.errors import SubtitleError
from vidx.indexer.sidecars import SidecarFinder, fingerprint
from vidx.indexer.subtitles import read_subtitles
from vidx.media.subtitle_streams import EmbeddedSubtitles, embedded_subtitles
from vidx.said import Segment

EXTENSIONS = (".mp4", ".mkv")
CAT = [
    Segment(0.5, 2.0, "please remember to feed the cat", "subtitles"),
    Segment(2.5, 4.0, "before dinner", "subtitles"),
]
KITE = [
    Segment(1.0, 3.25, "the kite is flying & high", "subtitles"),
    Segment(3.5, 5.0, "over the hill", "subtitles"),
]


def test_srt_cues_with_tags_dropped(tmp_path):
    assert read_subtitles(write_text(tmp_path / "a.srt", SRT)) == CAT


def test_vtt_header_notes_identifiers_settings_voices_and_entities(tmp_path):
    assert read_subtitles(write_text(tmp_path / "a.vtt", VTT)) == KITE


@pytest.mark.parametrize(
    "encoding, mark, text",
    [
        ("utf-8", "", "Ça va, Zoë ? ☂"),
        ("utf-8", "\ufeff", "Ça va, Zoë ? ☂"),
        ("utf-16-le", "\ufeff", "Ça va, Zoë ? ☂"),
        ("utf-16-be", "\ufeff", "Ça va, Zoë ? ☂"),
        ("cp1252", "", "Ça va, Zoë ? “quoted” – €5"),
        ("latin-1", "", "Ça va, Zoë ? \x81"),  # 0x81 is no cp1252 character
    ],
)
def test_encodings(tmp_path, encoding, mark, text):
    srt = write_text(tmp_path / "a.srt", f"{mark}1\r\n00:00:01,000 --> 00:00:02,000\r\n{text}\r\n", encoding)
    assert read_subtitles(srt) == [Segment(1.0, 2.0, text, "subtitles")]


def test_lenient_where_real_files_are_sloppy(tmp_path):
    text = "00:01.5 --> 00:02.25\nno number, no hours\n\nand a blank line inside the cue\n\n7\n00:00:03.000 --> 00:00:04,000\ndot and comma\n"
    assert read_subtitles(write_text(tmp_path / "a.srt", text)) == [
        Segment(1.5, 2.25, "no number, no hours and a blank line inside the cue", "subtitles"),
        Segment(3.0, 4.0, "dot and comma", "subtitles"),
    ]


def test_cues_without_text_are_dropped(tmp_path):
    text = "1\n00:00:01,000 --> 00:00:02,000\n<i> </i>\n\n2\n00:00:03,000 --> 00:00:04,000\nwords\n"
    assert read_subtitles(write_text(tmp_path / "a.srt", text)) == [Segment(3.0, 4.0, "words", "subtitles")]


def test_an_empty_file_has_no_cues(tmp_path):
    assert read_subtitles(write_text(tmp_path / "a.srt", "\n\n")) == []
    assert read_subtitles(write_text(tmp_path / "a.vtt", "WEBVTT\n")) == []


@pytest.mark.parametrize(
    "name, data, reason",
    [
        ("a.srt", b"\x00\x01\x02PNG\x00junk", "binary data, not subtitles"),
        ("a.srt", b"\xff\xfe\x00\xd8", "not valid UTF-16 after its byte-order mark"),
        (
            "a.srt",
            b"1\n00:00:01,000 -> 00:00:02,000\nhello\n",
            "line 2: cannot read the cue timing '00:00:01,000 -> 00:00:02,000'",
        ),
        (
            "a.srt",
            b"1\n00:00:01,000 --> 00:00:02,000\nhi\n\n2\n00:00:03,000 --> 00:00:9,000\nyo\n",
            "line 6: cannot read the cue timing '00:00:03,000 --> 00:00:9,000'",
        ),
        (
            "a.srt",
            b"1\n00:00:01,000 --> 00:00:02,000\nhi\n\n00:00:61,000 --> 00:01:02,000\nyo\n",
            "line 5: cannot read the cue timing '00:00:61,000 --> 00:01:02,000'",
        ),
        (
            "a.srt",
            b"1\n00:00:05,000 --> 00:00:02,000\nhello\n",
            "line 2: the cue ends before it starts ('00:00:05,000 --> 00:00:02,000')",
        ),
        (
            "a.srt",
            b"just some notes\nabout the film\n",
            "line 1: expected a cue timing such as 00:00:01,000 --> 00:00:02,500",
        ),
        ("a.vtt", b"1\n00:00:01.000 --> 00:00:02.000\nhello\n", "not a WebVTT file (its first line must be WEBVTT)"),
        ("a.vtt", b"WEBVTT\n\nhello there\n", "line 3: expected a cue timing such as 00:00:01,000 --> 00:00:02,500"),
    ],
)
def test_unreadable_files_are_named_with_the_reason(tmp_path, name, data, reason):
    path = tmp_path / name
    path.write_bytes(data)
    with pytest.raises(SubtitleError) as error:
        read_subtitles(path)
    assert str(error.value) == f"{path}: {reason}"


def test_a_file_too_large_or_gone(tmp_path):
    big = tmp_path / "big.srt"
    with open(big, "wb") as f:
        f.truncate((16 << 20) + 1)
    with pytest.raises(SubtitleError, match=f"^{big}: larger than 16 MB, not a subtitle file$"):
        read_subtitles(big)
    with pytest.raises(SubtitleError, match=f"^{tmp_path}/gone.srt: cannot read it \\(No such file or directory\\)$"):
        read_subtitles(tmp_path / "gone.srt")


def names(found):
    return [s.path.name for s in found]


def test_sidecars_by_stem_and_language(tmp_path):
    for name in [
        "kite.mp4", "kite.srt", "kite.en.vtt", "kite.pt-BR.srt", "kite.SRT.txt", "kite.EN.SRT", "kite.extra.srt",
        "kite2.srt", "other.mp4", "other.fr.srt", "notes.txt",
    ]:  # fmt: skip
        (tmp_path / name).write_text("")
    finder = SidecarFinder(EXTENSIONS)
    assert names(finder.of(tmp_path / "kite.mp4")) == ["kite.EN.SRT", "kite.en.vtt", "kite.pt-BR.srt", "kite.srt"]
    assert names(finder.of(tmp_path / "other.mp4")) == ["other.fr.srt"]
    assert names(finder.of(tmp_path / "kite2.mp4")) == ["kite2.srt"]


def test_a_sidecar_named_for_another_video_is_that_videos(tmp_path):
    for name in ["kite.mp4", "kite.en.mp4", "kite.en.srt", "kite.de.srt"]:
        (tmp_path / name).write_text("")
    finder = SidecarFinder(EXTENSIONS)
    assert names(finder.of(tmp_path / "kite.mp4")) == ["kite.de.srt"]
    assert names(finder.of(tmp_path / "kite.en.mp4")) == ["kite.en.srt"]


def test_folders_are_listed_once_per_finder(tmp_path):
    (tmp_path / "kite.mp4").write_text("")
    finder = SidecarFinder(EXTENSIONS)
    assert finder.of(tmp_path / "kite.mp4") == []
    (tmp_path / "kite.srt").write_text("")
    assert finder.of(tmp_path / "kite.mp4") == []
    assert names(SidecarFinder(EXTENSIONS).of(tmp_path / "kite.mp4")) == ["kite.srt"]
    assert SidecarFinder(EXTENSIONS).of(tmp_path / "nowhere" / "kite.mp4") == []


def test_fingerprint_follows_name_size_and_mtime(tmp_path):
    srt = write_text(tmp_path / "kite.srt", SRT)
    os.utime(srt, ns=(1, 2_000_000_000))
    (tmp_path / "folder.srt").mkdir()  # a folder so named is no sidecar

    def current():
        return fingerprint(SidecarFinder(EXTENSIONS).of(tmp_path / "kite.mp4"))

    before = current()
    assert before == f'[["kite.srt", {len(SRT)}, 2000000000]]'
    os.utime(srt, ns=(1, 3_000_000_000))
    assert current() != before
    assert fingerprint([]) == "[]"


def test_embedded_subrip_ass_and_webvtt_streams(tmp_path):
    video = mkv_with_subtitles(
        tmp_path / "film.mkv",
        [write_text(tmp_path / "s.srt", SRT), write_text(tmp_path / "s.ass", ASS), write_text(tmp_path / "s.vtt", VTT)],
    )
    found = embedded_subtitles(video)
    assert found.bitmap_streams == 0
    assert found.segments == sorted(
        [*CAT, *KITE, Segment(1.0, 2.5, "the lighthouse at night", "subtitles")], key=lambda s: (s.start, s.end)
    )


def test_an_embedded_mov_text_stream():
    """MP4's own text subtitles. PyAV cannot write them (FFmpeg's mov_text encoder needs a header it cannot set), so
    the file is committed (2.9 KB), made by the ffmpeg command-line tool from SRT cues:
    ffmpeg -f lavfi -i color=black:s=64x64:r=10:d=3 -i s.srt -c:v libx264 -crf 51 -pix_fmt yuv420p -c:s mov_text
    -metadata:s:s:0 language=eng movtext.mp4"""
    found = embedded_subtitles(Path(__file__).with_name("media") / "movtext.mp4")
    assert found == EmbeddedSubtitles(
        [
            Segment(0.5, 1.5, "please remember to feed the cat", "subtitles"),
            Segment(2.0, 3.0, "before dinner", "subtitles"),
        ],
        0,
    )


def test_bitmap_streams_are_counted_not_read(tmp_path):
    video = mkv_with_subtitles(tmp_path / "film.mkv", [write_text(tmp_path / "s.srt", SRT)], bitmap=True)
    found = embedded_subtitles(video)
    assert (found.segments, found.bitmap_streams) == (CAT, 1)
    only_bitmap = embedded_subtitles(mkv_with_subtitles(tmp_path / "pgs.mkv", [], bitmap=True))
    assert (only_bitmap.segments, only_bitmap.bitmap_streams) == ([], 1)


def test_a_video_without_subtitles_or_not_a_video(tmp_path):
    plain = embedded_subtitles(mkv_with_subtitles(tmp_path / "plain.mkv", []))
    assert (plain.segments, plain.bitmap_streams) == ([], 0)
    junk = tmp_path / "junk.mkv"
    junk.write_bytes(b"not a video at all" * 10)
    with pytest.raises(SubtitleError, match=f"^{junk}: cannot read its subtitle streams \\(.+\\)$"):
        embedded_subtitles(junk)


def test_a_name_that_is_not_utf8(tmp_path):
    video = mkv_with_subtitles(tmp_path / "film.mkv", [write_text(tmp_path / "s.srt", SRT)])
    odd = os.fsdecode(os.fsencode(str(tmp_path)) + b"/caf\xe9.mkv")
    os.rename(video, odd)
    assert embedded_subtitles(odd).segments == CAT


def test_a_videos_words_from_sidecars_and_streams_with_one_warning_per_unreadable_file(tmp_path):
    from vidx.indexer.subtitle_words import SubtitleReader

    video = mkv_with_subtitles(tmp_path / "film.mkv", [write_text(tmp_path / "s.vtt", VTT)], bitmap=True)
    write_text(tmp_path / "film.en.srt", SRT)
    (tmp_path / "film.de.srt").write_bytes(b"\x00binary")
    reader = SubtitleReader(EXTENSIONS)
    words = reader.read(video)
    assert words.segments == CAT + KITE
    assert words.bitmap_streams == 1
    assert reader.warnings == [f"{tmp_path}/film.de.srt: binary data, not subtitles"]
    assert [name for name, _, _ in json.loads(words.sidecars)] == ["film.de.srt", "film.en.srt"]
    assert reader.fingerprint(video) == words.sidecars

    junk = write_text(tmp_path / "junk.mkv", "not a video")
    broken = reader.read(junk)
    assert (broken.segments, broken.sidecars, broken.bitmap_streams) == ([], "[]", 0)
    assert [w.split(" (")[0] for w in reader.warnings[1:]] == [f"{junk}: cannot read its subtitle streams"]

"""Export: the asked span as H.264 MP4, cut to the frame, a picture from the first frame, sound kept."""

import os
import shutil

import av
import numpy as np
import pytest
import videos
from conftest import SHARED_VIDEOS, vidx_subprocess

import vidx
from vidx.media.export import ExportError, export, export_into, export_name

FRAME = 0.1  # the made videos run at 10 fps
EXACT = 0.002  # frames keep their source times, so the file ends where asked, not just within a frame


def shown(start, end):
    """How many source frames are on screen between start and end (frame i covers i/10 to (i+1)/10 s)."""
    return int(np.ceil(round(end / FRAME, 6))) - int(np.floor(round(start / FRAME, 6)))


@pytest.fixture(scope="module")
def source(tmp_path_factory):
    """Grey 4 s, red 4 s, grey 4 s; a 440 Hz tone only while red; keyframes at 0, 5 and 10 s."""
    frames = videos.segments((videos.GREY, 4), (videos.RED, 4), (videos.GREY, 4))
    return videos.write_av(tmp_path_factory.mktemp("src") / "grey red grey.mp4", frames, sound=(4, 8), gop=50)


@pytest.fixture(scope="module")
def silent(tmp_path_factory):
    """The same pictures through OpenCV's MPEG-4 writer: no sound track, every frame its own keyframe or not."""
    frames = videos.segments((videos.GREY, 4), (videos.RED, 4), (videos.GREY, 4))
    return videos.write(tmp_path_factory.mktemp("src") / "silent.mp4", frames)


def decode(path):
    """(frame times, frame colours as 'grey'/'red'/'black', picture end, audio samples or None, audio rate)."""
    with av.open(str(path)) as c:
        assert c.format.name.startswith("mov,mp4")
        v = c.streams.video[0]
        assert (v.codec_context.name, v.codec_context.pix_fmt) == ("h264", "yuv420p")
        frames = list(c.decode(video=0))
        times = [float(f.pts * f.time_base) for f in frames]
        end = float(v.duration * v.time_base)
        colours = [colour(f.to_ndarray(format="rgb24").mean(axis=(0, 1))) for f in frames]
        if not c.streams.audio:
            return times, colours, end, None, None
        a = c.streams.audio[0]
        assert a.codec_context.name == "aac"
        c.seek(0)
        samples = np.concatenate([f.to_ndarray()[0] for f in c.decode(audio=0)])
        return times, colours, end, samples, a.codec_context.sample_rate


def colour(rgb):
    r, g, b = rgb
    if max(r, g, b) < 40:
        return "black"
    return "red" if r > 150 and g < 90 else "grey" if abs(r - g) < 20 and abs(g - b) < 20 else f"other {rgb}"


def loud(samples, rate, start, end):
    return float(np.sqrt(np.mean(samples[int(start * rate) : int(end * rate)] ** 2)))


@pytest.mark.parametrize(
    ("start", "end", "red_from", "red_until"),
    [
        (3.55, 6.25, 0.45, None),  # starts mid-GOP: decoded from the keyframe at 0
        (5.0, 5.5, 0.0, None),  # starts on a keyframe
        (7.05, 11.95, 0.0, 0.95),  # ends a frame before the end of the video
    ],
)
def test_span_cut_to_the_frame_with_its_sound(tmp_path, source, start, end, red_from, red_until):
    out = tmp_path / "clip.mp4"
    done = export(source, start, end, out)
    assert (done.path, done.start, done.end, done.audio) == (out, start, end, True)
    times, colours, picture_end, samples, rate = decode(out)
    assert times[0] == 0.0 and colours[0] != "black", "a picture from the very first instant"
    assert picture_end == pytest.approx(end - start, abs=EXACT)
    assert len(times) == shown(start, end)
    assert all(b > a for a, b in zip(times, times[1:], strict=False))
    red = [t for t, c in zip(times, colours, strict=True) if c == "red"]
    assert set(colours) <= {"grey", "red"}
    assert red[0] == pytest.approx(red_from, abs=FRAME)
    if red_until is not None:
        assert red[-1] + FRAME == pytest.approx(red_until, abs=FRAME)
        assert colours[-1] == "grey"
    # The sound: the tone plays exactly while the picture is red, in the export as in the source.
    assert len(samples) / rate == pytest.approx(end - start, abs=0.05)
    tone_end = red_until if red_until is not None else end - start
    assert loud(samples, rate, red_from + 0.05, tone_end - 0.05) > 0.1
    if red_from > 0.1:
        assert loud(samples, rate, 0, red_from - 0.05) < 0.01
    if red_until is not None:
        assert loud(samples, rate, red_until + 0.05, end - start) < 0.01


def test_pad_widens_within_the_video(tmp_path, source):
    done = export(source, 3.5, 6.0, tmp_path / "a.mp4", pad=1.0)
    assert (done.start, done.end) == (2.5, 7.0)
    assert decode(done.path)[2] == pytest.approx(4.5, abs=EXACT)
    clamped = export(source, 0.5, 11.5, tmp_path / "b.mp4", pad=3.0)
    assert (clamped.start, clamped.end) == (0.0, 12.0)
    assert decode(clamped.path)[2] == pytest.approx(12.0, abs=EXACT)


def test_source_without_sound(tmp_path, silent):
    done = export(silent, 3.05, 4.45, tmp_path / "s.mp4")
    assert done.audio is False
    times, colours, picture_end, samples, _ = decode(done.path)
    assert samples is None
    assert picture_end == pytest.approx(1.4, abs=EXACT)
    assert len(times) == shown(3.05, 4.45)
    assert (
        colours[0] == "grey" and colours[-1] == "red" and times[colours.index("red")] == pytest.approx(0.95, abs=FRAME)
    )


def test_export_into_names_the_file_after_the_span(tmp_path, source):
    done = export_into(tmp_path, 2, source, 3.2, 7.4, pad=1.0)
    assert done.path == tmp_path / "2-grey red grey-0002.2-0008.4.mp4"
    assert done.path.is_file()


@pytest.mark.parametrize(
    ("args", "name"),
    [
        ((1, "/v/holiday.mov", 12.4, 27.2), "1-holiday-0012.4-0027.2.mp4"),
        ((10, "clip.final.mkv", 0, 3.2), "10-clip.final-0000.0-0003.2.mp4"),
        ((4, "short.mp4", 6.84, 9.98), "4-short-0006.8-0010.0.mp4"),  # rounded as `vidx query` shows 0:06.8–0:10.0
        ((3, "long.mp4", 3725.0, 3790.0), "3-long-6205-6310.mp4"),
    ],
)
def test_export_name(args, name):
    assert export_name(*args) == name


def test_cli_export(run, tmp_path, source):
    out = tmp_path / "out.mp4"
    result = run("export", source, "0:03.56", "6.26", "-o", out)
    assert result.output == f"Wrote {out} (0:03.6–0:06.3 of {source})\n"
    assert decode(out)[2] == pytest.approx(2.7, abs=EXACT)
    umask = os.umask(0)
    os.umask(umask)
    assert out.stat().st_mode & 0o777 == 0o666 & ~umask, "as readable as any file the user makes"


def test_cli_export_pad_and_no_sound(run, tmp_path, silent):
    out = tmp_path / "out.mp4"
    result = run("export", silent, "1", "2", "-o", out, "--pad", "2")
    assert result.output == f"Wrote {out} (0:00.0–0:04.0 of {silent}, no sound track in the source)\n"


def test_a_name_that_is_not_utf8_exports_through_the_library_and_the_cli(run, tmp_path, source):
    folder = os.fsencode(tmp_path)
    name = os.fsdecode(os.path.join(folder, b"caf\xe9.mp4"))
    shutil.copyfile(source, name)
    with vidx.Library() as lib:
        done = lib.export(name, 3.55, 6.25, tmp_path / "library.mp4")
    assert (done.path, done.start, done.end, done.audio) == (tmp_path / "library.mp4", 3.55, 6.25, True)
    times, colours, picture_end, samples, rate = decode(done.path)
    assert (len(times), picture_end) == (shown(3.55, 6.25), pytest.approx(2.7, abs=EXACT))
    assert colours[0] == "grey" and "red" in colours and len(samples) / rate == pytest.approx(2.7, abs=0.05)

    out = os.fsdecode(os.path.join(folder, b"\xe9t\xe9.mp4"))
    result = run("export", name, "0:01", "0:00:02.5", "-o", out)
    assert result.output == f"Wrote {tmp_path}/\\xe9t\\xe9.mp4 (0:01.0–0:02.5 of {tmp_path}/caf\\xe9.mp4)\n"
    times, colours, picture_end, samples, rate = decode(out)
    assert (len(times), picture_end) == (shown(1, 2.5), pytest.approx(1.5, abs=EXACT))


def test_cli_errors_leave_nothing_behind(run, tmp_path, source):
    folder = tmp_path / "out"
    folder.mkdir()
    text = tmp_path / "notes.mp4"
    text.write_text("not a video")
    out = folder / "clip.mp4"
    cases = [
        ((tmp_path / "gone.mp4", "1", "2", "-o", out), 1, f"{tmp_path / 'gone.mp4'}: no such file (moved or deleted?)"),
        (
            (text, "1", "2", "-o", out),
            1,
            f"{text}: cannot read it as a video (Invalid data found when processing input)",
        ),
        ((source, "5", "5", "-o", out), 1, f"{source}: empty span 0:05.0 to 0:05.0: END must come after START"),
        ((source, "6", "0:05", "-o", out), 1, f"{source}: empty span 0:06.0 to 0:05.0: END must come after START"),
        (
            (source, "10", "13", "-o", out),
            1,
            f"{source}: the span ends at 0:13.0, past the end of the video (0:12.0)",
        ),
        (
            (source, "12", "13", "-o", out),
            1,
            f"{source}: the span starts at 0:12.0, past the end of the video (0:12.0)",
        ),
        (
            (source, "1", "2", "-o", tmp_path / "no" / "c.mp4"),
            1,
            f"{tmp_path / 'no'}: no such folder to write c.mp4 in",
        ),
        ((source, "1", "2", "-o", text / "c.mp4"), 1, f"{text}: no such folder to write c.mp4 in"),
        ((source, "1", "2", "-o", folder), 2, f"Invalid value for '-o' / '--output': File '{folder}' is a directory."),
        (
            (source, "1", "2", "-o", out, "--pad", "-1"),
            1,
            f"{source}: a span cannot be negative (asked 1 to 2, pad -1)",
        ),
        ((source, "1", "x", "-o", out), 2, "END must be seconds or mm:ss (or h:mm:ss), e.g. 75 or 1:15, got 'x'"),
    ]
    for args, code, message in cases:
        result = run("export", *args, check=False)
        assert (result.exit_code, result.output.splitlines()[-1]) == (code, f"Error: {message}"), args
    assert list(folder.iterdir()) == []


def test_write_failure_midway_leaves_nothing_behind(tmp_path, source):
    # A file size limit makes the write fail after the temporary file has grown: the run must remove it.
    prelude = (
        "import resource, signal\nsignal.signal(signal.SIGXFSZ, signal.SIG_IGN)\n"
        "resource.setrlimit(resource.RLIMIT_FSIZE, (20000, 20000))"
    )
    out = tmp_path / "big.mp4"
    result = vidx_subprocess("export", source, "0", "12", "-o", out, prelude=prelude, check=False)
    limit = "it would pass this process's file size limit of 20 KB (ulimit -f)"
    assert (result.returncode, result.stderr) == (1, f"Error: {out}: cannot write it: {limit}\n")
    assert list(tmp_path.iterdir()) == []


def test_errors_say_the_reason_apart_from_the_path(tmp_path, source):
    # The web app answers a bad span with the reason alone: it never shows a path.
    with pytest.raises(ExportError) as error:
        export(source, 10, 13, tmp_path / "x.mp4")
    assert error.value.reason == "the span ends at 0:13.0, past the end of the video (0:12.0)"
    assert str(error.value) == f"{source}: {error.value.reason}"


@pytest.mark.skipif(not SHARED_VIDEOS.is_dir(), reason="../shared/videos is absent: no real videos to export from")
@pytest.mark.parametrize(
    ("name", "start", "end", "frames", "sound"),
    [
        ("again.mkv", 1.0, 2.5, 45, False),  # Matroska, stream starting at 33 ms, 30 fps
        ("car-detection.mp4", 10.3, 14.77, 57, True),  # 12.5 fps with AAC
    ],
)
def test_real_videos(tmp_path, name, start, end, frames, sound):
    done = export(SHARED_VIDEOS / name, start, end, tmp_path / "real.mp4")
    times, colours, picture_end, samples, rate = decode(done.path)
    assert (times[0], len(times), done.audio) == (0.0, frames, sound)
    assert "black" not in colours[:1]
    assert picture_end == pytest.approx(end - start, abs=EXACT)
    if sound:
        assert len(samples) / rate == pytest.approx(end - start, abs=0.05)


def test_display_rotation_is_kept(tmp_path):
    source = videos.write_av(tmp_path / "phone.mp4", videos.segments((videos.RED, 3)), rotation=90)
    done = export(source, 0.5, 2.5, tmp_path / "upright.mp4")
    with av.open(str(done.path)) as c:
        assert next(c.decode(video=0)).rotation == 90

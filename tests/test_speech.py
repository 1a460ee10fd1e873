"""Speech: a video's audio decoded to 16 kHz mono, heard by the real Whisper base, in a process of its own that a
crash or a stall costs one file's speech only."""

import os
import signal
import subprocess
import sys

import numpy as np
import pytest
import speech_videos as sv
from processes import marking, wait_until_gone

from vidx.indexer.speech import DEBUG_CRASH, hear
from vidx.indexer.transcriber import Transcriber
from vidx.media.audio import RATE, AudioError, read_audio
from vidx.model.recogniser import Recogniser


def test_audio_is_16khz_mono_float(talk):
    audio = read_audio(talk["cat"])
    assert audio.samples.dtype == np.float32 and audio.samples.ndim == 1
    assert audio.seconds == pytest.approx(8, abs=0.1) and audio.offset == 0
    loud = np.flatnonzero(np.abs(audio.samples) > 0.05)
    # espeak-ng's line starts at 2 s and lasts about 3.5 s at -s 130.
    assert loud[0] / RATE == pytest.approx(2, abs=0.3) and 4.5 < loud[-1] / RATE < 6.5


def test_no_audio_track_is_none(talk):
    assert read_audio(talk["mute"]) is None


def test_unreadable_audio_gives_its_reason(tmp_path):
    bad = sv.undecodable(tmp_path / "bad.mkv")
    with pytest.raises(AudioError) as caught:
        read_audio(bad)
    assert str(caught.value) == f"{bad}: its audio cannot be decoded (Invalid data found when processing input)"
    text = tmp_path / "notes.mp4"
    text.write_text("not a video")
    with pytest.raises(AudioError) as caught:
        read_audio(text)
    assert str(caught.value) == f"{text}: cannot open it to read its audio (Invalid data found when processing input)"


def test_feed_the_cat_is_heard_at_its_time(talk, whisper_model):
    transcript = hear(talk["cat"], Recogniser(whisper_model, 2))
    assert transcript.error == "" and transcript.audio_seconds == pytest.approx(8, abs=0.1)
    [segment] = transcript.segments
    assert "feed the cat" in segment.text.lower()
    assert segment.source == "speech"
    assert segment.start == pytest.approx(2.0, abs=1) and segment.end == pytest.approx(5.5, abs=1)


def test_silence_and_no_audio_say_nothing_and_never_load_the_model(talk, whisper_model):
    recogniser = Recogniser(whisper_model, 2)
    silent = hear(talk["silent"], recogniser)
    assert (silent.segments, silent.error) == ((), "") and silent.audio_seconds == pytest.approx(8, abs=0.1)
    mute = hear(talk["mute"], recogniser)
    assert (mute.segments, mute.audio_seconds, mute.error) == ((), 0.0, "")
    # Noise above the silence gate goes through the voice-activity filter, which hears no voice in it.
    noise = (np.random.default_rng(0).standard_normal(5 * RATE) * 0.01).astype(np.float32)
    assert list(recogniser.segments(noise)) == []
    assert recogniser._model is None


def test_the_speech_process_hears_files_in_turn(talk, whisper_model, tmp_path, monkeypatch):
    bad = sv.undecodable(tmp_path / "bad.mkv")
    crash = sv.write_video(tmp_path / "crash.mp4", 4, sv.talking(4, []))
    monkeypatch.setenv(DEBUG_CRASH, "crash.mp4")
    with Transcriber(whisper_model, threads=2, timeout=120) as transcriber:
        for path in (talk["mute"], crash, talk["cat"], bad, talk["silent"]):
            transcriber.submit(path)
        heard = {t.path: t for t in transcriber.finish()}
        assert not transcriber.busy
    assert set(heard) == {talk["mute"], crash, talk["cat"], bad, talk["silent"]}
    assert heard[crash].error == f"{crash}: the speech engine crashed (exit code -11); its speech is not indexed"
    assert heard[bad].error == f"{bad}: its audio cannot be decoded (Invalid data found when processing input)"
    assert [s.text.lower() for s in heard[talk["cat"]].segments] == ["please remember to feed the cat before dinner."]
    for quiet in (talk["mute"], talk["silent"]):
        assert (heard[quiet].segments, heard[quiet].error) == ((), "")


def test_a_stalled_file_loses_its_speech_alone(talk, whisper_model):
    # A process that shows no progress within the timeout is replaced; the files after it are still heard.
    with Transcriber(whisper_model, threads=1, timeout=5) as transcriber:
        transcriber.submit(talk["cat"])
        transcriber.child.process.send_signal(signal.SIGSTOP)  # alive, and silent
        transcriber.submit(talk["mute"])
        heard = list(transcriber.finish())
    assert [t.path for t in heard] == [talk["cat"], talk["mute"]]
    assert heard[0].error == f"{talk['cat']}: no speech progress for 5 s (index.timeout); its speech is not indexed"
    assert heard[1].error == ""


def test_ready_never_waits(talk, whisper_model):
    with Transcriber(whisper_model, threads=1, timeout=60) as transcriber:
        assert transcriber.ready() == [] and not transcriber.busy and transcriber.child is None
        transcriber.submit(talk["mute"])
        assert transcriber.busy
        got = []
        while transcriber.busy:
            got += transcriber.ready()
        assert [t.path for t in got] == [talk["mute"]]


def test_the_speech_process_dies_with_its_parent(talk, whisper_model):
    # The parent is killed while the process is hearing: nothing it started outlives it.
    code = (
        "import sys, time; from pathlib import Path; from vidx.indexer.transcriber import Transcriber\n"
        f"t = Transcriber(Path({str(whisper_model)!r}), 1, 60); t.submit(Path({str(talk['cat'])!r}))\n"
        "print(t.child.process.pid, flush=True); time.sleep(60)"
    )
    with marking() as mark:
        parent = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
        child = int(parent.stdout.readline())
        assert os.path.exists(f"/proc/{child}")
        parent.kill()
        parent.wait()
        parent.stdout.close()
        assert wait_until_gone(mark, 30) == {}

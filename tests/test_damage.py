"""Damaged files: an index segment cut off or overwritten, vector rows overwritten, a catalogue page zeroed. No
command tracebacks; readers answer from what is intact and say so once; doctor finds each; --repair and the next
`vidx index` heal without the model's help for what can be rebuilt, and re-embed only what was lost."""

import json
import os
import shutil
import sqlite3

import numpy as np
import pytest
from conftest import as_json
from scribble import PARTS, scribble, scribble_part

from vidx.config import Home
from vidx.store import Catalog
from vidx.store.damage import is_catalogue_damage

SEARCHING_WITHOUT = "; searching without it until vidx index or vidx doctor --repair builds it again"
BUILDING_AGAIN = "; building the index again from the vector rows"
CHECKSUM = "its checksum is not the one recorded when it was written"


@pytest.fixture
def lib(lib, run, imported):
    """conftest's copy of the library, indexed."""
    run("index", lib, "--quiet")
    return lib


@pytest.fixture
def approximate(lib, run, monkeypatch, vidx_home):
    """The same library in IVF-PQ segments: a segment and the trained file it was cut from."""
    monkeypatch.setenv("VIDX_INDEX_ANN_THRESHOLD", "4")
    run("doctor", "--repair", check=False)
    assert as_json(run("status", "--json"))["index_kind"] == "approximate"
    return lib


def answers(run, *words):
    return {
        w: [(r["path"], r["score"]) for r in as_json(run("query", w, "--json", "-k", "6"))["results"]] for w in words
    }


# Each part of each kind of index file: a segment's, and its lists' (which hold neither codes nor ids).
SCRIBBLED = [("ann", part) for part in PARTS] + [("lists", "centres"), ("lists", "codebooks")]


def truncate(path):
    os.truncate(path, path.stat().st_size // 3)


def overwrite(path):
    path.write_bytes(np.random.default_rng(1).bytes(path.stat().st_size))


def scribble_inside(path):
    """Random bytes in the middle, the header left as it was: FAISS reads it without complaint."""
    size = path.stat().st_size
    with open(path, "r+b") as f:
        f.seek(size // 2)
        f.write(np.random.default_rng(2).bytes(size // 4))


@pytest.mark.parametrize("harm", [truncate, overwrite, scribble_inside])
def test_a_damaged_segment_is_searched_without_and_rebuilt_by_the_next_index(run, approximate, vidx_home, harm):
    """A reader reads a segment through when it first maps it: its checksum fails, the reader searches without that
    segment and says so, as doctor and the next writer do."""
    before = answers(run, "red", "darkening", "moving")
    (segment,) = (vidx_home / "index").glob("ann-*.faiss")
    harm(segment)

    query = run("query", "red", "--json", "-k", "6")
    assert query.stderr == f"The index file {segment} is damaged ({CHECKSUM}){SEARCHING_WITHOUT}\n"
    assert answers(run, "red", "darkening", "moving") == before, "the same answers, scored from the vector rows"
    assert as_json(run("status", "--json"))["index_kind"] == "approximate"
    sick = run("doctor", "--json", check=False)
    assert (sick.exit_code, as_json(sick)["problems"]) == (1, [f"The index file {segment} is damaged ({CHECKSUM})"])

    nothing_to_do = run("index", "--json")
    assert nothing_to_do.stderr == f"The index file {segment} is damaged ({CHECKSUM}){BUILDING_AGAIN}\n"
    assert json.loads(nothing_to_do.stdout)["unchanged"] == 6
    assert not segment.exists()
    assert as_json(run("doctor", "--json")) == {"healthy": True, "problems": [], "repaired": []}
    assert answers(run, "red", "darkening", "moving") == before


def test_a_segment_that_gives_ids_outside_its_range_is_searched_without(run, approximate, vidx_home):
    """Damage FAISS reads past, checksum and all (as a writer's bug would leave it): the ids it gives are not its own."""
    import faiss
    from test_incremental import as_written

    before = answers(run, "red", "darkening")
    (segment,) = (vidx_home / "index").glob("ann-*.faiss")
    index = faiss.read_index(str(segment))
    stray = np.zeros((1, index.d), np.float32)
    stray[0, 0] = 100.0  # "red", louder than any clip: the first candidate
    index.add_with_ids(stray, np.array([10**9], np.int64))
    faiss.write_index(index, str(segment))
    as_written(vidx_home, segment)

    query = run("query", "red", "--json", "-k", "6")
    assert query.stderr == f"The index file {segment} is damaged (it holds ids outside its range){SEARCHING_WITHOUT}\n"
    assert answers(run, "red", "darkening") == before


@pytest.mark.parametrize(("kind", "part"), SCRIBBLED)
def test_random_bytes_inside_an_index_file_are_found_and_healed(run, approximate, vidx_home, kind, part):
    """Damage FAISS reads without complaint, the header intact: a query reads a segment through once, when it first
    maps it, and looks at each search whether the file was written since; it then searches without it. The lists
    file serves writers only: a query has nothing to say of it. Healed once by `doctor --repair`, once by `index`."""
    before = answers(run, "red", "darkening", "moving")
    clips = as_json(run("status", "--json"))["clips"]
    for heal in ("doctor", "index"):
        (damaged,) = (vidx_home / "index").glob(f"{kind}-*.faiss")
        scribble_part(damaged, part)
        said = f"The index file {damaged} is damaged ({CHECKSUM})"

        query = run("query", "red", "--json", "-k", "6")
        assert query.stderr == (f"{said}{SEARCHING_WITHOUT}\n" if kind == "ann" else "")
        assert answers(run, "red", "darkening", "moving") == before
        sick = run("doctor", "--json", check=False)
        assert (sick.exit_code, as_json(sick)["problems"]) == (1, [said])
        if heal == "doctor":
            fixed = run("doctor", "--repair", "--json")
            assert json.loads(fixed.stdout)["repaired"] == [f"rebuilt the approximate index of {clips} clips"]
        else:
            assert run("index", "--quiet").stderr == f"{said}{BUILDING_AGAIN}\n"
        assert not damaged.exists()
        assert as_json(run("doctor", "--json"))["healthy"] is True
        assert answers(run, "red", "darkening", "moving") == before


def test_random_bytes_inside_vector_rows_are_left_out_said_and_embedded_again(run, approximate, vidx_home):
    """The rows are the only copy of a vector: a clip whose row is damaged is left out, not scored (random bytes in
    float16 are almost never all numbers), until `doctor --repair` drops its video and `vidx index` embeds it again."""
    before = answers(run, "red", "green", "moving")
    green = str(approximate / "colours" / "green.avi")
    catalog = Catalog(Home(vidx_home))
    ids, width = catalog.clip_ids(catalog.video(green).id), catalog.index_state().dim * 2
    catalog.close()
    scribble(vidx_home / "index" / "rows-00000.f16", ids[0] * width, (ids[-1] + 1) * width)

    query = run("query", "green", "--json", "-k", "6")
    assert query.stderr == (
        f"Some clip vectors in {vidx_home / 'index'} are damaged (they fail their checksums); their clips are left "
        "out until vidx doctor --repair drops their videos and vidx index embeds them again\n"
    )
    without = {w: [(path, score) for path, score in found if path != green] for w, found in before.items()}
    assert answers(run, "red", "green", "moving") == without
    sick = run("doctor", "--json", check=False)
    problem = f"{len(ids)} clips of 1 video have damaged vector rows in {vidx_home / 'index'}, e.g. {green}"
    assert (sick.exit_code, as_json(sick)["problems"]) == (1, [problem])
    fixed = run("doctor", "--repair", "--json")
    assert json.loads(fixed.stdout)["repaired"] == [
        "removed 1 video whose vectors were damaged; vidx index embeds them again"
    ]
    healed = as_json(run("index", "--json"))
    assert (healed["added"], healed["clips_embedded"]) == (1, len(ids))
    assert as_json(run("doctor", "--json"))["healthy"] is True
    after = answers(run, "red", "green", "moving")
    assert {w: sorted(a) for w, a in after.items()} == {w: sorted(a) for w, a in before.items()}, "ties aside"


def test_doctor_repair_rebuilds_damaged_lists(run, approximate, vidx_home):
    (trained,) = (vidx_home / "index").glob("lists-*.faiss")
    overwrite(trained)
    sick = run("doctor", "--json", check=False)
    assert (sick.exit_code, as_json(sick)["problems"]) == (1, [f"The index file {trained} is damaged ({CHECKSUM})"])
    clips = as_json(run("status", "--json"))["clips"]
    fixed = json.loads(run("doctor", "--repair", "--json").stdout)  # exit 0: all it found, it mended
    assert fixed["repaired"] == [f"rebuilt the approximate index of {clips} clips"]
    assert as_json(run("doctor", "--json"))["healthy"] is True


def test_a_segment_written_before_checksums_is_checked_once_and_stamped(run, approximate, vidx_home):
    """A home from before this vidx recorded checksums: its files are read through once, then carry one."""
    catalog = Catalog(Home(vidx_home))
    state = catalog.index_state()
    legacy = state.as_json().replace(f',"crc":{state.segments[0].crc}', "").replace(f',"crc":{state.lists[0].crc}', "")
    with catalog.db:
        catalog.db.execute("update meta set value = ? where key = 'vector_index'", [legacy])
    assert catalog.index_state().segments[0].crc == 0
    truncate(vidx_home / "index" / state.segments[0].file)
    damaged = f"The index file {vidx_home / 'index' / state.segments[0].file} is damaged (FAISS cannot read it)"
    assert as_json(run("doctor", "--json", check=False))["problems"] == [damaged]
    assert run("index", "--quiet").stderr == f"{damaged}{BUILDING_AGAIN}\n"
    rebuilt = catalog.index_state()
    assert rebuilt.segments[0].crc and rebuilt.lists[0].crc
    assert as_json(run("doctor", "--json"))["healthy"] is True


def row_of(vidx_home, path, nth=0):
    """The byte offset of the vector row of `path`'s `nth` clip, and the row's width in bytes."""
    catalog = Catalog(Home(vidx_home))
    clip = catalog.clip_ids(catalog.video(str(path)).id)[nth]
    width = catalog.index_state().dim * 2
    catalog.close()
    return clip * width, width


def test_damaged_vector_rows_are_never_answered_and_are_embedded_again(run, lib, vidx_home):
    before = answers(run, "red", "green", "moving")
    rows = vidx_home / "index" / "rows-00000.f16"
    # Green's first row now says "red" louder than any clip can (the largest float16), fade_in's is not a number.
    at, width = row_of(vidx_home, lib / "colours" / "green.avi")
    loud = np.zeros(width // 2, np.float16)
    loud[0] = np.finfo(np.float16).max
    nan_at, _ = row_of(vidx_home, lib / "light" / "fade_in.mp4")
    with open(rows, "r+b") as f:
        f.seek(at)
        f.write(loud.tobytes())
        f.seek(nan_at)
        f.write(np.full(width // 2, np.nan, np.float16).tobytes())

    query = run("query", "red", "--json", "-k", "6")
    scores = [r["score"] for r in json.loads(query.stdout)["results"]]
    assert all(np.isfinite(scores)) and max(scores) == before["red"][0][1], scores
    assert json.loads(query.stdout)["results"][0]["path"] == str(lib / "colours" / "red.mp4")
    assert query.stderr == (
        f"Some clip vectors in {vidx_home / 'index'} are damaged (they fail their checksums); their clips are left "
        "out until vidx doctor --repair drops their videos and vidx index embeds them again\n"
    )
    sick = run("doctor", "--json", check=False)
    assert sick.exit_code == 1
    (problem,) = as_json(sick)["problems"]
    assert problem.startswith(f"2 clips of 2 videos have damaged vector rows in {vidx_home / 'index'}, e.g. ")

    # A copy of a damaged video takes nothing from it: it waits, unrecorded, for the video to be embedded again.
    shutil.copy(lib / "colours" / "green.avi", lib / "colours" / "green copy.avi")
    waiting = run("index", "--json", check=False)
    assert waiting.exit_code == 3
    assert as_json(waiting)["failed"] == [
        {
            "path": str(lib / "colours" / "green copy.avi"),
            "error": f"{lib / 'colours' / 'green copy.avi'}: same content as videos whose stored vectors are "
            "damaged; run vidx doctor",
        }
    ]
    assert as_json(run("failed", "--json")) == []

    fixed = as_json(run("doctor", "--repair", "--json"))
    assert fixed["repaired"] == ["removed 2 videos whose vectors were damaged; vidx index embeds them again"]
    assert as_json(run("doctor", "--json"))["healthy"] is True
    healed = as_json(run("index", "--json"))
    assert (healed["added"], healed["unchanged"], healed["failed"]) == (3, 4, [])
    assert healed["clips_embedded"] == 4, "green and fade_in embedded again, the copy takes green's vectors"
    (lib / "colours" / "green copy.avi").unlink()
    assert as_json(run("index", "--json"))["removed"] == 1
    after = answers(run, "red", "green", "moving")
    assert {w: sorted(a) for w, a in after.items()} == {w: sorted(a) for w, a in before.items()}, "ties aside"


def test_damaged_rows_that_outscore_every_clip_crowd_no_answer_out(lib, vidx_home):
    """Rows whose bytes score above every intact clip fail their checksums and are left out; the search then asks
    again without them, or as many of them as the answer holds would leave it empty."""
    catalog = Catalog(Home(vidx_home))
    red = catalog.clip_ids(catalog.video(str(lib / "colours" / "red.mp4")).id)
    query = catalog.vectors(red[:1])[0]
    others = catalog.clip_ids(catalog.video(str(lib / "colours" / "green.avi")).id)
    others += catalog.clip_ids(catalog.video(str(lib / "motion" / "checkers.mp4")).id)
    intact = catalog.nearest_ids(query, 3, skip=others)
    width = catalog.index_state().dim * 2
    with open(vidx_home / "index" / "rows-00000.f16", "r+b") as f:
        for clip in others:  # louder than any clip: each scores above red's own
            f.seek(clip * width)
            f.write(np.clip(query * 1000, -6e4, 6e4).astype(np.float16).tobytes())
    assert len(others) >= 3
    scores, ids, _, _ = catalog.nearest_ids(query, 3)
    catalog.close()
    assert (scores.tolist(), ids.tolist()) == (intact[0].tolist(), intact[1].tolist())


def clips_page(db_file, after=1):
    """A leaf page of the clips table past the first `after`, as dbstat numbers them (from 1)."""
    with sqlite3.connect(db_file) as db:
        try:
            pages = [r[0] for r in db.execute("select pageno from dbstat where name = 'clips' and pagetype = 'leaf'")]
        except sqlite3.OperationalError:
            pytest.skip("this SQLite has no dbstat table to find a page of the clips table by")
    assert len(pages) > after, pages
    return sorted(pages)[after]


def zero_page(db_file, page):
    with open(db_file, "r+b") as f:
        f.seek((page - 1) * 4096)
        f.write(bytes(4096))


def videos_and_clips(vidx_home):
    catalog = Catalog(Home(vidx_home))
    found = {}
    for video in catalog.indexed_videos():
        found[video.path] = catalog.clip_ids(video.id)
    catalog.close()
    return found


def test_a_zeroed_catalogue_page_is_said_refused_and_recovered(run, imported, library, tmp_path, vidx_home):
    root = tmp_path / "lib"
    for n in range(60):  # copies: clips enough for several pages of the clips table, without embedding them all
        for word in ("red", "green", "darkening"):
            source = library[word]
            (root / word).mkdir(parents=True, exist_ok=True)
            shutil.copy(source, root / word / f"{n:02d}{source.suffix}")
    run("index", root, "--quiet")
    before, whole = answers(run, "red", "green", "darkening"), videos_and_clips(vidx_home)
    db_file = vidx_home / "vidx.db"
    zero_page(db_file, clips_page(db_file))
    damaged = db_file.read_bytes()
    said = (
        f"Error: The catalogue {db_file} is damaged (database disk image is malformed); nothing was written to it: "
        "run vidx doctor --repair to recover what it still holds\n"
    )
    for command in (["query", "red"], ["status"], ["index"], ["roots", "remove", root]):
        refused = run(*command, check=False)
        assert (refused.exit_code, refused.output) == (1, said), command
    assert db_file.read_bytes() == damaged, "nothing was written to the damaged catalogue"
    sick = run("doctor", "--json", check=False)
    problem = f"the catalogue {db_file} is damaged: SQLite finds database disk image is malformed"
    assert (sick.exit_code, as_json(sick)["problems"]) == (1, [problem])

    fixed = as_json(run("doctor", "--repair", "--json"))
    (kept,) = vidx_home.glob("vidx.db.damaged-*[0-9]")
    assert kept.read_bytes() == damaged
    assert fixed["problems"] == [problem]
    copied, removed, rebuilt = fixed["repaired"]
    kept_as = f" rows SQLite could read into a new catalogue; the damaged one is kept as {kept}"
    assert copied.startswith("copied the ") and copied.endswith(kept_as)
    recovered = videos_and_clips(vidx_home)
    lost = len(whole) - len(recovered)
    assert removed == f"removed {lost} videos that lost clips with the damaged catalogue; vidx index embeds them again"
    assert rebuilt == f"rebuilt the exact index of {sum(map(len, recovered.values()))} clips"
    assert 0 < lost < len(whole)
    assert all(whole[path] == clips for path, clips in recovered.items()), "no video kept with part of its clips"
    assert as_json(run("doctor", "--json"))["healthy"] is True

    healed = as_json(run("index", "--json"))
    assert (healed["added"], healed["unchanged"], healed["failed"]) == (lost, len(recovered), [])
    assert {path: len(clips) for path, clips in videos_and_clips(vidx_home).items()} == {
        path: len(clips) for path, clips in whole.items()
    }
    scores = {w: [score for _, score in found] for w, found in answers(run, "red", "green", "darkening").items()}
    assert scores == {w: [score for _, score in found] for w, found in before.items()}, "copies tie: paths may differ"
    assert as_json(run("doctor", "--json"))["healthy"] is True


def test_only_sqlites_damage_codes_are_a_damaged_catalogue(tmp_path):
    """Told by SQLite's code, not its words: a malformed JSON value is the query's error, not the file's."""
    (tmp_path / "zeros.db").write_bytes(bytes(4096))

    def error_of(statement: str, file: str = ":memory:") -> sqlite3.Error:
        with pytest.raises(sqlite3.Error) as raised:
            sqlite3.connect(file).execute(statement)
        return raised.value

    assert is_catalogue_damage(error_of("select * from sqlite_master", str(tmp_path / "zeros.db")))
    assert not is_catalogue_damage(error_of("select json('{')"))
    assert not is_catalogue_damage(error_of("select * from nowhere"))
    assert not is_catalogue_damage(OSError(28, "No space left on device"))


@pytest.mark.parametrize(
    "words, damage",
    [("database disk image is malformed", True), ("file is not a database", True), ("disk I/O error", False)],
)
def test_a_database_error_without_its_code_is_told_by_its_words(words, damage):
    """As Python 3.10's sqlite3 raises them (no `sqlite_errorcode`)."""
    assert is_catalogue_damage(sqlite3.DatabaseError(words)) is damage

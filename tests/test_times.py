"""One parser and the formatters of moments, and every time argument taking what the others take."""

import pytest
from conftest import as_json

from vidx.errors import UsageError
from vidx.times import instant, parse_time, seconds_in, span_in_name


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("75", 75.0),
        ("75.5", 75.5),
        ("75.", 75.0),
        (" 1:15 ", 75.0),
        ("01:15.25", 75.25),
        ("99:00", 5940.0),
        ("1:01:15", 3675.0),
        ("0:00:02", 2.0),
        ("1:01:15.5", 3675.5),
    ],
)
def test_parse_time(text, seconds):
    assert parse_time(text) == seconds_in(text) == seconds


@pytest.mark.parametrize("text", ["", "-5", "1:75", "1:2:3:4", "a:10", "1.5:10", "1:60:00", "1e3", ".5", "1::2"])
def test_a_bad_time_is_a_usage_error_naming_the_argument(text):
    assert seconds_in(text) is None
    with pytest.raises(UsageError) as error:
        parse_time(text, "END")
    assert str(error.value) == f"END must be seconds or mm:ss (or h:mm:ss), e.g. 75 or 1:15, got {text!r}"
    assert error.value.exit_code == 2


@pytest.mark.parametrize(("seconds", "shown"), [(0, "0:00"), (4.9, "0:05"), (75.5, "1:16"), (3675, "1:01:15")])
def test_instant_in_whole_seconds_rounds(seconds, shown):
    assert instant(seconds, tenths=False) == shown


@pytest.mark.parametrize(
    ("start", "end", "shown"), [(0, 3.2, "0000.0-0003.2"), (12.44, 27.96, "0012.4-0028.0"), (3725, 6310, "6205-10510")]
)
def test_span_in_file_names(start, end, shown):
    assert span_in_name(start, end) == shown


@pytest.fixture
def colours(run, imported, library):
    run("index", library["root"] / "colours", "--quiet")
    return library["root"] / "colours"


def test_like_takes_hours_as_export_does(run, colours):
    red = colours / "red.mp4"
    by_seconds = as_json(run("query", "--like", f"{red}@2", "--json"))
    by_clock = as_json(run("query", "--like", f"{red}@0:00:02", "--json"))
    assert by_clock["query"] == f"like {red}@0:00:02"
    assert by_clock["results"] == by_seconds["results"] and by_clock["results"]
    result = run("query", "--like", f"{red}@1:00:00", check=False)
    assert (result.exit_code, result.stdout, result.stderr) == (
        2,
        "",
        f"Error: {red} is 0:04.0 long: there is no second 3600 in it\n",
    )

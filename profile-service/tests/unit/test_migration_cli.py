import io
from pathlib import Path

import pytest

from profile_service.__main__ import main
from profile_service.migration.cli import Progress, parser, summary
from profile_service.migration.runner import Outcome, Result, intent_id_for
from profile_service.migration.sources import Item, SourceError, read_csv


def test_csv_with_or_without_header_and_optional_username(tmp_path: Path) -> None:
    mapping = tmp_path / "map.csv"
    mapping.write_text("filename,user_id,username\na.png,u1,alice\n\n# comment\nb.jpg, u2 \n")

    assert read_csv(mapping) == [Item("a.png", "u1", "alice"), Item("b.jpg", "u2", None)]


@pytest.mark.parametrize("content", ["only-one-column\n", "a.png,\n", "a,b,c,d\n"])
def test_malformed_csv_rows_are_reported_with_their_line(tmp_path: Path, content: str) -> None:
    mapping = tmp_path / "map.csv"
    mapping.write_text(content)

    with pytest.raises(SourceError, match=r"map.csv:1"):
        read_csv(mapping)


def test_a_missing_csv_is_a_source_error(tmp_path: Path) -> None:
    with pytest.raises(SourceError):
        read_csv(tmp_path / "nope.csv")


def test_the_intent_id_is_deterministic_and_shaped_like_a_browser_upload() -> None:
    assert intent_id_for("u1", "ab" * 32) == intent_id_for("u1", "ab" * 32)
    assert intent_id_for("u1", "ab" * 32) != intent_id_for("u2", "ab" * 32)
    assert len(intent_id_for("u1", "x")) == 24


def test_summary_counts_and_lists_reasons() -> None:
    results = [
        Result(filename="a.png", user_id="u1", outcome=Outcome.MIGRATED),
        Result(filename="b.png", user_id="u2", outcome=Outcome.FAILED, reason="cannot read file"),
        Result(filename="c.png", user_id="u3", outcome=Outcome.SKIPPED, reason="done in an earlier run"),
    ]

    text = summary(results, dry_run=False)

    assert "migrated        1" in text and "failed          1" in text and "total           3" in text
    assert "cannot read file" in text and "done in an earlier run" in text


def test_progress_writes_a_line_per_picture_when_not_a_terminal() -> None:
    stream = io.StringIO()
    progress = Progress(2, stream)

    progress.update(Result(filename="a.png", user_id="u1", outcome=Outcome.MIGRATED))

    assert "1/2" in stream.getvalue() and "migrated 1" in stream.getvalue()


def test_the_source_is_required_and_exclusive() -> None:
    with pytest.raises(SystemExit):
        parser().parse_args(["--images", "x"])
    with pytest.raises(SystemExit):
        parser().parse_args(["--images", "x", "--csv", "m.csv", "--mongo-collection", "users"])


def test_an_unknown_subcommand_exits_2(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["frobnicate"]) == 2
    assert "usage" in capsys.readouterr().err

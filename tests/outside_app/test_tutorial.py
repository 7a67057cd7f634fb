"""docs/tutorial.md shows what test_outside_app.py runs: the same files, the same commands, the
same line counts. (The slow test builds and runs them; these checks are quick.)"""

from __future__ import annotations

import difflib
import io
import re
from pathlib import Path

import pytest
from django.core.management import call_command

from tests.outside_app import steps

ROOT = Path(__file__).resolve().parents[2]
PROJECT = Path(__file__).resolve().parent / "project"
TUTORIAL = ROOT / "docs" / "tutorial.md"


def blocks(language: str) -> list[str]:
    """The tutorial's fenced blocks of `language`."""
    return re.findall(rf"^```{language}\n(.*?)^```", TUTORIAL.read_text(), flags=re.S | re.M)


def titled_blocks() -> dict[str, str]:
    """Blocks whose first line names a file (`# books/models.py`), by that name."""
    found = {}
    for language in ("python", "ini"):
        for block in blocks(language):
            first, _, rest = block.partition("\n")
            if first.startswith("# "):
                found[first[2:]] = rest
    return found


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """What `startdomain authors` and `startdomain books` write."""
    root = tmp_path_factory.mktemp("generated")
    for domain in ("authors", "books"):
        (root / domain).mkdir()
        call_command("startdomain", domain, str(root / domain), stdout=io.StringIO())
    return root


def written_by_hand(name: str, generated: Path) -> int:
    """Lines of a file that the user wrote: all of them, or those `startdomain` did not."""
    lines = (PROJECT / name).read_text().splitlines()
    before = generated / name
    if not before.exists():
        return len(lines)
    diff = difflib.ndiff(before.read_text().splitlines(), lines)
    return sum(1 for line in diff if line.startswith("+ "))


def counts_table(generated: Path) -> str:
    """The tutorial's table of what the user wrote, as it must read."""
    rows = ["| file | lines | written by hand |", "| --- | ---: | ---: |"]
    total = by_hand = 0
    for name in steps.WRITTEN:
        lines = len((PROJECT / name).read_text().splitlines())
        hand = written_by_hand(name, generated)
        total, by_hand = total + lines, by_hand + hand
        rows.append(f"| `{name}` | {lines} | {hand} |")
    rows.append(f"| total | {total} | {by_hand} |")
    return "\n".join(rows)


def test_each_file_the_tutorial_shows_is_the_file_the_test_runs(generated):
    shown = titled_blocks()
    for name in steps.WRITTEN:
        assert shown.pop(name) == (PROJECT / name).read_text(), name
    for name in ("authors/models.py", "before: authors/models.py", "before: books/models.py"):
        assert name in shown, name
    for name, text in shown.items():
        if name.startswith("before: "):
            assert text == (PROJECT / "before" / name.removeprefix("before: ")).read_text()
        else:
            assert text == (generated / name).read_text(), f"{name} is not what startdomain writes"


def test_each_step_is_in_the_tutorials_shell_blocks():
    shell = "\n".join(blocks("bash")).splitlines()
    for name, value in vars(steps).items():
        if not name.isupper() or name in ("WRITTEN", "MISSING_AUTHOR"):
            continue
        for command in (value,) if isinstance(value, str) else value:
            if command in steps.START_APPS:
                continue  # the starting point is shown as code, not run
            assert command in shell, command


def test_each_settings_diff_takes_lines_from_the_monolith_and_adds_lines_of_the_service():
    diffs = blocks("diff")
    assert len(diffs) == 2
    for diff in diffs:
        header, *lines = diff.splitlines()
        old, new = re.fullmatch(r"# (\S+) -> (\S+)", header).groups()
        removed = [line[1:] for line in lines if line.startswith("-")]
        added = [line[1:] for line in lines if line.startswith("+")]
        assert removed and added
        assert set(removed) <= set((PROJECT / old).read_text().splitlines()), old
        assert set(added) <= set((PROJECT / new).read_text().splitlines()), new


def test_the_line_counts_are_those_of_the_files(generated):
    assert counts_table(generated) in TUTORIAL.read_text()

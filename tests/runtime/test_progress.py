"""Long CLI work shows progress: a bar redrawn in place on a terminal, a line per tenth in a log."""
import io

import pytest

from pc_app.toolkit import Progress


class Terminal(io.StringIO):
    def isatty(self):
        return True


def test_in_a_log_one_line_per_tenth_then_a_summary():
    stream = io.StringIO()
    with Progress("importing leads", total=200, stream=stream) as progress:
        for _ in range(200):
            progress.advance()

    lines = stream.getvalue().splitlines()
    assert lines[0] == "importing leads: 1/200 (0%)"
    assert lines[1] == "importing leads: 20/200 (10%)"
    assert len(lines) == 11
    assert lines[-1].startswith("importing leads: 200/200 (100%), done in ")


def test_on_a_terminal_a_bar_redrawn_in_place(monkeypatch):
    monkeypatch.setattr(Progress, "REDRAW_SECONDS", 0)
    stream = Terminal()
    with Progress("rebuilding", stream=stream) as progress:
        progress.set_total(4)
        for _ in range(4):
            progress.advance()

    text = stream.getvalue()
    assert text.count("\r") == 5 and "\n" not in text.split("\r")[-2]
    assert "rebuilding [" + "#" * 30 + "] 100% 4/4\n" in text
    assert text.endswith("rebuilding: 4/4 (100%), done in 0.0 s\n")


def test_an_unknown_total_counts_and_a_failure_says_stopped():
    stream = io.StringIO()
    with pytest.raises(RuntimeError), Progress("scanning", stream=stream) as progress:
        progress.advance(3)
        raise RuntimeError("boom")

    assert stream.getvalue().startswith("scanning: 3, stopped in ")

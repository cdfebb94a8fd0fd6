"""``pc-app analytics rebuild``: the operator's check that the live rollups equal what the facts say."""
from __future__ import annotations

import click

DAY = click.DateTime(formats=["%Y-%m-%d"])


class _Phases:
    """The core's progress display, one per phase of the rebuild (stored events, then facts), on stderr."""

    def __init__(self, totals: dict[str, int], labels: dict[str, str]):
        self.totals, self.labels = totals, labels
        self.phase, self.progress = None, None

    def step(self, phase: str) -> None:
        if phase != self.phase:
            self.finish()
            from pc_app.toolkit import Progress

            self.phase = phase
            self.progress = Progress(self.labels[phase], total=self.totals[phase]).__enter__()
        self.progress.advance()

    def finish(self) -> None:
        if self.progress is not None:
            self.progress.__exit__(None, None, None)
            self.progress = None


@click.group("analytics")
def analytics_group():
    """Analytics: check the rollups against the stored facts."""


@analytics_group.command("rebuild")
@click.option("--from", "start", type=DAY, help="First UTC day to check (YYYY-MM-DD); default: the first fact.")
@click.option("--to", "end", type=DAY, help="Last UTC day to check (YYYY-MM-DD); default: the last fact.")
@click.option("--fix", is_flag=True, help="Fold events never folded and set differing rollups to the facts' sums.")
def rebuild_command(start, end, fix):
    """Recompute the daily rollups from the stored facts and report every difference from the live counters.

    Also checks the core's stored events (kept 30 days) against the facts: events never folded,
    and facts that no longer match their event. Exits with status 1 while anything is left.
    """
    from pc_app import create_app

    from .services.rebuild import count_facts, count_stored_events, rebuild

    start, end = (start.date() if start else None), (end.date() if end else None)
    if start and end and end < start:
        raise click.BadParameter("must not be before --from", param_hint="--to")
    app = create_app()
    with app.app_context():
        progress = _Phases({"events": count_stored_events(start, end), "facts": count_facts(start, end)},
                           {"events": "checking stored events", "facts": "recomputing from facts"})
        try:
            report = rebuild(start, end, fix=fix, on_event=lambda: progress.step("events"),
                             on_fact=lambda: progress.step("facts"))
        finally:
            progress.finish()
    click.echo(describe(report))
    if not report.clean:
        raise SystemExit(1)


def describe(report) -> str:
    """The report as an operator reads it: what was compared, what differs, what was fixed."""
    from .services.rebuild import AWAITING_DELIVERY

    span = f"{report.start or 'first fact'} .. {report.end or 'last fact'}"
    lines = [f"analytics rebuild {span}",
             f"stored events checked: {report.stored_events} (not folded: {len(report.unfolded_events)}, "
             f"facts disagreeing with their event: {len(report.changed_facts)})",
             f"facts read: {report.facts}; rollups compared: {report.rollups}; "
             f"left out while folding: {len(report.in_flight)}",
             f"differences: {len(report.differences)}"]
    for d in report.differences:
        lines.append(f"  {d.rollup}  {d.counter}: live {d.live}, rebuilt {d.rebuilt} ({d.rebuilt - d.live:+d})")
    for event_id, name, status in report.unfolded_events:
        folded = " (folded now)" if event_id in report.folded_now else ""
        kind = "not folded yet" if status in AWAITING_DELIVERY else "never folded"
        lines.append(f"  {kind}: {name} {event_id} (delivery {status}){folded}")
    for event_id in report.changed_facts:
        lines.append(f"  fact {event_id} records other numbers than its event yields now")
    if report.fixed_rollups:
        lines.append(f"fixed rollups: {len(report.fixed_rollups)}")
    if report.skipped_fixes:
        lines.append(f"not fixed (changed while fixing; run again): {', '.join(report.skipped_fixes)}")
    lines.append("clean" if report.clean else "NOT clean")
    return "\n".join(lines)

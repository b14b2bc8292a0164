"""A small server-drawn morning-pain sparkline for the caseload (issue 12 §1): an SVG with its text
alternative, readable without JavaScript; missing mornings are gaps."""

from __future__ import annotations

from collections.abc import Sequence

W, H, PAD = 112, 28, 3


def sparkline(values: Sequence[int | None], *, top: int = 10, words: str = "") -> tuple[str, str]:
    """(svg, words): the 0–`top` line over the days given, and the same in words (by default the
    morning-pain sentence of the caseload)."""
    n = len(values)
    known = [v for v in values if v is not None]
    if words:
        pass
    elif not known:
        words = f"No morning check-ins in the last {n} days."
    else:
        words = (
            f"Morning knee pain over the last {n} days: {len(known)} check-ins, "
            f"first {known[0]}/10, latest {known[-1]}/10, highest {max(known)}/10."
        )

    def xy(i: int, v: int) -> str:
        x = PAD + (W - 2 * PAD) * (i / (n - 1) if n > 1 else 0.5)
        y = PAD + (H - 2 * PAD) * (1 - v / max(top, 1))
        return f"{x:.1f},{y:.1f}"

    runs: list[list[str]] = [[]]
    dots: list[str] = []
    for i, v in enumerate(values):
        if v is None:
            runs.append([])
            continue
        runs[-1].append(xy(i, v))
        if i == n - 1 or (len(known) == 1):
            x, y = xy(i, v).split(",")
            dots.append(f'<circle cx="{x}" cy="{y}" r="2.5" fill="#0b5cad"/>')
    lines = "".join(
        f'<polyline points="{" ".join(r)}" fill="none" stroke="#0b5cad" stroke-width="2"/>'
        for r in runs
        if len(r) > 1
    )
    svg = (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {W} {H}" width="{W}" height="{H}" '
        f'role="img" aria-label="{words}"><rect width="{W}" height="{H}" fill="#f4f6f8"/>'
        f'<line x1="0" y1="{H - PAD}" x2="{W}" y2="{H - PAD}" stroke="#d9dde3"/>'
        f"{lines}{''.join(dots)}</svg>"
    )
    return svg, words

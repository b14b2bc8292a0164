"""Server-rendered SVG charts: readable without JavaScript, each with a text alternative."""

from __future__ import annotations

from datetime import date
from xml.sax.saxutils import escape

W, H = 640, 260
LEFT, RIGHT, TOP, BOTTOM = 44, 16, 16, 40


def _x(i: int, n: int) -> float:
    span = W - LEFT - RIGHT
    return LEFT + (span * i / (n - 1) if n > 1 else span / 2)


def _y(v: float) -> float:
    return TOP + (H - TOP - BOTTOM) * (1 - v / 10)


def pain_chart(days: list[date], series: dict[str, list[int | None]], *, title: str) -> str:
    """A 0–10 line chart over `days`; gaps where a value is missing. Colours plus dash patterns."""
    styles = [("#0b5cad", ""), ("#b35900", "6 4")]
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {W} {H}" role="img" '
        f'aria-label="{escape(title)}">',
        f'<rect width="{W}" height="{H}" fill="#ffffff"/>',
    ]
    for tick in range(0, 11, 2):
        y = _y(tick)
        out.append(
            f'<line x1="{LEFT}" y1="{y:.1f}" x2="{W - RIGHT}" y2="{y:.1f}" stroke="#d9dde3"/>'
        )
        out.append(
            f'<text x="{LEFT - 8}" y="{y + 5:.1f}" text-anchor="end" font-size="14" '
            f'fill="#4a4a4a">{tick}</text>'
        )
    n = len(days)
    step = max(1, n // 6)
    for i in range(0, n, step):
        out.append(
            f'<text x="{_x(i, n):.1f}" y="{H - 12}" text-anchor="middle" font-size="13" '
            f'fill="#4a4a4a">{days[i].day} {days[i]:%b}</text>'
        )
    for (name, values), (color, dash) in zip(series.items(), styles, strict=False):
        runs: list[list[str]] = [[]]
        for i, v in enumerate(values):
            if v is None:
                runs.append([])
                continue
            runs[-1].append(f"{_x(i, n):.1f},{_y(v):.1f}")
            out.append(f'<circle cx="{_x(i, n):.1f}" cy="{_y(v):.1f}" r="3.5" fill="{color}"/>')
        dash_attr = f' stroke-dasharray="{dash}"' if dash else ""
        for run in runs:
            if len(run) > 1:
                out.append(
                    f'<polyline points="{" ".join(run)}" fill="none" stroke="{color}" '
                    f'stroke-width="3"{dash_attr}><title>{escape(name)}</title></polyline>'
                )
    out.append("</svg>")
    return "".join(out)

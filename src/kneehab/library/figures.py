"""Exercise keyframes -> one line-figure SVG per exercise.

Every figure is drawn the same way: panels side by side (start, optional middle, end), a stick figure with round
joints and a head circle, props in a quiet grey, the working leg thicker and in the accent colour, and each panel
numbered and labelled underneath. The output is a pure function of the exercise (no clock, no random ids, fixed
number formatting), so the same library always gives the same bytes and the files can be snapshotted.
"""

from __future__ import annotations

from pathlib import Path
from xml.sax.saxutils import escape, quoteattr

from kneehab.domain.exercise import Exercise, Figure, Keyframe, Library, Prop, Version

PANEL = 200  # px per 100-unit keyframe box
SCALE = PANEL / 100
GAP = 28  # px between panels (an arrow sits in the gap)
LABEL_H = 30  # px under each panel for its label
PAD = 10

INK = "#2b2d42"
ACCENT = "#d1495b"
# In a side view the person's left limbs are the far ones: drawn paler so the two legs can be told apart.
FAR_INK = "#9aa0b4"
FAR_ACCENT = "#eba3ad"
PROP = "#8d99ae"
PROP_FILL = "#edf2f4"
BALL_FILL = "#f2c14e"
PANEL_FILL = "#fbfbfd"
PANEL_EDGE = "#d9dde3"

LIMB_W = 2.4  # in keyframe units
WORK_W = 3.4
JOINT_R = 1.3
HEAD_R = 5.0

# Segments of the figure: (from joint, to joint). Optional joints are drawn only when present.
TORSO: tuple[tuple[str, str], ...] = (("neck", "shoulder"),)
ARM_L: tuple[tuple[str, str], ...] = (("shoulder", "elbow_l"), ("elbow_l", "hand_l"))
ARM_R: tuple[tuple[str, str], ...] = (("shoulder", "elbow_r"), ("elbow_r", "hand_r"))
LEG_L: tuple[tuple[str, str], ...] = (
    ("hip", "knee_l"),
    ("knee_l", "ankle_l"),
    ("ankle_l", "toe_l"),
)
LEG_R: tuple[tuple[str, str], ...] = (
    ("hip", "knee_r"),
    ("knee_r", "ankle_r"),
    ("ankle_r", "toe_r"),
)
# Props whose label would only repeat the obvious stay unlabelled in the drawing (the <title> still names them).
QUIET_LABELS = frozenset({"floor", "ground", "pool floor", "water", "saddle", "mat"})


def _n(value: float) -> str:
    """Fixed, short number formatting: the same float always gives the same text."""
    text = f"{value:.2f}".rstrip("0").rstrip(".")
    return "0" if text == "-0" else text


def _pts(points: tuple[tuple[float, float], ...]) -> str:
    return " ".join(f"{_n(x)},{_n(y)}" for x, y in points)


def _prop(prop: Prop, labels: bool = True) -> list[str]:
    title = f"<title>{escape(prop.label)}</title>" if prop.label else ""
    p = prop.points
    out: list[str] = []
    if prop.kind == "line" and len(p) >= 2:
        out.append(
            f'<line x1="{_n(p[0][0])}" y1="{_n(p[0][1])}" x2="{_n(p[-1][0])}" y2="{_n(p[-1][1])}" '
            f'stroke="{PROP}" stroke-width="1.2" stroke-linecap="round">{title}</line>'
        )
    elif prop.kind == "polyline":
        out.append(
            f'<polyline points="{_pts(p)}" fill="none" stroke="{PROP}" stroke-width="1.2" '
            f'stroke-linejoin="round" stroke-linecap="round">{title}</polyline>'
        )
    elif prop.kind == "rect" and len(p) >= 2:
        x, y = min(p[0][0], p[1][0]), min(p[0][1], p[1][1])
        w, h = abs(p[1][0] - p[0][0]), abs(p[1][1] - p[0][1])
        out.append(
            f'<rect x="{_n(x)}" y="{_n(y)}" width="{_n(w)}" height="{_n(h)}" rx="0.8" '
            f'fill="{PROP_FILL}" stroke="{PROP}" stroke-width="1.2">{title}</rect>'
        )
    elif prop.kind == "circle" and p:
        fill = BALL_FILL if prop.label == "ball" else "none"
        out.append(
            f'<circle cx="{_n(p[0][0])}" cy="{_n(p[0][1])}" r="{_n(prop.radius or 3)}" '
            f'fill="{fill}" stroke="{PROP}" stroke-width="1.2">{title}</circle>'
        )
    if labels and prop.label and prop.label not in QUIET_LABELS and p:
        x, y = _label_spot(prop)
        out.append(
            f'<text x="{_n(x)}" y="{_n(y)}" font-size="4" fill="{PROP}" '
            f'font-family="sans-serif" text-anchor="middle">{escape(prop.label)}</text>'
        )
    return out


def _label_spot(prop: Prop) -> tuple[float, float]:
    """Put a prop's label just below its lowest point (above, if that would leave the box)."""
    xs = [x for x, _ in prop.points]
    ys = [y for _, y in prop.points]
    x = (min(xs) + max(xs)) / 2
    if prop.kind == "circle":
        return x, ys[0] - (prop.radius or 3) - 1.5
    if prop.kind == "rect":
        return x, max(ys) - 2
    below = max(ys) + 5
    return (x, below) if below <= 99 else (x, min(ys) - 2)


def _segments(
    points: dict[str, tuple[float, float]], segs: tuple[tuple[str, str], ...]
) -> list[str]:
    return [
        f"M{_n(points[a][0])} {_n(points[a][1])}L{_n(points[b][0])} {_n(points[b][1])}"
        for a, b in segs
        if a in points and b in points
    ]


def _limbs(d: list[str], color: str, width: float) -> str:
    if not d:
        return ""
    return (
        f'<path d="{"".join(d)}" fill="none" stroke="{color}" stroke-width="{_n(width)}" '
        f'stroke-linecap="round" stroke-linejoin="round"/>'
    )


def _body(frame: Keyframe, working_side: str, view: str) -> list[str]:
    pts = frame.points
    work_l = working_side in ("left", "both")
    work_r = working_side in ("right", "both")
    far = view == "side"
    spine = (("shoulder", "spine"), ("spine", "hip")) if "spine" in pts else (("shoulder", "hip"),)
    leg_l, leg_r = _segments(pts, LEG_L), _segments(pts, LEG_R)
    arm_l, arm_r = _segments(pts, ARM_L), _segments(pts, ARM_R)
    left_ink = FAR_INK if far else INK
    left_accent = FAR_ACCENT if far else ACCENT
    # Far limbs first, then the trunk, then near limbs, so nearer lines sit on top.
    out = [
        _limbs(arm_l, left_ink, LIMB_W),
        _limbs(leg_l, left_accent if work_l else left_ink, WORK_W if work_l else LIMB_W),
        _limbs(_segments(pts, TORSO + spine), INK, LIMB_W),
        _limbs(leg_r, ACCENT if work_r else INK, WORK_W if work_r else LIMB_W),
        _limbs(arm_r, INK, LIMB_W),
    ]
    for name in sorted(pts):
        if name == "head":
            continue
        x, y = pts[name]
        is_leg = name.startswith(("knee", "ankle", "toe"))
        if name.endswith("_l"):
            edge = left_accent if (is_leg and work_l) else left_ink
        elif name.endswith("_r"):
            edge = ACCENT if (is_leg and work_r) else INK
        else:
            edge = INK
        out.append(
            f'<circle cx="{_n(x)}" cy="{_n(y)}" r="{_n(JOINT_R)}" fill="#ffffff" '
            f'stroke="{edge}" stroke-width="0.9"/>'
        )
    hx, hy = pts["head"]
    out.append(
        f'<circle cx="{_n(hx)}" cy="{_n(hy)}" r="{_n(HEAD_R)}" fill="#ffffff" '
        f'stroke="{INK}" stroke-width="{_n(LIMB_W)}"/>'
    )
    return [line for line in out if line]


def _panel(
    frame: Keyframe, index: int, x0: float, figure: Figure, labels: bool = True
) -> list[str]:
    label = f"{index}. {frame.label}"
    out = [
        f'<g class="panel" transform="translate({_n(x0)} {PAD})">',
        f'<rect x="0" y="0" width="{PANEL}" height="{PANEL}" rx="10" fill="{PANEL_FILL}" '
        f'stroke="{PANEL_EDGE}"/>',
        f'<g transform="scale({_n(SCALE)})">',
    ]
    for prop in frame.props:
        out.extend(_prop(prop, labels))
    out.extend(_body(frame, figure.working_side, figure.view))
    out.append("</g>")
    if labels:
        out.append(
            f'<text x="{PANEL // 2}" y="{PANEL + 20}" font-size="14" fill="{INK}" '
            f'font-family="sans-serif" text-anchor="middle">{escape(label)}</text>'
        )
    out.append("</g>")
    return out


def _arrow(x: float) -> str:
    y = PAD + PANEL / 2
    return (
        f'<path d="M{_n(x + 6)} {_n(y)}H{_n(x + GAP - 6)}M{_n(x + GAP - 11)} {_n(y - 5)}'
        f'L{_n(x + GAP - 6)} {_n(y)}L{_n(x + GAP - 11)} {_n(y + 5)}" fill="none" stroke="{PROP}" '
        f'stroke-width="2" stroke-linecap="round" stroke-linejoin="round"/>'
    )


def render_figure(figure: Figure, *, ident: str, title: str, labels: bool = True) -> str:
    """Render a figure's keyframes as one SVG document (a string ending in a newline). Without `labels`,
    no words are drawn (no panel labels, no prop names): a page that scales the drawing down to a phone
    shows them as text of its own instead, where they stay legible (the <desc> still names the panels)."""
    frames = figure.keyframes
    width = 2 * PAD + len(frames) * PANEL + (len(frames) - 1) * GAP
    height = 2 * PAD + PANEL + (LABEL_H if labels else 0)
    side = {
        "left": "The working leg (the person's left) is drawn thicker, in red.",
        "right": "The working leg (the person's right) is drawn thicker, in red.",
        "both": "Both legs are working and drawn thicker, in red.",
        "none": "",
    }[figure.working_side]
    steps = "; ".join(f"{i}. {f.label}" for i, f in enumerate(frames, start=1))
    far = "The far (left) limbs are paler." if figure.view == "side" else ""
    desc = " ".join(
        part
        for part in (figure.caption, f"Panels ({figure.view} view): {steps}.", side, far)
        if part
    )
    tid, did = f"fig-{ident}-title", f"fig-{ident}-desc"
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" role="img" aria-labelledby={quoteattr(tid)} '
        f"aria-describedby={quoteattr(did)}>",
        f"<title id={quoteattr(tid)}>{escape(title)}</title>",
        f"<desc id={quoteattr(did)}>{escape(desc)}</desc>",
        f'<rect width="{width}" height="{height}" fill="#ffffff"/>',
    ]
    for i, frame in enumerate(frames):
        x0 = PAD + i * (PANEL + GAP)
        out.extend(_panel(frame, i + 1, x0, figure, labels))
        if i < len(frames) - 1:
            out.append(_arrow(x0 + PANEL))
    out.append("</svg>")
    return "\n".join(out) + "\n"


def render_svg(exercise: Exercise, profile: str = "", *, labels: bool = True) -> str:
    """The illustration of one exercise; with `profile` ("no_floor" / "fall_risk"), of its D-11 version;
    without `labels`, with no words drawn in it (see `render_figure`)."""
    version = next((v for v in exercise.versions if v.profile == profile), None)
    if version is None or version.excluded:
        return render_figure(
            exercise.figure,
            ident=exercise.id,
            title=f"{exercise.name}: illustration",
            labels=labels,
        )
    return render_figure(
        version_figure(exercise, version),
        ident=f"{exercise.id}-{version.profile.replace('_', '-')}",
        title=f"{version.name}: illustration",
        labels=labels,
    )


def _on_a_bed(prop: Prop) -> Prop:
    """The floor line becomes the top of a firm bed (RULES D-11: lying work on a bed)."""
    if prop.kind == "line" and prop.label == "floor":
        (x0, y0), (x1, _) = prop.points[0], prop.points[-1]
        return Prop(kind="rect", points=((x0, y0), (x1, y0 + 8)), label="bed")
    return prop


def version_figure(exercise: Exercise, version: Version) -> Figure:
    """A version's own keyframes; a bed version without its own is the base figure on a bed; a version
    that keeps the base position (a counter or rail nearby) uses the base figure."""
    if version.figure is not None:
        return version.figure
    base = exercise.figure
    bed = version.profile == "no_floor" and any(
        p.label == "floor" for f in base.keyframes for p in f.props
    )
    if not bed:
        return base
    frames = tuple(
        Keyframe(label=f.label, points=f.points, props=tuple(_on_a_bed(p) for p in f.props))
        for f in base.keyframes
    )
    caption = f"On a firm bed: {base.caption[0].lower()}{base.caption[1:]}" if base.caption else ""
    return base.model_copy(update={"keyframes": frames, "caption": caption})


def write_figures(library: Library, outdir: Path) -> list[Path]:
    """Write ID.svg for every exercise, and ID.PROFILE.svg for each of its D-11 versions, into `outdir`
    (created if needed); return the paths in id order."""
    outdir.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    for ex_id in sorted(library.exercises):
        ex = library.exercises[ex_id]
        path = outdir / f"{ex_id}.svg"
        path.write_text(render_svg(ex), encoding="utf-8")
        written.append(path)
        for version in ex.versions:
            if version.excluded:
                continue
            vpath = outdir / f"{ex_id}.{version.profile}.svg"
            vpath.write_text(render_svg(ex, version.profile), encoding="utf-8")
            written.append(vpath)
    return written

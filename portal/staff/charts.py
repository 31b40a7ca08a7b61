"""Small server-side SVG charts (no JavaScript, no CDN): grouped bars, lines, calibration.

Each function returns safe Markup for a responsive <svg> with a <title> for screen readers.
Values may be None (drawn as gaps).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from markupsafe import Markup, escape

WIDTH, HEIGHT = 460, 240
PAD_LEFT, PAD_RIGHT, PAD_TOP, PAD_BOTTOM = 54, 12, 14, 46
PALETTE = ("#1f5fbf", "#e07b39", "#2f9e62", "#b42318", "#7a4cc2", "#5b6475")


def _fmt_default(value: float) -> str:
    """Compact axis numbers: 1.2M, 350k, 42, 0.5."""
    size = abs(value)
    if size >= 1_000_000:
        return f"{value / 1_000_000:.1f}M"
    if size >= 10_000:
        return f"{value / 1_000:.0f}k"
    return f"{value:,.0f}" if size >= 10 else f"{value:.2g}"


def _svg(title: str, body: list[str], height: int = HEIGHT) -> Markup:
    head = (f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {height}" '
            f'role="img" font-family="system-ui, sans-serif" font-size="11">'
            f"<title>{escape(title)}</title>")
    return Markup(head + "".join(body) + "</svg>")  # noqa: S704 - every part is escaped


def _scale(values: Sequence[float | None], floor: float = 0.0) -> tuple[float, float]:
    present = [v for v in values if v is not None]
    top = max(present + [floor]) or 1.0
    bottom = min(present + [floor])
    return bottom, top if top > bottom else bottom + 1.0


def _axis(bottom: float, top: float, fmt: Callable[[float], str], height: int) -> list[str]:
    plot_h = height - PAD_TOP - PAD_BOTTOM
    parts = []
    for i in range(5):
        value = bottom + (top - bottom) * i / 4
        y = PAD_TOP + plot_h - plot_h * i / 4
        parts.append(f'<line x1="{PAD_LEFT}" x2="{WIDTH - PAD_RIGHT}" y1="{y:.1f}" '
                     f'y2="{y:.1f}" stroke="#e3e7ee"/>')
        parts.append(f'<text x="{PAD_LEFT - 4}" y="{y + 4:.1f}" text-anchor="end" '
                     f'fill="#5b6475">{escape(fmt(value))}</text>')
    return parts


def _legend(names: Sequence[str], height: int) -> list[str]:
    parts, x = [], PAD_LEFT
    for i, name in enumerate(names):
        color = PALETTE[i % len(PALETTE)]
        parts.append(f'<rect x="{x}" y="{height - 12}" width="10" height="10" fill="{color}"/>')
        parts.append(f'<text x="{x + 14}" y="{height - 3}">{escape(name)}</text>')
        x += 24 + 7 * len(name)
    return parts


def _x_labels(labels: Sequence[str], step: float, height: int, every: int = 1) -> list[str]:
    y = height - PAD_BOTTOM + 14
    return [f'<text x="{PAD_LEFT + step * (i + 0.5):.1f}" y="{y}" text-anchor="middle" '
            f'fill="#5b6475">{escape(label)}</text>'
            for i, label in enumerate(labels) if i % every == 0]


def bar_chart(title: str, labels: Sequence[str], series: Sequence[tuple[str, Sequence]],
              fmt: Callable[[float], str] = _fmt_default, top: float | None = None) -> Markup:
    """Grouped bars: one group per label, one bar per series."""
    values = [v for _, vs in series for v in vs]
    bottom, auto_top = _scale(values)
    top = top if top is not None else auto_top
    plot_w, plot_h = WIDTH - PAD_LEFT - PAD_RIGHT, HEIGHT - PAD_TOP - PAD_BOTTOM
    step = plot_w / max(len(labels), 1)
    bar_w = step * 0.8 / max(len(series), 1)
    body = _axis(bottom, top, fmt, HEIGHT)
    for s, (name, vs) in enumerate(series):
        color = PALETTE[s % len(PALETTE)]
        for i, v in enumerate(vs):
            if v is None:
                continue
            h = plot_h * (v - bottom) / (top - bottom)
            x = PAD_LEFT + step * i + step * 0.1 + bar_w * s
            body.append(f'<rect x="{x:.1f}" y="{PAD_TOP + plot_h - h:.1f}" width="{bar_w:.1f}" '
                        f'height="{max(h, 0):.1f}" fill="{color}"><title>'
                        f"{escape(name)} · {escape(labels[i])}: {escape(fmt(v))}</title></rect>")
    body += _x_labels(labels, step, HEIGHT, max(1, -(-len(labels) // 6)))
    if len(series) > 1:
        body += _legend([n for n, _ in series], HEIGHT)
    return _svg(title, body)


def line_chart(title: str, labels: Sequence[str], series: Sequence[tuple[str, Sequence]],
               fmt: Callable[[float], str] = _fmt_default, threshold: float | None = None
               ) -> Markup:
    """Lines with points; an optional dashed threshold line (e.g. the PSI warning level)."""
    values = [v for _, vs in series for v in vs] + ([threshold] if threshold else [])
    bottom, top = _scale(values)
    plot_w, plot_h = WIDTH - PAD_LEFT - PAD_RIGHT, HEIGHT - PAD_TOP - PAD_BOTTOM
    step = plot_w / max(len(labels), 1)

    def y_of(v: float) -> float:
        return PAD_TOP + plot_h - plot_h * (v - bottom) / (top - bottom)

    body = _axis(bottom, top, fmt, HEIGHT)
    if threshold is not None:
        body.append(f'<line x1="{PAD_LEFT}" x2="{WIDTH - PAD_RIGHT}" y1="{y_of(threshold):.1f}" '
                    f'y2="{y_of(threshold):.1f}" stroke="#b42318" stroke-dasharray="4 3"/>')
    for s, (name, vs) in enumerate(series):
        color = PALETTE[s % len(PALETTE)]
        points = [(PAD_LEFT + step * (i + 0.5), y_of(v), v) for i, v in enumerate(vs)
                  if v is not None]
        if len(points) > 1:
            path = " ".join(f"{x:.1f},{y:.1f}" for x, y, _ in points)
            body.append(f'<polyline points="{path}" fill="none" stroke="{color}" '
                        f'stroke-width="2"/>')
        body += [f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3" fill="{color}"><title>'
                 f"{escape(name)}: {escape(fmt(v))}</title></circle>" for x, y, v in points]
    body += _x_labels(labels, step, HEIGHT, max(1, -(-len(labels) // 6)))
    if len(series) > 1:
        body += _legend([n for n, _ in series], HEIGHT)
    return _svg(title, body)


def calibration_chart(title: str, rows: Sequence[dict], axis_label: str = "") -> Markup:
    """Predicted (x) vs observed (y) late rate per bin, with the diagonal of perfect calibration."""
    size = HEIGHT - PAD_TOP - PAD_BOTTOM
    left = PAD_LEFT

    def pos(p: float, o: float) -> tuple[float, float]:
        return left + size * p, PAD_TOP + size - size * o

    body = _axis(0.0, 1.0, lambda v: f"{v:.0%}", HEIGHT)
    x0, y0 = pos(0, 0)
    x1, y1 = pos(1, 1)
    body.append(f'<line x1="{x0}" y1="{y0}" x2="{x1:.1f}" y2="{y1:.1f}" stroke="#9aa3b2" '
                f'stroke-dasharray="4 3"/>')
    for row in rows:
        x, y = pos(row["predicted"], row["observed"])
        r = 3 + min(row["n"], 400) ** 0.5 / 2
        body.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="{r:.1f}" fill="#1f5fbf" '
                    f'fill-opacity="0.7"><title>{escape(_calibration_tip(row))}</title>'
                    "</circle>")
    body.append(f'<text x="{left + size / 2:.1f}" y="{HEIGHT - PAD_BOTTOM + 14}" '
                f'text-anchor="middle" fill="#5b6475">{escape(axis_label)}</text>')
    return _svg(title, body)


def _calibration_tip(row: dict) -> str:
    return (f"{row['low']:.0%}–{row['high']:.0%}: {row['predicted']:.0%} → "
            f"{row['observed']:.0%} (n={row['n']})")

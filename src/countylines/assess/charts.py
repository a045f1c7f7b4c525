"""Charts of the briefing as PNG images (matplotlib, Agg backend), returned as bytes."""

from __future__ import annotations

import io

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt

BAR_COLOUR = "#1d3557"


def bar_chart(values: dict[str, float], title: str, xlabel: str, top: int = 15) -> bytes:
    """A horizontal bar chart of the `top` largest `values` (label -> value), largest first."""
    items = sorted(values.items(), key=lambda kv: (-kv[1], kv[0]))[:top]
    labels = [str(k) for k, _ in items][::-1]
    numbers = [float(v) for _, v in items][::-1]
    fig, ax = plt.subplots(figsize=(7, 0.35 * max(3, len(items)) + 1.2), dpi=110)
    try:
        ax.barh(labels, numbers, color=BAR_COLOUR)
        ax.set_title(title, loc="left", fontsize=11)
        ax.set_xlabel(xlabel)
        ax.spines[["top", "right"]].set_visible(False)
        fig.tight_layout()
        buffer = io.BytesIO()
        fig.savefig(buffer, format="png")
        return buffer.getvalue()
    finally:
        plt.close(fig)

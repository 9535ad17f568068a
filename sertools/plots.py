"""Figures used across chapters: confusion matrices, t-SNE maps, learning curves, spectrograms, dose panels."""
from __future__ import annotations

import textwrap
from typing import Sequence

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd


def style() -> None:
    """The book's plotting defaults (call once per chapter)."""
    import seaborn as sns

    sns.set_theme(context="notebook", style="whitegrid", font_scale=0.95)
    plt.rcParams.update({"figure.dpi": 100, "savefig.dpi": 100, "figure.figsize": (6.4, 4.0)})


def confusion_matrix(cm: pd.DataFrame, title: str = "", ax=None, fmt: str = ".0%"):
    """Heatmap of a row-normalised confusion matrix (rows: true label)."""
    import seaborn as sns

    ax = ax or plt.subplots(figsize=(4.2, 3.6))[1]
    sns.heatmap(cm, annot=True, fmt=fmt, cmap="Blues", vmin=0, vmax=1, cbar=False, ax=ax, square=True)
    ax.set_title(title)
    ax.set_xlabel("predicted")
    ax.set_ylabel("true")
    return ax


def tsne(embeddings: np.ndarray, seed: int = 0, perplexity: float = 30.0) -> np.ndarray:
    """2-D t-SNE of embeddings (perplexity capped for small sets), on one OpenMP thread: for the
    book's few hundred points two threads on two cores took 45 s where one took 5 s (measured on a
    busy machine; the same layout)."""
    from sklearn.manifold import TSNE
    from threadpoolctl import threadpool_limits

    perplexity = min(perplexity, max(2.0, (len(embeddings) - 1) / 3))
    with threadpool_limits(1, user_api="openmp"):
        return TSNE(2, perplexity=perplexity, random_state=seed, init="pca").fit_transform(
            (embeddings - embeddings.mean(0)) / (embeddings.std(0) + 1e-8))


def scatter_by(xy: np.ndarray, labels: Sequence, title: str = "", ax=None, order: Sequence | None = None):
    """A 2-D scatter coloured by a categorical label."""
    import seaborn as sns

    ax = ax or plt.subplots(figsize=(4.2, 3.6))[1]
    sns.scatterplot(x=xy[:, 0], y=xy[:, 1], hue=list(labels), hue_order=order, s=14, linewidth=0, ax=ax,
                    palette="tab10")
    ax.set(title=title, xticks=[], yticks=[])
    ax.legend(fontsize=7, markerscale=0.8, loc="best")
    return ax


def learning_curves(curves: pd.DataFrame, metrics: Sequence[str] = ("train_ua", "val_ua"), by: str = "system",
                    names: dict | None = None, chance: float | None = None, scale: float = 100.0):
    """One panel per metric: the mean per epoch over every unit of each ``by`` group (folds,
    seeds) with a ±1 std band, as recorded by the trainer (``train_ua``, ``val_ua``, ``track_ua``…)."""
    metrics = [m for m in metrics if m in curves]
    fig, axes = plt.subplots(1, len(metrics), figsize=(4.2 * len(metrics), 3.2), squeeze=False, sharey=True)
    titles = {"train_ua": "training utterances (sample)", "val_ua": "validation speaker",
              "track_ua": "held-out speakers (not used for selection)", "train_loss": "training loss"}
    for ax, metric in zip(axes[0], metrics):
        for group, g in curves.groupby(by, sort=False):
            stats = g.groupby("epoch")[metric].agg(["mean", "std"]) * scale
            label = (names or {}).get(group, group)
            ax.plot(stats.index, stats["mean"], label=label)
            ax.fill_between(stats.index, stats["mean"] - stats["std"].fillna(0), stats["mean"] + stats["std"].fillna(0),
                            alpha=0.15)
        if chance is not None:
            ax.axhline(chance * scale, ls="--", c="grey", lw=1)
        ax.set(xlabel="epoch", title=titles.get(metric, metric), ylabel="UA (%)" if metric.endswith("ua") else metric)
    axes[0][-1].legend(fontsize=7, loc="lower right")
    fig.tight_layout()
    return fig


def spectrogram(feature: np.ndarray, title: str = "", ax=None, hop_ms: float = 10.0, ylabel: str = "bin"):
    """Show a ``[T, F]`` feature as an image (time on x)."""
    ax = ax or plt.subplots(figsize=(5, 2.6))[1]
    t = feature.shape[0] * hop_ms / 1000
    ax.imshow(np.asarray(feature, float).T, origin="lower", aspect="auto", cmap="magma",
              extent=(0, t, 0, feature.shape[1]))
    ax.set(title=title, xlabel="time (s)", ylabel=ylabel)
    return ax


def ci_bars(table: pd.DataFrame, value: str, lo: str, hi: str, ax=None, title: str = "", chance: float | None = None):
    """Horizontal points with confidence intervals, one row per index entry."""
    ax = ax or plt.subplots(figsize=(5.5, 0.45 * len(table) + 1))[1]
    y = np.arange(len(table))
    ax.errorbar(table[value], y, xerr=[table[value] - table[lo], table[hi] - table[value]], fmt="o", capsize=3)
    ax.set_yticks(y, table.index)
    if chance is not None:
        ax.axvline(chance, ls="--", c="grey", lw=1, label="chance")
        ax.legend(fontsize=7)
    ax.set(title=title, xlabel=value)
    return ax


def dose_panels(long: pd.DataFrame, ncols: int = 5):
    """One small panel per knob: its meter's ``value`` against ``dose`` (columns ``knob``, ``dose``,
    ``value``, ``meter``, ``role``), the book's default dose marked."""
    knobs = list(dict.fromkeys(long.knob))
    nrows = int(np.ceil(len(knobs) / ncols))
    fig, axes = plt.subplots(nrows, ncols, figsize=(2.6 * ncols, 2.3 * nrows), squeeze=False)
    for ax, knob in zip(axes.flat, knobs):
        g = long[long.knob == knob]
        ax.plot(g.dose, g.value, "o-", color="C0")
        default = g[g.role.str.contains("default")]
        ax.plot(default.dose, default.value, "o", color="C3", label="book default")
        ax.set_title(knob, fontsize=9)
        ax.set_ylabel(textwrap.fill(g.meter.iloc[0], 28), fontsize=6.5)
        ax.tick_params(labelsize=7)
    for ax in list(axes.flat)[len(knobs):]:
        ax.axis("off")
    axes.flat[0].legend(fontsize=7)
    fig.tight_layout()
    return fig

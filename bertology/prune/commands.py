"""CLI: ``bertology prune``, ``specialize``, ``inspect`` and ``bertology masks ...``."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import typer

from bertology.cli_config import OVERWRITE, Flag, argument, config_command, option, out_option
from bertology.config import to_dict
from bertology.probe.commands import INPUT_FLAGS
from bertology.prune.config import (
    MOVED,
    FollowUpConfig,
    InspectConfig,
    PruneImpl,
    PruneRunConfig,
    load_run_config,
)


@dataclass
class CombineConfig:
    """``masks combine``: how to combine, and (with ``--run``) how to evaluate."""

    how: Literal["union", "intersection", "majority"] = "union"
    impl: PruneImpl = field(default_factory=PruneImpl)


@dataclass
class MaskFilesConfig:
    """``masks stats`` and ``masks overlap`` read mask files only: no settings of their own
    (``--config``/``--set`` are accepted for a uniform interface, and any key is unknown)."""


@dataclass
class ExportConfig:
    """``masks export``: the model the mask was trained on, and whether to replace ``--out``."""

    model: str
    overwrite: bool = False


masks_app = typer.Typer(
    help="Inspect, compare, combine and export relation masks.", no_args_is_help=True
)


def _stats(cfg: MaskFilesConfig, masks: list[Path]) -> Any:
    from bertology.prune.maskfiles import mask_stats  # torch: not at CLI start-up

    return mask_stats(masks)


def _overlap(cfg: MaskFilesConfig, masks: list[Path], out: Path | None) -> Any:
    from bertology.prune.maskfiles import mask_overlap  # torch: not at CLI start-up

    return mask_overlap(masks, out)


config_command(
    masks_app,
    "stats",
    config=MaskFilesConfig,
    run=_stats,
    params=[argument("masks", annotation=list[Path], help="Mask files (.safetensors).")],
    help="Pruned fraction of each mask overall, per layer and per kind of matrix.",
)
config_command(
    masks_app,
    "overlap",
    config=MaskFilesConfig,
    run=_overlap,
    params=[
        argument("masks", annotation=list[Path], help="Two or more mask files of the same model."),
        option(
            "out",
            "--out",
            "-o",
            annotation=Path | None,
            help="Write overlap.json and a heatmap here.",
        ),
    ],
    help="Jaccard overlap of the kept weights between masks, overall and per layer.",
)


def _combine(cfg: CombineConfig, masks: list[Path], out: Path, run: Path | None) -> Any:
    from bertology.prune.maskfiles import mask_combine  # torch: not at CLI start-up

    return mask_combine(masks, cfg.how, out, run, cfg.impl if run is not None else None)


config_command(
    masks_app,
    "combine",
    config=CombineConfig,
    flags=[Flag("how", "--how")],
    run=_combine,
    params=[
        argument("masks", annotation=list[Path], help="Mask files to combine."),
        out_option("Combined mask file to write."),
        option(
            "run",
            "--run",
            annotation=Path | None,
            help="A prune run: evaluate the combination on its test split.",
        ),
    ],
    help="Combine masks; with --run, evaluate the combination on all of their relations.",
)


def _export(cfg: ExportConfig, masks: Path, out: Path) -> Any:
    from bertology.prune.maskfiles import mask_export  # torch: not at CLI start-up

    return mask_export(masks, cfg.model, out, cfg.overwrite)


config_command(
    masks_app,
    "export",
    config=ExportConfig,
    flags=[
        Flag("model", "--model", "-m", help="The model the mask was trained on."),
        Flag("overwrite", "--overwrite"),
    ],
    run=_export,
    params=[
        option(
            "masks",
            "--masks",
            annotation=Path,
            default=...,
            help="One mask file (RUN/masks/R.safetensors).",
        ),
        out_option("Hugging Face model directory to write."),
    ],
    help="Write the subnetwork as an ordinary HF model directory with pruned weights zeroed.",
)


# impl flags of prune that specialize and inspect share (they read the run's science)
FOLLOW_UP_FLAGS = [
    Flag("impl.eval_batch_size", "--eval-batch-size"),
    Flag("impl.device", "--device"),
    Flag("impl.dtype", "--dtype"),
]
PRUNE_FLAGS = [
    *INPUT_FLAGS,
    Flag("train.mode", "--mode"),
    Flag("train.layers", "--layers", help="LB-LT (inclusive), L, or all."),
    Flag("train.init_sparsity", "--init-sparsity"),
    Flag("train.tau", "--tau", help="Binary-concrete temperature (stochastic)."),
    Flag("train.threshold", "--threshold", help="Keep a weight if σ(G) > t."),
    Flag("train.init_scale", "--init-scale", help="Spread of initial scores."),
    Flag("train.epochs", "--epochs"),
    Flag("train.lr", "--lr"),
    Flag("train.batch_size", "--batch-size"),
    Flag("train.warmup", "--warmup", help="Fraction of steps with rising lr."),
    Flag("train.patience", "--patience", help="Early stopping on dev P@1; 0 = off."),
    Flag("train.sparsity_weight", "--sparsity-weight", help="Regulariser (off)."),
    Flag("train.sparsity_target", "--sparsity-target"),
    Flag("train.seed", "--seed"),
    Flag("train.split_seed", "--split-seed"),
    Flag("train.hard_eval", "--hard-eval", help="Stochastic: evaluate thresholded masks."),
    Flag("save_soft", "--save-soft", help="Store σ(G) as fp16 next to the bits."),
    Flag("train.candidates", "--candidates", help="Ranking vocabulary of dev/test P@k."),
    *FOLLOW_UP_FLAGS,
    Flag("impl.attn", "--attn"),
    Flag("impl.progress", "--progress"),
]
RUN_ARG = argument("run", annotation=Path, help="A `bertology prune` run directory.")


def _follow_up_base(params: dict[str, Any]) -> tuple[Any, dict[str, Any]]:
    """Start from the run's own impl: a follow-up command computes as its run did."""

    return None, {"impl": to_dict(load_run_config(params["run"]).impl)}


def _prune(cfg: PruneRunConfig, out: Path, overwrite: bool) -> Any:
    from bertology.prune.run import prune  # torch: not at CLI start-up

    cfg.train.mask_config()  # validate the mask settings before loading a model
    return prune(cfg, out, overwrite=overwrite)


def _specialize(cfg: FollowUpConfig, run: Path) -> Any:
    from bertology.prune.followup import specialize  # torch: not at CLI start-up

    return specialize(run, impl=cfg.impl)


def _inspect(cfg: InspectConfig, run: Path) -> Any:
    from bertology.prune.followup import inspect_run  # torch: not at CLI start-up

    return inspect_run(run, impl=cfg.impl, state=cfg.state, attention=cfg.attention)


def register(app: typer.Typer) -> None:
    config_command(
        app,
        "prune",
        config=PruneRunConfig,
        flags=PRUNE_FLAGS,
        moved=MOVED,
        run=_prune,
        params=[out_option("Run directory to write."), OVERWRITE],
        help="Train a relation-specific subnetwork (LAMP) per relation; compare with controls.",
    )
    config_command(
        app,
        "specialize",
        config=FollowUpConfig,
        flags=FOLLOW_UP_FLAGS,
        run=_specialize,
        prepare=_follow_up_base,
        params=[RUN_ARG],
        help="P@1 of every relation under every relation's mask (R × R), on the test split.",
    )
    config_command(
        app,
        "inspect",
        config=InspectConfig,
        flags=[
            *FOLLOW_UP_FLAGS,
            Flag("state", "--state", help="Hidden state to cluster: mask or cls ([CLS])."),
            Flag("attention", "--attention", help="Test facts per relation for the viewer."),
        ],
        run=_inspect,
        prepare=_follow_up_base,
        params=[RUN_ARG],
        help="[MASK]'s attention by layer and its representations, full model vs subnetworks.",
    )
    app.add_typer(masks_app, name="masks")

"""CLI: ``bertology prune``, ``specialize``, ``inspect`` and ``bertology masks ...``."""

from __future__ import annotations

from pathlib import Path

import typer

masks_app = typer.Typer(
    help="Inspect, compare, combine and export relation masks.", no_args_is_help=True
)


@masks_app.command("stats")
def masks_stats_cmd(
    masks: list[Path] = typer.Argument(..., help="Mask files (.safetensors)."),
) -> None:
    """Pruned fraction of each mask overall, per layer and per kind of matrix."""
    from bertology.prune.maskfiles import mask_stats

    mask_stats(masks)


@masks_app.command("overlap")
def masks_overlap_cmd(
    masks: list[Path] = typer.Argument(..., help="Two or more mask files of the same model."),
    out: Path | None = typer.Option(
        None, "--out", "-o", help="Write overlap.json and a heatmap here."
    ),
) -> None:
    """Jaccard overlap of the kept weights between masks, overall and per layer."""
    from bertology.prune.maskfiles import mask_overlap

    mask_overlap(masks, out)


@masks_app.command("combine")
def masks_combine_cmd(
    masks: list[Path] = typer.Argument(..., help="Mask files to combine."),
    how: str = typer.Option("union", "--how", help="union | intersection | majority"),
    out: Path = typer.Option(..., "--out", "-o", help="Combined mask file to write."),
    run: Path | None = typer.Option(
        None, "--run", help="A prune run: evaluate the combination on its test split."
    ),
) -> None:
    """Combine masks; with --run, evaluate the combination on all of their relations."""
    from bertology.prune.maskfiles import mask_combine

    mask_combine(masks, how, out, run)


@masks_app.command("export")
def masks_export_cmd(
    masks: Path = typer.Option(..., "--masks", help="One mask file (RUN/masks/R.safetensors)."),
    model: str = typer.Option(..., "--model", "-m", help="The model the mask was trained on."),
    out: Path = typer.Option(..., "--out", "-o", help="Hugging Face model directory to write."),
    overwrite: bool = typer.Option(False, "--overwrite"),
) -> None:
    """Write the subnetwork as an ordinary HF model directory with pruned weights zeroed."""
    from bertology.prune.maskfiles import mask_export

    mask_export(masks, model, out, overwrite)


def register(app: typer.Typer) -> None:
    @app.command("prune")
    def prune_cmd(
        model: str = typer.Option(
            ..., "--model", "-m", help="HF hub name or local model directory."
        ),
        facts: Path = typer.Option(..., "--facts", "-f", help="Facts JSONL (canonical or LAMA)."),
        out: Path = typer.Option(..., "--out", "-o", help="Run directory to write."),
        relations_file: Path | None = typer.Option(None, "--relations-file", "-r"),
        relation: list[str] | None = typer.Option(
            None, "--relation", help="Only these (repeatable)."
        ),
        mode: str = typer.Option("deterministic", "--mode", help="deterministic | stochastic"),
        layers: str = typer.Option("6-11", "--layers", help="LB-LT (inclusive), L, or all."),
        init_sparsity: float = typer.Option(0.5, "--init-sparsity"),
        tau: float = typer.Option(0.1, "--tau", help="Binary-concrete temperature (stochastic)."),
        threshold: float = typer.Option(0.5, "--threshold", help="Keep a weight if σ(G) > t."),
        init_scale: float = typer.Option(0.05, "--init-scale", help="Spread of initial scores."),
        epochs: int = typer.Option(10, "--epochs"),
        lr: float = typer.Option(3e-4, "--lr"),
        batch_size: int = typer.Option(32, "--batch-size"),
        warmup: float = typer.Option(0.1, "--warmup", help="Fraction of steps with rising lr."),
        patience: int = typer.Option(3, "--patience", help="Early stopping on dev P@1; 0 = off."),
        sparsity_weight: float = typer.Option(0.0, "--sparsity-weight", help="Regulariser (off)."),
        sparsity_target: float | None = typer.Option(None, "--sparsity-target"),
        seed: int = typer.Option(0, "--seed"),
        split_seed: int = typer.Option(0, "--split-seed"),
        hard_eval: bool = typer.Option(
            False, "--hard-eval", help="Stochastic: evaluate thresholded masks (true subnetworks)."
        ),
        save_soft: bool | None = typer.Option(
            None, "--save-soft/--no-save-soft", help="Store σ(G) as fp16 next to the bits."
        ),
        candidates: str = typer.Option(
            "all",
            "--candidates",
            help="Ranking vocabulary of dev/test P@k: all | relation (its objects) | FILE.",
        ),
        eval_batch_size: int = typer.Option(64, "--eval-batch-size"),
        device: str = typer.Option("auto", "--device"),
        dtype: str | None = typer.Option(None, "--dtype", help="fp32 | bf16 | fp16"),
        attn: str = typer.Option("sdpa", "--attn", help="sdpa | eager"),
        progress: bool = typer.Option(True, "--progress/--no-progress"),
    ) -> None:
        """Train a relation-specific subnetwork (LAMP) per relation; compare with controls."""
        from bertology.prune.masks import MaskConfig
        from bertology.prune.run import PruneRunConfig, prune
        from bertology.prune.train import PruneConfig

        MaskConfig(mode, init_sparsity, tau, threshold, init_scale)  # validate early
        train = PruneConfig(
            layers=layers,
            mode=mode,
            init_sparsity=init_sparsity,
            tau=tau,
            threshold=threshold,
            init_scale=init_scale,
            epochs=epochs,
            lr=lr,
            batch_size=batch_size,
            warmup=warmup,
            patience=patience,
            sparsity_weight=sparsity_weight,
            sparsity_target=sparsity_target,
            seed=seed,
            split_seed=split_seed,
            hard_eval=hard_eval,
            candidates=candidates,
            eval_batch_size=eval_batch_size,
            progress=progress,
        )
        cfg = PruneRunConfig(
            model=model,
            facts=str(facts),
            relations_file=str(relations_file) if relations_file else None,
            relations=relation or None,
            train=train,
            save_soft=save_soft,
            device=device,
            dtype=dtype,
            attn=attn,
        )
        prune(cfg, out)

    @app.command("specialize")
    def specialize_cmd(
        run: Path = typer.Argument(..., help="A `bertology prune` run directory."),
    ) -> None:
        """P@1 of every relation under every relation's mask (R × R), on the test split."""
        from bertology.prune.run import specialize

        specialize(run)

    @app.command("inspect")
    def inspect_cmd(
        run: Path = typer.Argument(..., help="A `bertology prune` run directory."),
    ) -> None:
        """[MASK]'s attention by layer and its representations, full model vs subnetworks."""
        from bertology.prune.run import inspect_run

        inspect_run(run)

    app.add_typer(masks_app, name="masks")

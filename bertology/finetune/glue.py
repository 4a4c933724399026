"""GLUE tasks by name through ``datasets`` (``nyu-mll/glue``; needs the network or its cache).

GLUE's test labels are hidden, so the published numbers are on the validation split. We
report that split as **test** and hold the dev set for early stopping out of train (seeded,
``dev_fraction``): choosing the epoch on the split we report would overstate the result.
STS-B (a regression) and AX (no labels) are not classification tasks here.
"""

from __future__ import annotations

from bertology.errors import InputError, unknown_name_error
from bertology.finetune.data import RawExample

HUB_NAME = "nyu-mll/glue"

# task name -> (dataset config, text fields, the split reported as test)
GLUE: dict[str, tuple[str, tuple[str, ...], str]] = {
    "cola": ("cola", ("sentence",), "validation"),
    "sst2": ("sst2", ("sentence",), "validation"),
    "mrpc": ("mrpc", ("sentence1", "sentence2"), "validation"),
    "qqp": ("qqp", ("question1", "question2"), "validation"),
    "mnli": ("mnli", ("premise", "hypothesis"), "validation_matched"),
    "mnli-mm": ("mnli", ("premise", "hypothesis"), "validation_mismatched"),
    "qnli": ("qnli", ("question", "sentence"), "validation"),
    "rte": ("rte", ("sentence1", "sentence2"), "validation"),
    "wnli": ("wnli", ("sentence1", "sentence2"), "validation"),
}
NOT_CLASSIFICATION = {"stsb": "a regression task", "ax": "a diagnostic set without labels"}


def glue_name(spec: str) -> str | None:
    """The GLUE task ``spec`` names (``sst2``, ``glue/sst2``, ``SST-2``), or None."""
    name = spec.lower().removeprefix("glue/").removeprefix("glue:")
    name = {"sst-2": "sst2", "sts-b": "stsb", "mnli-m": "mnli"}.get(name, name)
    if name in NOT_CLASSIFICATION:
        raise InputError(f"GLUE {name} is {NOT_CLASSIFICATION[name]}, not a classification task")
    return name if name in GLUE else None


def unknown_task(spec: str) -> InputError:
    """The error for a task that is neither a file, a directory nor a known name."""
    err = unknown_name_error("task", spec, [*GLUE, "world-verify:WORLD"])
    return InputError(
        f"{err}; or give a local file or directory (JSONL or CSV with text/label or "
        "text_a/text_b/label)"
    )


def read_glue(name: str) -> tuple[str, list[str], dict[str, list[RawExample]], dict[str, str]]:
    """``(kind, label names, {"train", "test": rows}, where each split came from)``."""
    config, fields, test_split = GLUE[name]
    try:
        from datasets import load_dataset  # datasets: only for GLUE by name

        ds = load_dataset(HUB_NAME, config)
    except Exception as e:  # noqa: BLE001 - offline, the hub refused, a broken cache
        row = '{"text_a", "text_b", "label"}' if len(fields) == 2 else '{"text", "label"}'
        raise InputError(
            f"cannot load GLUE task {name!r} from the hub ({type(e).__name__}; offline?): "
            "run once where you are online (datasets caches it), or give a local task: "
            f"--task DIR with train.jsonl, dev.jsonl and test.jsonl rows {row}"
        ) from None
    names = list(ds["train"].features["label"].names)
    rows: dict[str, list[RawExample]] = {}
    for split, source in (("train", "train"), ("test", test_split)):
        out = []
        for i, row in enumerate(ds[source]):
            where = f"{HUB_NAME}/{config}/{source}:{i + 1}"
            if not 0 <= int(row["label"]) < len(names):
                raise InputError(f"unlabelled example (label {row['label']})", where)
            out.append(
                RawExample(tuple(row[f] for f in fields), names[int(row["label"])], (), where)
            )
        rows[split] = out
    kind = "pair" if len(fields) == 2 else "single"
    where = {"train": f"{HUB_NAME}/{config} train", "test": f"{HUB_NAME}/{config} {test_split}"}
    return kind, names, rows, where

"""Fine-tuning: a checkpoint, or one relation's subnetwork with its mask held fixed, on a
downstream task with a Hugging Face classification or multiple-choice head.

- :mod:`~bertology.finetune.config`: the settings (science apart from ``impl``);
- :mod:`~bertology.finetune.tasks`: ``--task`` as GLUE by name, local JSONL/CSV, or
  ``world-verify:WORLD``; :mod:`~bertology.finetune.data` holds the examples and labels;
- :mod:`~bertology.finetune.model`: the head on the MLM's encoder, and :class:`FixedPruning`;
- :mod:`~bertology.finetune.loop`: AdamW, linear schedule, early stopping on dev only;
- :mod:`~bertology.finetune.run`: ``bertology finetune``'s run directory;
- :mod:`~bertology.finetune.evaluator`: the ``finetune`` checkpoint evaluator.

Nothing heavy is imported here, so ``bertology --help`` does not import torch.
"""

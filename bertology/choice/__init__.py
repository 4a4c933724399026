"""Zero-shot multiple choice: each choice scored by pseudo-log-likelihood, optionally under a
combination of relation-specific subnetworks (LAMP's downstream use) chosen on dev.

``bertology choice --model M --data F --out RUN``; see :mod:`bertology.choice.run`. Kept free
of heavy imports (the CLI imports ``bertology.choice.commands`` at start-up).
"""

"""Knowledge-base completion with a masked LM and its relation subnetworks (LAMP downstream).

``bertology kbc`` ranks candidate objects at the mask (tail prediction: full ranks, raw and
filtered, Hits@k and MRR) and classifies triples as true or false by the object's
log-probability with a per-relation threshold chosen on dev (ConceptNet-100k's task), for the
full model and, given a ``bertology prune`` run, each relation's own subnetwork and a random
mask of the same sparsity per matrix.

Modules: :mod:`~bertology.kbc.config` (settings), :mod:`~bertology.kbc.conceptnet` (the
ConceptNet-100k TSV reader), :mod:`~bertology.kbc.data` (facts, negatives, candidates),
:mod:`~bertology.kbc.ranking` (ranks and their metrics), :mod:`~bertology.kbc.classify`
(thresholds and accuracy), :mod:`~bertology.kbc.run` (the command), :mod:`~bertology.kbc.report`
(the console table and the figure).
"""

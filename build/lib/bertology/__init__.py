"""bertology: where relational knowledge and syntax live inside masked language models.

The package is split by capability (see DESIGN.md):

- :mod:`bertology.models`   load / build masked LMs
- :mod:`bertology.data`     facts, relations, CoNLL-U, minimal pairs, corpora
- :mod:`bertology.probe`    cloze ranking and metrics
- :mod:`bertology.prune`    relation-specific subnetworks (LAMP)
- :mod:`bertology.syntax`   word-level attention, UAS, the syntactic regularizer (SAS)
- :mod:`bertology.world`    the embedded synthetic language
- :mod:`bertology.train`    MLM pre-training
- :mod:`bertology.report`   figures and HTML reports
"""

__version__ = "0.1.0"

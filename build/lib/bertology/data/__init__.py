"""Reading the data bertology works on.

- relational facts: LAMA JSONL (ConceptNet and T-REx styles), canonical JSONL, relation
  templates, splits by subject (:mod:`bertology.data.facts`)
- dependency trees: CoNLL-U and spaCy parses (:mod:`bertology.data.dependency`)
- WordNet relations (:mod:`bertology.data.wordnet`)
"""

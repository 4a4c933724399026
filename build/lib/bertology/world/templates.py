"""Relation templates: how each relation is stated in the corpus, and the held-out probe frame.

Each relation has at least three corpus templates (paraphrases mixed into the corpus) and one
probe template (written to ``relations.jsonl``) that never occurs in the corpus. A probe is a
new arrangement of words the corpus does contain, so a model meets no unknown word in it: what
it has to supply is the fact, not the frame.

A template is written token by token as ``form/UPOS/head/deprel[/lemma]`` (heads 1-based, 0 for
the root), or ``[X]/head/deprel`` and ``[Y]/head/deprel`` for the slots; the tree is UD style.
"""

from __future__ import annotations

from dataclasses import dataclass

from bertology.world import words as W
from bertology.world.lexicon import Word
from bertology.world.trees import Sentence, tree_errors

SLOT_X, SLOT_Y = "[X]", "[Y]"

# relation -> (probe template, corpus templates)
TEMPLATE_SPECS: dict[str, tuple[str, list[str]]] = {
    "IsA": (
        "the/DET/2/det [X]/7/nsubj is/AUX/7/cop/be in/ADP/7/case the/DET/7/det [Y]/7/compound class/NOUN/0/root ./PUNCT/7/punct",
        [
            "the/DET/2/det [X]/5/nsubj is/AUX/5/cop/be one/NUM/5/nummod type/NOUN/0/root of/ADP/7/case [Y]/5/nmod ./PUNCT/5/punct",
            "the/DET/3/det [Y]/3/compound class/NOUN/4/nsubj includes/VERB/0/root/include the/DET/6/det [X]/4/obj ./PUNCT/4/punct",
            "one/NUM/2/nummod [Y]/5/nsubj is/AUX/5/cop/be the/DET/5/det [X]/0/root ./PUNCT/5/punct",
        ],
    ),
    "AtLocation": (
        "you/PRON/3/nsubj will/AUX/3/aux see/VERB/0/root the/DET/5/det [X]/3/obj in/ADP/8/case the/DET/8/det [Y]/3/obl ./PUNCT/3/punct",
        [
            "the/DET/2/det [X]/5/nsubj:pass is/AUX/5/aux:pass/be usually/ADV/5/advmod kept/VERB/0/root/keep in/ADP/8/case the/DET/8/det [Y]/5/obl ./PUNCT/5/punct",
            "in/ADP/3/case the/DET/3/det [Y]/6/obl you/PRON/6/nsubj will/AUX/6/aux see/VERB/0/root the/DET/8/det [X]/6/obj ./PUNCT/6/punct",
            "the/DET/2/det [X]/3/nsubj stays/VERB/0/root/stay in/ADP/6/case the/DET/6/det [Y]/3/obl ./PUNCT/3/punct",
        ],
    ),
    "UsedFor": (
        "one/PRON/2/nsubj needs/VERB/0/root/need the/DET/4/det [X]/2/obj for/SCONJ/6/mark [Y]/2/advcl ./PUNCT/2/punct",
        [
            "people/NOUN/2/nsubj/person use/VERB/0/root the/DET/4/det [X]/2/obj for/SCONJ/6/mark [Y]/2/advcl ./PUNCT/2/punct",
            "the/DET/2/det [X]/4/nsubj is/AUX/4/cop/be good/ADJ/0/root for/SCONJ/6/mark [Y]/4/advcl ./PUNCT/4/punct",
            "for/SCONJ/2/mark [Y]/5/advcl ,/PUNCT/2/punct one/PRON/5/nsubj needs/VERB/0/root/need the/DET/7/det [X]/5/obj ./PUNCT/5/punct",
        ],
    ),
    "CapableOf": (
        "for/ADP/3/case the/DET/3/det [X]/6/obl it/PRON/6/expl is/AUX/6/cop/be easy/ADJ/0/root to/PART/8/mark [Y]/6/csubj ./PUNCT/6/punct",
        [
            "the/DET/2/det [X]/4/nsubj can/AUX/4/aux [Y]/0/root ./PUNCT/4/punct",
            "every/DET/2/det [X]/3/nsubj knows/VERB/0/root/know how/ADV/6/advmod to/PART/6/mark [Y]/3/xcomp ./PUNCT/3/punct",
            "it/PRON/3/expl is/AUX/3/cop/be easy/ADJ/0/root for/SCONJ/8/mark the/DET/6/det [X]/8/nsubj to/PART/8/mark [Y]/3/csubj ./PUNCT/3/punct",
        ],
    ),
    "MadeOf": (
        "the/DET/2/det material/NOUN/7/nsubj of/ADP/5/case the/DET/5/det [X]/2/nmod is/AUX/7/cop/be [Y]/0/root ./PUNCT/7/punct",
        [
            "the/DET/2/det [X]/4/nsubj:pass is/AUX/4/aux:pass/be built/VERB/0/root/build from/ADP/6/case [Y]/4/obl ./PUNCT/4/punct",
            "they/PRON/2/nsubj make/VERB/0/root the/DET/4/det [X]/2/obj out/ADP/7/case of/ADP/5/fixed [Y]/2/obl ./PUNCT/2/punct",
            "[Y]/4/nsubj is/AUX/4/cop/be the/DET/4/det material/NOUN/0/root of/ADP/7/case the/DET/7/det [X]/4/nmod ./PUNCT/4/punct",
        ],
    ),
    "HasA": (
        "the/DET/2/det [X]/3/nsubj owns/VERB/0/root/own its/PRON/6/nmod:poss own/ADJ/6/amod [Y]/3/obj ./PUNCT/3/punct",
        [
            "the/DET/2/det [X]/3/nsubj comes/VERB/0/root/come with/ADP/7/case its/PRON/7/nmod:poss own/ADJ/7/amod [Y]/3/obl ./PUNCT/3/punct",
            "look/VERB/0/root at/ADP/4/case the/DET/4/det [Y]/1/obl of/ADP/7/case the/DET/7/det [X]/4/nmod ./PUNCT/1/punct",
            "each/DET/2/det [X]/3/nsubj owns/VERB/0/root/own its/PRON/5/nmod:poss [Y]/3/obj ./PUNCT/3/punct",
        ],
    ),
    "PartOf": (
        "one/NUM/2/nummod piece/NOUN/8/nsubj of/ADP/5/case the/DET/5/det [Y]/2/nmod is/AUX/8/cop/be the/DET/8/det [X]/0/root ./PUNCT/8/punct",
        [
            "the/DET/2/det [X]/3/nsubj belongs/VERB/0/root/belong to/ADP/6/case the/DET/6/det [Y]/3/obl ./PUNCT/3/punct",
            "the/DET/2/det [Y]/3/nsubj contains/VERB/0/root/contain the/DET/5/det [X]/3/obj ./PUNCT/3/punct",
            "the/DET/2/det [X]/5/nsubj is/AUX/5/cop/be one/NUM/5/nummod piece/NOUN/0/root of/ADP/8/case the/DET/8/det [Y]/5/nmod ./PUNCT/5/punct",
        ],
    ),
    "Desires": (
        "the/DET/2/det [X]/4/nsubj is/AUX/4/cop/be glad/ADJ/0/root for/ADP/6/case [Y]/4/obl ./PUNCT/4/punct",
        [
            "the/DET/2/det [X]/3/nsubj longs/VERB/0/root/long for/ADP/5/case [Y]/3/obl ./PUNCT/3/punct",
            "[Y]/2/nsubj makes/VERB/0/root/make the/DET/4/det [X]/2/obj glad/ADJ/2/xcomp ./PUNCT/2/punct",
            "the/DET/2/det [X]/3/nsubj craves/VERB/0/root/crave [Y]/3/obj ./PUNCT/3/punct",
        ],
    ),
    "HasProperty": (
        "the/DET/2/det [X]/4/nsubj is/AUX/4/cop/be [Y]/0/root ./PUNCT/4/punct",
        [
            "the/DET/2/det [X]/5/nsubj is/AUX/5/cop/be very/ADV/5/advmod [Y]/0/root ./PUNCT/5/punct",
            "the/DET/2/det [X]/3/nsubj looks/VERB/0/root/look [Y]/3/xcomp ./PUNCT/3/punct",
            "people/NOUN/2/nsubj/person find/VERB/0/root the/DET/4/det [X]/2/obj [Y]/2/xcomp ./PUNCT/2/punct",
        ],
    ),
    "ReceivesAction": (
        "the/DET/2/det [X]/5/nsubj:pass can/AUX/5/aux be/AUX/5/aux:pass [Y]/0/root ./PUNCT/5/punct",
        [
            "the/DET/2/det [X]/5/nsubj:pass is/AUX/5/aux:pass/be often/ADV/5/advmod [Y]/0/root ./PUNCT/5/punct",
            "people/NOUN/3/nsubj/person have/AUX/3/aux [Y]/0/root the/DET/5/det [X]/3/obj ./PUNCT/3/punct",
            "the/DET/2/det [X]/4/nsubj:pass gets/AUX/4/aux:pass/get [Y]/0/root ./PUNCT/4/punct",
            "the/DET/2/det [X]/5/nsubj:pass will/AUX/5/aux be/AUX/5/aux:pass [Y]/0/root soon/ADV/5/advmod ./PUNCT/5/punct",
        ],
    ),
}


@dataclass(frozen=True)
class Template:
    """A sentence frame with an ``[X]`` (subject) and a ``[Y]`` (object) slot and its tree."""

    words: tuple[Word | str, ...]  # a Word, or SLOT_X / SLOT_Y
    heads: tuple[int, ...]  # 0-based, -1 (trees.ROOT) for the root
    deprels: tuple[str, ...]

    @classmethod
    def parse(cls, spec: str) -> Template:
        words: list[Word | str] = []
        heads: list[int] = []
        deprels: list[str] = []
        for token in spec.split():
            parts = token.split("/")
            if parts[0] in (SLOT_X, SLOT_Y):
                form, head, rel = parts
                words.append(form)
            else:
                form, upos, head, rel, *lemma = parts
                words.append(Word(form, lemma[0] if lemma else form, upos))
            heads.append(int(head) - 1)
            deprels.append(rel)
        errors = tree_errors([h + 1 for h in heads])
        if errors or words.count(SLOT_X) != 1 or words.count(SLOT_Y) != 1:
            raise ValueError(f"bad template {spec!r}: {errors or 'needs one [X] and one [Y]'}")
        return cls(tuple(words), tuple(heads), tuple(deprels))

    @property
    def text(self) -> str:
        """The template as ``relations.jsonl`` writes it: ``the [X] is one type of [Y] .``"""
        return " ".join(w if isinstance(w, str) else w.form for w in self.words)

    @property
    def fixed_words(self) -> list[str]:
        return [w.form for w in self.words if isinstance(w, Word)]

    def __len__(self) -> int:
        return len(self.words)

    def sentence(self, subject: Word, obj: Word) -> Sentence:
        """The template with its slots filled, as a sentence with its tree."""
        fill = {SLOT_X: subject, SLOT_Y: obj}
        words = [fill[w] if isinstance(w, str) else w for w in self.words]
        return Sentence(words, list(self.heads), list(self.deprels))


@dataclass(frozen=True)
class RelationTemplates:
    """A relation's held-out probe template, its corpus templates and how its objects are tagged."""

    relation: str
    probe: Template
    corpus: tuple[Template, ...]
    object_upos: str
    object_feats: str

    def object_word(self, obj: str) -> Word:
        return Word(obj, obj, self.object_upos, self.object_feats)


def relation_templates() -> dict[str, RelationTemplates]:
    """Every relation's templates, parsed and checked, in a fixed order."""
    out = {}
    for rel, (probe, corpus) in TEMPLATE_SPECS.items():
        upos, feats = W.OBJECT_TAGS[rel]
        out[rel] = RelationTemplates(
            rel, Template.parse(probe), tuple(Template.parse(t) for t in corpus), upos, feats
        )
    return out

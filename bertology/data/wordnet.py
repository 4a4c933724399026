"""Relational facts from WordNet 3.0: IsA, PartOf, HasA, MadeOf, MemberOf.

WordNet is read with nltk's reader. Online users have ``nltk.download("wordnet")``; offline,
Debian's ``wordnet-base`` installs the database under ``/usr/share/wordnet``. nltk only
accepts a reader directory under ``nltk.data.path`` and needs a ``lexnames`` file that
Debian does not ship, so :func:`open_wordnet` stages a copy (plus ``lexnames``)
under ``~/.cache/bertology/nltk_data/corpora/wordnet``.

Relations (subject ``[X]`` → object ``[Y]``):

- IsA: noun → hypernym ("a dog is a kind of canine")
- PartOf: part → whole, from part meronyms
- HasA: whole → part, the same edges reversed
- MadeOf: thing → substance, from substance meronyms
- MemberOf: member → group, from member meronyms
"""

from __future__ import annotations

import os
import random
import shutil
import warnings
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from bertology.errors import InputError
from bertology.io import atomic_write_jsonl

TEMPLATES = {
    "IsA": "[X] is a kind of [Y] .",
    "PartOf": "[X] is part of [Y] .",
    "HasA": "[X] has [Y] .",
    "MadeOf": "[X] is made of [Y] .",
    "MemberOf": "[X] is a member of [Y] .",
}

# The 45 lexicographer files (lexnames(5WN)); the third column is the syntactic category.
_LEXNAMES = [
    "adj.all",
    "adj.pert",
    "adv.all",
    "noun.Tops",
    "noun.act",
    "noun.animal",
    "noun.artifact",
    "noun.attribute",
    "noun.body",
    "noun.cognition",
    "noun.communication",
    "noun.event",
    "noun.feeling",
    "noun.food",
    "noun.group",
    "noun.location",
    "noun.motive",
    "noun.object",
    "noun.person",
    "noun.phenomenon",
    "noun.plant",
    "noun.possession",
    "noun.process",
    "noun.quantity",
    "noun.relation",
    "noun.shape",
    "noun.state",
    "noun.substance",
    "noun.time",
    "verb.body",
    "verb.change",
    "verb.cognition",
    "verb.communication",
    "verb.competition",
    "verb.consumption",
    "verb.contact",
    "verb.creation",
    "verb.emotion",
    "verb.motion",
    "verb.perception",
    "verb.possession",
    "verb.social",
    "verb.stative",
    "verb.weather",
    "adj.ppl",
]
_CATEGORY = {"noun": 1, "verb": 2, "adj": 3, "adv": 4}
_DEBIAN_DIR = Path("/usr/share/wordnet")


def lexnames_text() -> str:
    return "".join(f"{i:02d}\t{n}\t{_CATEGORY[n.split('.')[0]]}\n" for i, n in enumerate(_LEXNAMES))


def _stage(src: Path) -> Path:
    """Make ``src`` readable by nltk: a directory under an nltk data root, with lexnames.

    nltk's reader also opens ``index.sense`` when it loads (Debian ships it apart, in
    ``wordnet-sense-index``); without it, say so instead of nltk's bare OSError.
    """
    if not (src / "index.sense").exists():
        raise InputError(
            "WordNet directory has no index.sense, which nltk's reader needs "
            "(on Debian: apt-get install wordnet-sense-index)",
            src,
        )
    root = (
        Path(os.environ.get("BERTOLOGY_CACHE", Path.home() / ".cache" / "bertology")) / "nltk_data"
    )
    dest = root / "corpora" / "wordnet"
    dest.mkdir(parents=True, exist_ok=True)
    for f in src.iterdir():  # copies: nltk refuses symlinks that resolve outside its root
        target = dest / f.name
        if f.is_file() and (target.is_symlink() or not target.exists()):
            tmp = dest / f".{f.name}.tmp"
            shutil.copyfile(f, tmp)
            os.replace(tmp, target)  # also replaces a stale symlink
    if not (dest / "lexnames").exists():
        (dest / "lexnames").write_text(lexnames_text())
    import nltk  # nltk: only when reading WordNet

    if str(root) not in nltk.data.path:  # nltk only opens readers under its data path
        nltk.data.path.append(str(root))
    return root


def open_wordnet(wordnet_dir: str | Path | None = None) -> Any:
    """An nltk WordNet reader: from ``wordnet_dir``, nltk's data path, or Debian's package."""
    warnings.filterwarnings("ignore", message="The multilingual functions")
    from nltk.corpus.reader.wordnet import WordNetCorpusReader  # nltk: only when reading WordNet

    if wordnet_dir is not None:
        src = Path(wordnet_dir)
        if not (src / "data.noun").exists():
            raise InputError("not a WordNet dict directory (no data.noun)", src)
        if (src / "lexnames").exists():
            return WordNetCorpusReader(str(src), None)
        root = _stage(src)
        return WordNetCorpusReader(str(root / "corpora" / "wordnet"), None)
    try:
        from nltk.corpus import wordnet  # nltk: only when reading WordNet

        wordnet.ensure_loaded()
        return wordnet
    except LookupError:
        pass
    if (_DEBIAN_DIR / "data.noun").exists():
        root = _stage(_DEBIAN_DIR)
        return WordNetCorpusReader(str(root / "corpora" / "wordnet"), None)
    raise InputError(
        "WordNet not found: run nltk.download('wordnet') online, or install Debian's "
        "wordnet-base (apt-get install wordnet-base), or pass --wordnet-dir"
    )


def _name(synset: Any) -> str:
    """A synset's surface form: its first single-word lemma if it has one, else its first."""
    lemmas = [lemma.replace("_", " ") for lemma in synset.lemma_names()]
    single = [w for w in lemmas if " " not in w]
    return (single or lemmas)[0].lower()


def extract_relations(synsets: Iterable[Any]) -> dict[str, list[tuple[str, str]]]:
    """``{relation: [(subject, object), ...]}`` from noun synsets (duck-typed nltk synsets)."""
    edges: dict[str, Callable[[Any], list[Any]]] = {
        "IsA": lambda s: s.hypernyms(),
        "HasA": lambda s: s.part_meronyms(),
        "MadeOf": lambda s: s.substance_meronyms(),
    }
    out: dict[str, list[tuple[str, str]]] = {r: [] for r in TEMPLATES}
    for s in synsets:
        x = _name(s)
        for rel, get in edges.items():
            for t in get(s):
                out[rel].append((x, _name(t)))
        for part in s.part_meronyms():
            out["PartOf"].append((_name(part), x))
        for member in s.member_meronyms():
            out["MemberOf"].append((_name(member), x))
    return {r: sorted({p for p in pairs if p[0] != p[1]}) for r, pairs in out.items()}


def wordnet_facts(
    out: str | Path,
    wordnet_dir: str | Path | None = None,
    max_per_relation: int | None = None,
    seed: int = 0,
) -> dict[str, int]:
    """Write ``out/facts.jsonl`` (canonical) and ``out/relations.jsonl``; return counts."""
    wn = open_wordnet(wordnet_dir)
    rels = extract_relations(wn.all_synsets("n"))
    rng = random.Random(seed)
    rows = []
    counts = {}
    for rel in TEMPLATES:
        pairs = rels[rel]
        if max_per_relation is not None and len(pairs) > max_per_relation:
            pairs = sorted(rng.sample(pairs, max_per_relation))
        counts[rel] = len(pairs)
        rows.extend({"subject": x, "relation": rel, "object": y} for x, y in pairs)
    out = Path(out)
    atomic_write_jsonl(out / "facts.jsonl", rows)
    atomic_write_jsonl(
        out / "relations.jsonl", [{"relation": r, "template": t} for r, t in TEMPLATES.items()]
    )
    return counts

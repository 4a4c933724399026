"""WordNet fact extraction."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bertology.data.wordnet import TEMPLATES, extract_relations, lexnames_text


class FakeSynset:
    def __init__(self, *lemmas: str):
        self._lemmas = list(lemmas)
        self.hyper: list[FakeSynset] = []
        self.parts: list[FakeSynset] = []
        self.substances: list[FakeSynset] = []
        self.members: list[FakeSynset] = []

    def lemma_names(self):
        return self._lemmas

    def hypernyms(self):
        return self.hyper

    def part_meronyms(self):
        return self.parts

    def substance_meronyms(self):
        return self.substances

    def member_meronyms(self):
        return self.members


def test_extract_relations_directions_by_hand():
    car, wheel, vehicle, steel, fleet = (
        FakeSynset(n) for n in ("car", "wheel", "vehicle", "steel", "fleet")
    )
    auto = FakeSynset("motor_vehicle", "auto")  # prefers a single-word lemma
    car.hyper = [vehicle, auto]
    car.parts = [wheel]
    wheel.substances = [steel]
    fleet.members = [car]
    rels = extract_relations([car, wheel, vehicle, steel, fleet, auto])
    assert rels["IsA"] == [("car", "auto"), ("car", "vehicle")]
    assert rels["HasA"] == [("car", "wheel")]
    assert rels["PartOf"] == [("wheel", "car")]
    assert rels["MadeOf"] == [("wheel", "steel")]
    assert rels["MemberOf"] == [("car", "fleet")]


def test_lexnames_has_the_45_lexicographer_files():
    lines = lexnames_text().splitlines()
    assert len(lines) == 45
    assert (
        lines[0] == "00\tadj.all\t3"
        and lines[3] == "03\tnoun.Tops\t1"
        and lines[44] == "44\tadj.ppl\t3"
    )


@pytest.mark.skipif(
    not Path("/usr/share/wordnet/data.noun").exists(), reason="Debian wordnet-base not installed"
)
def test_wordnet_cli_builds_facts_from_debian_wordnet(tmp_path, monkeypatch):
    from typer.testing import CliRunner

    from bertology.cli import app
    from bertology.data.facts import read_facts

    monkeypatch.setenv("BERTOLOGY_CACHE", str(tmp_path / "cache"))
    out = tmp_path / "wn"
    res = CliRunner().invoke(
        app,
        [
            "data",
            "wordnet",
            "--out",
            str(out),
            "--max-per-relation",
            "50",
            "--wordnet-dir",
            "/usr/share/wordnet",
        ],
    )
    assert res.exit_code == 0, res.output
    fs = read_facts(out / "facts.jsonl", out / "relations.jsonl")
    assert sorted(fs.relation_names) == sorted(TEMPLATES)
    assert all(n == 50 for n in fs.by_relation().values() for n in [len(n)])
    rel = [json.loads(x) for x in (out / "relations.jsonl").read_text().splitlines()]
    assert {r["relation"] for r in rel} == set(TEMPLATES)


def test_wordnet_dir_without_index_sense_is_a_clear_input_error(tmp_path, monkeypatch):
    """nltk's reader opens index.sense on load; a dict directory without it (Debian's
    wordnet-base alone) is refused with a message naming the directory and the package."""
    from bertology.data.wordnet import open_wordnet
    from bertology.errors import InputError

    monkeypatch.setenv("BERTOLOGY_CACHE", str(tmp_path / "cache"))
    src = tmp_path / "dict"
    src.mkdir()
    (src / "data.noun").write_text("")
    with pytest.raises(InputError, match="index.sense") as e:
        open_wordnet(src)
    assert str(src) in str(e.value) and "wordnet-sense-index" in str(e.value)
    assert not (tmp_path / "cache").exists()

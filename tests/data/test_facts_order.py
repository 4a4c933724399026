"""Relations ordered by test-set size (largest first, ties by name), and split sizes per relation:
what an experiment uses to choose relations whose test P@1 is worth measuring."""

from __future__ import annotations

from bertology.data.facts import (
    DEFAULT_SPLIT_RATIOS,
    DEFAULT_SPLIT_SEED,
    Fact,
    relations_by_test_size,
    split_by_subject,
    split_sizes_by_relation,
)


def facts(relation: str, n: int) -> list[Fact]:
    return [Fact(f"s{i}", relation, "o") for i in range(n)]


def test_largest_test_set_first_ties_by_name_and_empty_test_sets_last() -> None:
    splits = {
        "train": facts("zeta", 9) + facts("alpha", 4) + facts("omega", 7) + facts("beta", 50),
        "dev": facts("beta", 1),
        "test": facts("alpha", 2) + facts("zeta", 3) + facts("omega", 2),
    }
    # zeta has 3; alpha and omega tie at 2 (alpha first by name); beta has none in test but is
    # still listed, last, however many training facts it has
    assert relations_by_test_size(splits) == ["zeta", "alpha", "omega", "beta"]


def test_order_does_not_depend_on_the_order_of_the_facts() -> None:
    test = facts("b", 2) + facts("a", 2) + facts("c", 5)
    forward = relations_by_test_size({"train": [], "dev": [], "test": test})
    backward = relations_by_test_size({"train": [], "dev": [], "test": test[::-1]})
    assert forward == backward == ["c", "a", "b"]


def test_split_sizes_count_each_relation_in_each_split_with_zeros() -> None:
    splits = {"train": facts("a", 3) + facts("b", 1), "dev": [], "test": facts("b", 2)}
    assert split_sizes_by_relation(splits) == {
        "a": {"train": 3, "dev": 0, "test": 0},
        "b": {"train": 1, "dev": 0, "test": 2},
    }


def test_on_a_real_split_the_first_relation_has_the_most_test_facts() -> None:
    """Through ``split_by_subject``: 40, 25 and 10 subjects give 4, 2 (round(2.5)) and 1 test
    facts with the default 80/10/10 split, in the reverse of the names' order."""
    all_facts = facts("apple", 10) + facts("zebra", 40) + facts("mango", 25)
    splits = split_by_subject(all_facts)
    sizes = split_sizes_by_relation(splits)
    assert [sizes[r]["test"] for r in ("zebra", "mango", "apple")] == [4, 2, 1]
    assert relations_by_test_size(splits) == ["zebra", "mango", "apple"]


def test_default_split_is_the_one_prune_uses() -> None:
    """world.json reports test sizes under ``split_by_subject``'s defaults; they must be
    ``bertology prune``'s, or the reported sizes would not be the experiment's."""
    from bertology.prune.config import PruneConfig

    assert tuple(PruneConfig().split_ratios) == DEFAULT_SPLIT_RATIOS
    assert PruneConfig().split_seed == DEFAULT_SPLIT_SEED

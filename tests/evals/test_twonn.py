"""Tests of the TwoNN intrinsic-dimension estimator, :mod:`bertology.evals.twonn`."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import skdim
import torch
from scipy.spatial.distance import cdist

from bertology.errors import InputError
from bertology.evals.twonn import twonn


def embed(z: np.ndarray, dim: int, rng: np.random.Generator) -> np.ndarray:
    """``z`` (N, d) placed in a random d-dimensional linear subspace of R^dim."""
    basis, _ = np.linalg.qr(rng.standard_normal((dim, z.shape[1])))
    return z @ basis.T


def swiss_roll(n: int, rng: np.random.Generator) -> np.ndarray:
    t = rng.uniform(1.5 * np.pi, 4.5 * np.pi, n)
    return np.c_[t * np.cos(t), rng.uniform(0, 20, n), t * np.sin(t)]


def clouds() -> dict[str, np.ndarray]:
    """Point clouds without duplicates; sizes N with N * (1 - f) not an integer, so the
    int-versus-floor convention for the number discarded matters."""
    rng = np.random.default_rng(0)
    return {
        "gaussian_3d_in_20d": embed(rng.standard_normal((777, 3)), 20, rng),  # skdim: kd-tree
        "hypercube_5d_in_30d": embed(rng.uniform(size=(613, 5)), 30, rng),  # skdim: matrix
        "swiss_roll": swiss_roll(555, rng),
    }


@pytest.mark.parametrize("discard_fraction", [0.1, 0.25, 0.03])
@pytest.mark.parametrize("name", list(clouds()))
def test_matches_skdim_twonn(name: str, discard_fraction: float) -> None:
    points = clouds()[name]
    reference = skdim.id.TwoNN(discard_fraction=discard_fraction).fit(points)
    result = twonn(points, discard_fraction=discard_fraction)
    assert result.dimension == pytest.approx(reference.dimension_, rel=1e-8)
    assert result.n_used == len(reference.x_)
    assert result.n_discarded == len(points) - len(reference.x_)
    assert result.n_dropped == 0 and result.n_points == len(points)
    r = np.corrcoef(reference.x_[:, 0], reference.y_[:, 0])[0, 1]
    assert result.r == pytest.approx(r, rel=1e-8)
    assert 0.99 < result.r <= 1.0


def test_cosine_matches_skdim_on_cosine_neighbour_distances() -> None:
    rng = np.random.default_rng(5)
    points = embed(rng.standard_normal((400, 4)), 12, rng) + 3.0  # off-centre: not a sphere
    dist = cdist(points, points, "cosine")
    np.fill_diagonal(dist, np.inf)
    r12 = np.sort(dist, axis=1)[:, :2]
    reference = skdim.id.TwoNN(discard_fraction=0.1, dist=True).fit(r12)
    assert twonn(points, metric="cosine").dimension == pytest.approx(reference.dimension_, rel=1e-8)


@pytest.mark.parametrize("d", [2, 5, 10])
def test_recovers_the_dimension_of_a_linear_subspace(d: int) -> None:
    # Gaussian in the subspace: a d = 10 hypercube at N = 2000 reads about 8.4 (boundary effect).
    rng = np.random.default_rng(d)
    points = embed(rng.standard_normal((2000, d)), 50, rng)
    result = twonn(points)
    assert result.dimension == pytest.approx(d, rel=0.1)
    assert result.r > 0.99


def test_duplicates_are_dropped_counted_and_leave_the_estimate_finite() -> None:
    rng = np.random.default_rng(1)
    clean = embed(rng.standard_normal((1000, 4)), 16, rng)
    copies = clean[rng.choice(1000, 250, replace=False)]
    points = rng.permutation(np.r_[clean, copies])  # 20% of the points are exact duplicates
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no divide-by-zero RuntimeWarning either
        result = twonn(points)
    reference = twonn(clean)
    assert np.isfinite(result.dimension) and np.isfinite(result.r)
    # the extra copies are dropped before the neighbour search, so the rest is the clean cloud
    assert result.n_dropped == 250
    assert result.n_used + result.n_dropped + result.n_discarded == result.n_points == 1250
    assert result.dimension == pytest.approx(reference.dimension, rel=1e-12)


def test_n_dropped_counts_duplicates_and_equidistant_neighbours_exactly() -> None:
    rng = np.random.default_rng(2)
    cloud = rng.uniform(size=(20, 3))
    far = np.array([[100.0, 0, 0], [200.0, 0, 0], [300.0, 0, 0]])
    line = np.array([[50.0, 0, 0], [51.0, 0, 0], [49.5, 0, 0]])  # middle: r1 = 0.5, r2 = 1
    tie = np.array([[0.0, 70, 0], [0.0, 71, 0], [0.0, 69, 0]])  # middle: r1 == r2 == 1
    result = twonn(np.r_[cloud, far, far, line, tie])
    # 3 extra copies; 2 points with mu == 1: the tie's middle, and 200, equidistant from the
    # other far points once its duplicate is gone
    assert result.n_dropped == 3 + 2
    assert result.n_points == 32 and result.n_used + result.n_discarded == 32 - 5


def test_near_duplicates_are_resolved_in_float64() -> None:
    rng = np.random.default_rng(3)
    base = embed(rng.standard_normal((500, 3)), 8, rng)
    twins = base[:10] + 1e-9 * rng.standard_normal((10, 8))  # equal once rounded to float32
    points = np.r_[base, twins]
    assert len(np.unique(points.astype(np.float32), axis=0)) < len(points)
    result = twonn(points)
    assert result.n_dropped == 0  # r1 ~ 1e-9 is not 0
    assert np.isfinite(result.dimension) and result.n_discarded >= 20  # huge mu, discarded
    # skdim's kd-tree (D <= 25) is exact in float64 too
    reference = skdim.id.TwoNN(discard_fraction=0.1).fit(points).dimension_
    assert result.dimension == pytest.approx(reference, rel=1e-8)


def test_torch_tensors_of_any_float_dtype() -> None:
    rng = np.random.default_rng(4)
    points = embed(rng.standard_normal((300, 3)), 10, rng)
    single = torch.tensor(points, dtype=torch.float32)
    result = twonn(single)
    assert result == twonn(single.numpy().astype(np.float64))  # float32 -> float64 is exact
    assert np.isfinite(result.dimension) and result.dimension == pytest.approx(3, rel=0.2)
    assert np.isfinite(twonn(torch.tensor(points, dtype=torch.bfloat16)).dimension)


def test_cosine_ignores_norms_and_euclidean_does_not() -> None:
    rng = np.random.default_rng(6)
    points = embed(rng.standard_normal((800, 4)), 16, rng) + 2.0
    scaled = points * np.exp(rng.uniform(-3, 3, size=(800, 1)))  # each row by its own factor
    cosine = twonn(points, metric="cosine").dimension
    assert twonn(scaled, metric="cosine").dimension == pytest.approx(cosine, rel=1e-9)
    euclidean = twonn(points).dimension
    assert abs(twonn(scaled).dimension - euclidean) > 0.1 * euclidean


def test_to_dict() -> None:
    result = twonn(clouds()["swiss_roll"])
    assert result.to_dict() == {
        "dimension": result.dimension,
        "r": result.r,
        "n_points": 555,
        "n_used": result.n_used,
        "n_dropped": 0,
        "n_discarded": 555 - result.n_used,
    }


def test_errors() -> None:
    rng = np.random.default_rng(7)
    points = rng.standard_normal((50, 3))
    with pytest.raises(InputError, match="at least 10 distinct points, got 9"):
        twonn(points[:9])
    with pytest.raises(InputError, match=r"got 6 \(6 duplicates"):
        twonn(np.r_[points[:6], points[:6]])
    with pytest.raises(InputError, match="known TwoNN metrics: cosine, euclidean"):
        twonn(points, metric="manhattan")
    for bad in (-0.1, 1.0, 1.5, float("nan")):
        with pytest.raises(InputError, match="discard_fraction"):
            twonn(points, discard_fraction=bad)
    with pytest.raises(InputError, match="2-D"):
        twonn(points[:, 0])
    with pytest.raises(InputError, match="2-D"):
        twonn(points[None])
    with pytest.raises(InputError, match="zero norm"):
        twonn(np.r_[points, np.zeros((1, 3))], metric="cosine")
    with pytest.raises(InputError, match="NaN"):
        twonn(np.r_[points, [[np.nan, 0, 0]]])
    with pytest.raises(InputError, match="leaves 0 of 50"):
        twonn(points, discard_fraction=0.99)


def test_discard_fraction_zero_discards_only_the_infinite_point() -> None:
    points = clouds()["swiss_roll"]
    result = twonn(points, discard_fraction=0.0)
    assert result.n_discarded == 1 and np.isfinite(result.dimension)

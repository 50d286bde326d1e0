"""Each layer's backward against float64 central finite differences.

Every check reduces the layer's output to a scalar with a fixed random weighting R
(loss = sum(out * R)), so the incoming gradient is R, and compares the analytic gradient
of every input with (f(x + h) - f(x - h)) / 2h, entry by entry. The error measure is
|a - n| / (|a| + |n|) over the whole array; central differences at h = 1e-6 in float64
leave about 1e-9 of it, so 1e-6 means the formula is right.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from tokkit.lm import layers as L

TOLERANCE = 1e-6


def numerical_gradient(f, x: np.ndarray, h: float = 1e-6) -> np.ndarray:
    grad = np.zeros_like(x)
    for i in np.ndindex(x.shape):
        old = x[i]
        x[i] = old + h
        up = f()
        x[i] = old - h
        down = f()
        x[i] = old
        grad[i] = (up - down) / (2 * h)
    return grad


def relative_error(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.linalg.norm(a - b) / max(np.linalg.norm(a) + np.linalg.norm(b), 1e-30))


def assert_gradients(f, analytic: dict, inputs: dict) -> None:
    for name, x in inputs.items():
        error = relative_error(analytic[name], numerical_gradient(f, x))
        assert error < TOLERANCE, f"d/d{name}: relative error {error:.2e}"


@pytest.fixture
def rng():
    return np.random.default_rng(1234)


def test_linear_backward_matches_finite_differences(rng):
    x, w, b = rng.normal(size=(2, 3, 4)), rng.normal(size=(4, 5)), rng.normal(size=5)
    weighting = rng.normal(size=(2, 3, 5))
    dx, dw, db = L.linear_backward(weighting, x, w)
    assert_gradients(lambda: np.sum(L.linear_forward(x, w, b) * weighting), {"x": dx, "w": dw, "b": db},
                     {"x": x, "w": w, "b": b})


def test_layernorm_backward_matches_finite_differences(rng):
    x, gain, bias = rng.normal(size=(2, 3, 6)), rng.normal(size=6), rng.normal(size=6)
    weighting = rng.normal(size=(2, 3, 6))
    out, cache = L.layernorm_forward(x, gain, bias)
    dx, dgain, dbias = L.layernorm_backward(weighting, cache)
    assert_gradients(lambda: np.sum(L.layernorm_forward(x, gain, bias)[0] * weighting),
                     {"x": dx, "gain": dgain, "bias": dbias}, {"x": x, "gain": gain, "bias": bias})


def test_layernorm_output_has_zero_mean_and_unit_variance(rng):
    out, _ = L.layernorm_forward(rng.normal(3.0, 5.0, size=(4, 16)), np.ones(16), np.zeros(16))
    np.testing.assert_allclose(out.mean(axis=-1), 0.0, atol=1e-12)
    np.testing.assert_allclose(out.var(axis=-1), 1.0, rtol=1e-4)  # eps = 1e-5 against variance 25


def test_gelu_backward_matches_finite_differences(rng):
    x = rng.normal(scale=2.0, size=(3, 7))
    weighting = rng.normal(size=(3, 7))
    _, cache = L.gelu_forward(x)
    dx = L.gelu_backward(weighting, cache)
    assert_gradients(lambda: np.sum(L.gelu_forward(x)[0] * weighting), {"x": dx}, {"x": x})


def test_gelu_matches_its_tanh_formula_and_limits():
    out, _ = L.gelu_forward(np.array([-10.0, 0.0, 1.0, 10.0]))
    expected_at_1 = 0.5 * (1 + math.tanh(math.sqrt(2 / math.pi) * (1 + 0.044715)))
    np.testing.assert_allclose(out, [0.0, 0.0, expected_at_1, 10.0], atol=1e-12)


def test_embedding_backward_sums_repeated_ids(rng):
    table = rng.normal(size=(6, 4))
    ids = np.array([[1, 3, 1], [5, 1, 0]])
    weighting = rng.normal(size=(2, 3, 4))
    dtable = L.embedding_backward(weighting, ids, 6)
    assert_gradients(lambda: np.sum(L.embedding_forward(ids, table) * weighting), {"table": dtable}, {"table": table})
    np.testing.assert_array_equal(dtable[[2, 4]], 0.0)


@pytest.mark.parametrize("positional", ["learned", "sinusoidal", "rope"])
def test_attention_backward_matches_finite_differences_with_each_positional_mode(rng, positional):
    """Positions enter attention through its input (learned and sinusoidal tables are added
    to the tokens) or inside it (RoPE turns queries and keys): the check covers the path
    from tokens, positions and the qkv weights to the attention output."""
    B, T, C, H = 2, 5, 8, 2
    x, w, b = rng.normal(size=(B, T, C)), rng.normal(scale=0.5, size=(C, 3 * C)), rng.normal(size=3 * C)
    positions = rng.normal(size=(T, C)) if positional == "learned" else L.sinusoidal_table(T, C)
    rope = L.rope_angles(T, C // H) if positional == "rope" else None
    weighting = rng.normal(size=(B, T, C))

    def forward():
        hidden = x if positional == "rope" else x + positions  # [B, T, C]
        qkv = L.linear_forward(hidden, w, b)  # [B, T, 3C]
        return L.attention_forward(qkv, H, rope), hidden

    (y, cache), hidden = forward()
    dqkv = L.attention_backward(weighting, cache)
    dhidden, dw, db = L.linear_backward(dqkv, hidden, w)
    inputs, analytic = {"x": x, "w": w, "b": b}, {"x": dhidden, "w": dw, "b": db}
    if positional == "learned":
        inputs["positions"], analytic["positions"] = positions, dhidden.sum(axis=0)
    assert_gradients(lambda: np.sum(forward()[0][0] * weighting), analytic, inputs)


def test_attention_is_causal(rng):
    qkv = rng.normal(size=(1, 6, 12))
    changed = qkv.copy()
    changed[:, 4:] = rng.normal(size=(1, 2, 12))
    before, _ = L.attention_forward(qkv, 2)
    after, _ = L.attention_forward(changed, 2)
    np.testing.assert_array_equal(before[:, :4], after[:, :4])
    assert not np.allclose(before[:, 4:], after[:, 4:])


def test_rope_backward_matches_finite_differences(rng):
    x = rng.normal(size=(1, 2, 5, 6))
    cos, sin = L.rope_angles(5, 6)
    weighting = rng.normal(size=x.shape)
    dx = L.rope_backward(weighting, cos, sin)
    assert_gradients(lambda: np.sum(L.rope_forward(x, cos, sin) * weighting), {"x": dx}, {"x": x})


def test_rope_scores_depend_only_on_relative_position(rng):
    q, k = rng.normal(size=8), rng.normal(size=8)
    cos, sin = L.rope_angles(12, 8)
    turned_q = L.rope_forward(np.tile(q, (12, 1)), cos, sin)  # [T, D]
    turned_k = L.rope_forward(np.tile(k, (12, 1)), cos, sin)
    assert turned_q[7] @ turned_k[4] == pytest.approx(turned_q[3] @ turned_k[0], rel=1e-12)
    assert turned_q[7] @ turned_k[4] != pytest.approx(turned_q[7] @ turned_k[0], rel=1e-3)


def test_sinusoidal_table_values():
    table = L.sinusoidal_table(3, 4)
    np.testing.assert_allclose(table[0], [0, 1, 0, 1])
    np.testing.assert_allclose(table[2], [math.sin(2), math.cos(2), math.sin(0.02), math.cos(0.02)])


def test_cross_entropy_backward_matches_finite_differences(rng):
    logits, targets = rng.normal(size=(6, 5)), np.array([0, 4, 2, 2, 1, 3])
    _, cache = L.cross_entropy_forward(logits.copy(), targets)  # the forward overwrites its input
    dlogits = L.cross_entropy_backward(1.0, cache)
    assert_gradients(lambda: L.cross_entropy_forward(logits.copy(), targets)[0], {"logits": dlogits}, {"logits": logits})


def test_cross_entropy_of_uniform_logits_is_log_vocabulary():
    loss, _ = L.cross_entropy_forward(np.zeros((3, 7)), np.array([0, 3, 6]))
    assert loss == pytest.approx(math.log(7), rel=1e-12)


def test_cross_entropy_survives_extreme_logits():
    logits = np.array([[1000.0, -1000.0, 0.0]])
    loss, _ = L.cross_entropy_forward(logits, np.array([1]))
    assert loss == pytest.approx(2000.0)


def test_dropout_backward_uses_the_forward_mask(rng):
    x = rng.normal(size=(4, 5))
    weighting = rng.normal(size=(4, 5))
    _, keep = L.dropout_forward(x, 0.3, np.random.default_rng(7))
    dx = L.dropout_backward(weighting, keep)
    assert_gradients(lambda: np.sum(L.dropout_forward(x, 0.3, np.random.default_rng(7))[0] * weighting),
                     {"x": dx}, {"x": x})


def test_dropout_keeps_the_mean_and_is_off_without_rng(rng):
    x = np.ones((200, 500))
    out, _ = L.dropout_forward(x, 0.25, rng)
    assert (out == 0).mean() == pytest.approx(0.25, abs=0.01)
    assert out.mean() == pytest.approx(1.0, abs=0.01)
    same, keep = L.dropout_forward(x, 0.25, None)
    assert same is x and keep is None

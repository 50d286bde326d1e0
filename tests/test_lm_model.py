"""The whole model: its gradient, learning, determinism, generation, checkpoints and the
errors a user can cause."""

from __future__ import annotations

import importlib
import math

import numpy as np
import pytest

import tokkit
from tokkit import lm
from tokkit.corpora import load_sample
from tokkit.lm.generate import KVCache, decode

from test_lm_layers import TOLERANCE, numerical_gradient, relative_error


def tiny(**changes) -> lm.Config:
    fields = dict(vocab_size=11, context=6, d_model=8, n_heads=2, n_layers=2, d_ff=12, dtype="float64")
    fields.update(changes)
    return lm.Config(**fields)


def stream(n: int = 3000, vocab: int = 32, seed: int = 0) -> np.ndarray:
    """A learnable token stream: a noisy walk, so the next token depends on the last."""
    rng = np.random.default_rng(seed)
    steps = rng.choice([1, 1, 1, 2, 3], size=n)
    return (np.cumsum(steps) % vocab).astype(np.uint16)


# ---- the gradient ----------------------------------------------------------------------------


@pytest.mark.parametrize("positional, tied, dropout", [
    ("learned", True, 0.0), ("learned", False, 0.0), ("sinusoidal", True, 0.0), ("rope", False, 0.0),
    ("rope", True, 0.3),
])
def test_model_gradient_matches_finite_differences_for_every_parameter(positional, tied, dropout):
    model = lm.Transformer(tiny(positional=positional, tie_embeddings=tied, dropout=dropout))
    rng = np.random.default_rng(3)
    for p in model.params.values():  # move off the initial point: gains 1 and biases 0 hide mistakes
        p += rng.normal(0.0, 0.1, p.shape)
    ids, targets = rng.integers(0, 11, (2, 5)), rng.integers(0, 11, (2, 5))

    def loss():  # the same dropout masks at every call
        return model.forward(ids, targets, rng=np.random.default_rng(5))[0]

    _, cache = model.forward(ids, targets, rng=np.random.default_rng(5))
    grads = model.backward(cache)
    assert list(grads) == list(model.params)
    for name, p in model.params.items():
        error = relative_error(grads[name], numerical_gradient(loss, p))
        assert error < TOLERANCE, f"{name}: relative error {error:.2e}"


def test_float32_and_float64_models_agree():
    wide = lm.Transformer(tiny(dtype="float64"))
    narrow = lm.Transformer(tiny(dtype="float32"))
    ids = np.array([[1, 2, 3, 4, 5]])
    assert narrow.logits(ids).dtype == np.float32
    np.testing.assert_allclose(narrow.logits(ids), wide.logits(ids), rtol=1e-5, atol=1e-6)


# ---- learning and determinism ----------------------------------------------------------------


def test_model_overfits_one_batch_to_near_zero_loss():
    model = lm.Transformer(lm.Config(vocab_size=32, context=16, d_model=32, n_heads=4, n_layers=2))
    rng = np.random.default_rng(0)
    ids, targets = rng.integers(0, 32, (4, 16)), rng.integers(0, 32, (4, 16))  # random: only memory helps
    optimizer = lm.AdamW(model.params, weight_decay=0.0)
    first = None
    for _ in range(150):
        loss, cache = model.forward(ids, targets)
        first = loss if first is None else first
        optimizer.step(model.params, model.backward(cache), lr=1e-2)
    assert first > 3.0
    assert model.loss(ids, targets) < 0.05


def test_same_seed_gives_bit_identical_losses():
    def run():
        model = lm.Transformer(lm.Config(vocab_size=32, context=16, d_model=16, n_heads=2, dropout=0.1, seed=4))
        history = lm.train(model, stream(), steps=12, batch_size=4, eval_every=6, seed=9, show_progress=False)
        return history, model

    (first, a), (second, b) = run(), run()
    assert first["loss"] == second["loss"] and first["eval"]["loss"] == second["eval"]["loss"]
    for name in a.params:
        np.testing.assert_array_equal(a.params[name], b.params[name])


def test_thread_count_never_changes_a_bit(monkeypatch):
    from tokkit.lm import parallel

    monkeypatch.setattr(parallel, "BLOCK_BYTES", 1024)  # many small row blocks in every layer
    model = lm.Transformer(lm.Config(vocab_size=300, context=32, d_model=32, n_heads=4, n_layers=2))
    ids, targets = np.random.default_rng(0).integers(0, 300, (2, 4, 32))
    results = []
    for threads in (1, 2, 3):
        monkeypatch.setattr(parallel, "thread_count", lambda threads=threads: threads)
        loss, cache = model.forward(ids, targets)
        results.append((loss, model.backward(cache)))
    for loss, grads in results[1:]:
        assert loss == results[0][0]
        for name in grads:
            np.testing.assert_array_equal(grads[name], results[0][1][name])


def test_another_seed_changes_the_run():
    losses = []
    for seed in (1, 2):
        model = lm.Transformer(lm.Config(vocab_size=32, context=16, d_model=16, n_heads=2))
        losses.append(lm.train(model, stream(), steps=5, batch_size=4, seed=seed, show_progress=False)["loss"])
    assert losses[0] != losses[1]


def test_training_lowers_held_out_loss():
    model = lm.Transformer(lm.Config(vocab_size=32, context=16, d_model=32, n_heads=2))
    history = lm.train(model, stream(), steps=60, batch_size=8, lr=5e-3, eval_every=20, show_progress=False)
    assert history["eval"]["loss"][-1] < math.log(32) - 1.0  # the walk has under 2 bits of entropy per step


# ---- generation ------------------------------------------------------------------------------


@pytest.mark.parametrize("positional", ["learned", "sinusoidal", "rope"])
def test_kv_cache_decoding_gives_the_full_forward_logits(positional):
    model = lm.Transformer(tiny(positional=positional, context=12, vocab_size=20))
    ids = np.random.default_rng(0).integers(0, 20, (2, 9))
    cache = KVCache(model, batch=2)
    steps = [decode(model, ids[:, :4], cache)] + [decode(model, ids[:, t : t + 1], cache) for t in range(4, 9)]
    np.testing.assert_allclose(np.concatenate(steps, axis=1), model.logits(ids), rtol=1e-10, atol=1e-12)


@pytest.fixture(scope="module")
def trained():
    """A small model trained on English, and its tokenizer."""
    text = load_sample()["eng"] * 4
    tokenizer = tokkit.train_bpe([text], vocab_size=300, show_progress=False)
    model = lm.Transformer(lm.Config(vocab_size=tokenizer.vocab_size, context=24, d_model=32, n_heads=2))
    lm.train(model, lm.tokenize(tokenizer, text), steps=80, batch_size=8, lr=5e-3, show_progress=False)
    return model, tokenizer


@pytest.mark.parametrize("temperature, top_k, top_p", [(0.0, None, None), (1.0, None, None), (0.8, 5, 0.9)])
def test_kv_cache_generation_equals_generation_without_it(trained, temperature, top_k, top_p):
    model, tokenizer = trained
    options = dict(max_new_tokens=40, temperature=temperature, top_k=top_k, top_p=top_p, seed=3)  # 40 > context 24
    assert lm.generate(model, tokenizer, "On Saturday", **options) == \
        lm.generate(model, tokenizer, "On Saturday", kv_cache=False, **options)


def test_generation_is_seeded(trained):
    model, tokenizer = trained
    texts = {lm.generate(model, tokenizer, "The", max_new_tokens=20, seed=s) for s in (0, 0, 1)}
    assert len(texts) == 2


def test_greedy_generation_continues_memorised_text(trained):
    model, tokenizer = trained
    assert lm.generate(model, tokenizer, "On Saturday mornings", max_new_tokens=3, temperature=0).startswith(" the")


def test_top_k_one_is_greedy(trained):
    model, tokenizer = trained
    assert lm.generate(model, tokenizer, "The old", max_new_tokens=10, temperature=1.0, top_k=1, seed=5) == \
        lm.generate(model, tokenizer, "The old", max_new_tokens=10, temperature=0)


# ---- evaluation ------------------------------------------------------------------------------


def test_bits_per_byte_is_total_bits_over_predicted_bytes(trained):
    model, tokenizer = trained
    text = "The rain had stopped."
    scores = lm.evaluate(model, tokenizer, text)
    ids = tokenizer.encode(text)
    assert len(ids) <= model.config.context + 1  # one window: the whole text in one forward
    x, y = np.array([ids[:-1]]), np.array([ids[1:]])
    bits = model.loss(x, y) * (len(ids) - 1) / math.log(2)
    assert scores["bytes"] == len(tokenizer.decode_bytes(ids[1:]))
    assert scores["bits_per_byte"] == pytest.approx(bits / scores["bytes"], rel=1e-9)


def test_evaluate_covers_text_longer_than_the_context(trained):
    model, tokenizer = trained
    scores = lm.evaluate(model, tokenizer, load_sample()["eng"])
    assert scores["tokens"] > 3 * model.config.context
    assert 0 < scores["bits_per_byte"] < 8


# ---- checkpoints -----------------------------------------------------------------------------


def test_checkpoint_round_trip_keeps_config_and_every_bit(tmp_path):
    model = lm.Transformer(lm.Config(vocab_size=40, context=8, d_model=16, n_heads=2, positional="rope",
                                     tie_embeddings=False, dtype="float64"))
    lm.save_checkpoint(tmp_path / "m.npz", model)
    loaded = lm.load_model(tmp_path / "m.npz")
    assert loaded.config == model.config
    for name in model.params:
        np.testing.assert_array_equal(loaded.params[name], model.params[name])


def _stop_after_first_save(monkeypatch):
    """Makes the next training run raise KeyboardInterrupt right after its first checkpoint."""
    training = importlib.import_module("tokkit.lm.train")  # the module, not the function lm.train

    real_save = training.save_checkpoint

    def save_then_stop(*args, **kwargs):
        real_save(*args, **kwargs)
        raise KeyboardInterrupt

    monkeypatch.setattr(training, "save_checkpoint", save_then_stop)


def small_model(**changes) -> lm.Transformer:
    fields = dict(vocab_size=32, context=16, d_model=16, n_heads=2, dropout=0.1)
    fields.update(changes)
    return lm.Transformer(lm.Config(**fields))


OPTIONS = dict(steps=16, batch_size=4, eval_every=8, lr=3e-3, show_progress=False)


def test_resuming_continues_exactly(tmp_path, monkeypatch):
    tokens, path = stream(), tmp_path / "run.npz"
    straight = small_model()
    whole = lm.train(straight, tokens, **OPTIONS)

    _stop_after_first_save(monkeypatch)
    with pytest.raises(KeyboardInterrupt):
        lm.train(small_model(), tokens, checkpoint=path, **OPTIONS)
    monkeypatch.undo()
    assert lm.read_checkpoint(path)[3]["step"] == 8

    resumed = small_model()
    history = lm.train(resumed, tokens, checkpoint=path, resume=True, **OPTIONS)
    assert history["loss"] == whole["loss"]
    assert history["eval"]["loss"] == whole["eval"]["loss"]
    for name in straight.params:
        np.testing.assert_array_equal(resumed.params[name], straight.params[name])


# ---- bad input -------------------------------------------------------------------------------


def test_ids_outside_the_vocabulary_are_refused():
    model = lm.Transformer(tiny())
    with pytest.raises(ValueError, match=r"token id 11 .* outside the model's vocabulary \(0 to 10\)"):
        model.logits(np.array([[1, 11]]))
    with pytest.raises(ValueError, match="token id -1"):
        model.logits(np.array([[-1, 2]]))
    with pytest.raises(ValueError, match="vocab_size=tokenizer.vocab_size"):
        lm.train(model, np.full(100, 11, dtype=np.uint16), steps=1, show_progress=False)


def test_input_longer_than_the_context_is_refused():
    model = lm.Transformer(tiny(context=6))
    with pytest.raises(ValueError, match="7 positions but the model's context is 6"):
        model.logits(np.zeros((1, 7), dtype=np.int64))
    cache = KVCache(model)
    decode(model, np.zeros((1, 4), dtype=np.int64), cache)
    with pytest.raises(ValueError, match="the cache holds 4 positions; 3 more would pass the context of 6"):
        decode(model, np.zeros((1, 3), dtype=np.int64), cache)


def test_ids_must_be_integers():
    with pytest.raises(ValueError, match="array of ints"):
        lm.Transformer(tiny()).logits(np.array([[1.0, 2.0]]))


def test_config_errors_say_what_to_change():
    with pytest.raises(ValueError, match="multiple of n_heads"):
        lm.Config(vocab_size=10, d_model=10, n_heads=4)
    with pytest.raises(ValueError, match="rope needs an even head size"):
        lm.Config(vocab_size=10, d_model=6, n_heads=2, positional="rope")
    with pytest.raises(ValueError, match="learned, sinusoidal, rope"):
        lm.Config(vocab_size=10, positional="alibi")


def test_a_config_from_another_save_is_refused(tmp_path):
    lm.save_checkpoint(tmp_path / "a.npz", lm.Transformer(tiny()))
    lm.save_checkpoint(tmp_path / "b.npz", lm.Transformer(tiny(d_ff=16)))
    (tmp_path / "a.json").write_text((tmp_path / "b.json").read_text())
    with pytest.raises(ValueError, match="come from different saves"):
        lm.load_model(tmp_path / "a.npz")


def test_weights_that_do_not_fit_the_config_are_refused(tmp_path):
    path = tmp_path / "m.npz"
    lm.save_checkpoint(path, lm.Transformer(tiny()))
    with np.load(path) as archive:
        arrays = dict(archive)
    arrays["param/block0.mlp.up.w"] = np.zeros((8, 13))
    np.savez(path, **arrays)
    with pytest.raises(ValueError, match=r"block0.mlp.up.w is \(8, 13\) in the file but \(8, 12\) by the config"):
        lm.load_model(path)


def test_resuming_into_another_model_or_with_other_options_is_refused(tmp_path):
    tokens, path = stream(), tmp_path / "run.npz"
    lm.train(small_model(), tokens, checkpoint=path, **OPTIONS)
    with pytest.raises(ValueError, match=r"another config \(d_model"):
        lm.train(small_model(d_model=32), tokens, checkpoint=path, resume=True, **OPTIONS)
    with pytest.raises(ValueError, match="lr: saved 0.003, now 0.01"):
        lm.train(small_model(), tokens, checkpoint=path, resume=True, **dict(OPTIONS, lr=0.01))


def test_an_existing_checkpoint_is_never_overwritten(tmp_path):
    tokens, path = stream(), tmp_path / "run.npz"
    lm.train(small_model(), tokens, checkpoint=path, **OPTIONS)
    before = path.read_bytes(), path.with_suffix(".json").read_bytes()
    with pytest.raises(FileExistsError, match="resume=True"):
        lm.train(small_model(), tokens, checkpoint=path, **OPTIONS)
    assert (path.read_bytes(), path.with_suffix(".json").read_bytes()) == before


def test_nan_loss_stops_training_and_keeps_the_last_good_checkpoint(tmp_path):
    path = tmp_path / "run.npz"
    model = small_model()
    real_forward, training_calls = model.forward, []

    def forward(ids, targets=None, *, rng=None):  # the 11th training step goes NaN
        loss, cache = real_forward(ids, targets, rng=rng)
        if rng is not None:
            training_calls.append(1)
            if len(training_calls) == 11:
                return math.nan, cache
        return loss, cache

    model.forward = forward
    with pytest.raises(lm.TrainingDiverged, match=r"nan .* at step 10 .* last good checkpoint \(step 8\)"):
        lm.train(model, stream(), checkpoint=path, **OPTIONS)
    assert lm.read_checkpoint(path)[3]["step"] == 8
    assert all(np.isfinite(p).all() for p in model.params.values())


# ---- data ------------------------------------------------------------------------------------


def test_token_file_round_trip_is_memory_mapped(tmp_path):
    tokenizer = tokkit.train_bpe([load_sample()["eng"]], vocab_size=300, show_progress=False)
    text = load_sample()["eng"]
    tokens = lm.tokenize(tokenizer, text)
    assert tokens.dtype == np.uint16 and tokens.tolist() == tokenizer.encode(text)
    lm.save_tokens(tmp_path / "t.npy", tokens)
    loaded = lm.load_tokens(tmp_path / "t.npy")
    assert isinstance(loaded, np.memmap) and loaded.tolist() == tokens.tolist()


def test_batches_give_targets_shifted_by_one_and_visit_every_window_once_an_epoch():
    tokens = np.arange(1000, dtype=np.uint32)  # each id is its own position
    batches = lm.Batches(tokens, context=10, batch_size=7, seed=0)
    first_epoch = set(batches.starts.tolist())
    phase = min(first_epoch)
    assert 0 <= phase < 10 and len(first_epoch) == (1000 - phase - 1) // 10
    seen = []
    while batches.epoch == 0:
        x, y = batches.next()
        np.testing.assert_array_equal(y, x + 1)
        np.testing.assert_array_equal(np.diff(x, axis=1), 1)
        seen.extend(x[:, 0].tolist())
    assert first_epoch <= set(seen) and len(seen) < len(first_epoch) + 7


def test_batches_restore_continues_the_same_sequence():
    tokens = stream()
    a = lm.Batches(tokens, context=8, batch_size=5, seed=2)
    for _ in range(130):  # past an epoch boundary
        a.next()
    b = lm.Batches(tokens, context=8, batch_size=5, seed=99)
    b.restore(a.state())
    for _ in range(100):
        np.testing.assert_array_equal(a.next()[0], b.next()[0])

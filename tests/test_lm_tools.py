"""What is built on the model: plots, the scaling law, tokenizer comparison, the command
line, and a real corpus (read from $TOKKIT_DATA)."""

from __future__ import annotations

import math

import numpy as np
import pytest

import tokkit
from tokkit import lm
from tokkit.corpora import load_sample
from tokkit.lm import plots
from tokkit.lm.cli import main
from tokkit.lm.compare import build_tokenizer, compare_tokenizers, markdown_table
from tokkit.lm.data import sample_corpus
from tokkit.lm.scaling import fit_power_law, plot_scaling, scaling

from conftest import data_path

PNG = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(scope="module")
def english():
    """A tokenizer and a briefly trained model on the English sample text."""
    text = load_sample()["eng"]
    tokenizer = tokkit.train_bpe([text], vocab_size=300, show_progress=False)
    model = lm.Transformer(lm.Config(vocab_size=tokenizer.vocab_size, context=32, d_model=32, n_heads=2))
    history = lm.train(model, lm.tokenize(tokenizer, text * 3), steps=40, batch_size=8, lr=5e-3, eval_every=20,
                       show_progress=False)
    return model, tokenizer, history


# ---- plots -----------------------------------------------------------------------------------


def test_every_plot_writes_a_png(english, tmp_path):
    model, tokenizer, history = english
    plots.plot_loss(history, tmp_path / "loss.png", bytes_per_token=2.5)
    plots.plot_attention(model, tokenizer, "The rain had stopped.", tmp_path / "attention.png")
    frequent = plots.most_frequent(lm.tokenize(tokenizer, load_sample()["eng"]), 40)
    plots.plot_embeddings(model, tokenizer, tmp_path / "embeddings.png", ids=frequent)
    plots.plot_next_token(model, tokenizer, "On Saturday", tmp_path / "next.png")
    for name in ("loss", "attention", "embeddings", "next"):
        data = (tmp_path / f"{name}.png").read_bytes()
        assert data.startswith(PNG) and len(data) > 5000, name


def test_attention_maps_are_causal_distributions(english):
    model, tokenizer, _ = english
    maps = model.attention_maps(np.array([tokenizer.encode("By evening the rain had stopped")]))  # [L, B, H, T, T]
    assert maps.shape[:3] == (model.config.n_layers, 1, model.config.n_heads)
    np.testing.assert_allclose(maps.sum(axis=-1), 1.0, rtol=1e-5)
    assert np.all(np.triu(maps[0, 0, 0], k=1) == 0.0)


def test_embedding_neighbours_rank_tokens_by_cosine():
    tokenizer = tokkit.train_bpe(["abc"], vocab_size=256, show_progress=False)
    model = lm.Transformer(lm.Config(vocab_size=256, context=4, d_model=4, n_heads=1, dtype="float64"))
    table = np.zeros((256, 4))
    table[:, 3] = 1.0  # every other token points along the last axis
    table[ord("a")] = [1, 0, 0, 0]
    table[ord("b")] = [0.9, 0.1, 0, 0]
    table[ord("c")] = [0.5, 0.5, 0, 0]
    model.params["wte"] = table
    (first, cos1), (second, cos2) = plots.embedding_neighbours(model, tokenizer, "a", k=2)
    assert (first, second) == ("b", "c")
    assert cos1 == pytest.approx(0.9 / math.sqrt(0.82)) and cos2 == pytest.approx(math.sqrt(0.5))


def test_most_frequent_ranks_ids_by_count_then_id():
    assert plots.most_frequent(np.array([5, 3, 5, 1, 3, 5, 9]), 3).tolist() == [5, 3, 1]
    assert plots.most_frequent(np.array([2, 2]), 10).tolist() == [2]


def test_pca_finds_the_direction_of_largest_spread():
    rng = np.random.default_rng(0)
    points = np.outer(rng.normal(size=200), [3.0, 4.0, 0.0]) + rng.normal(scale=0.01, size=(200, 3))
    projected = plots.pca_2d(points)
    assert projected[:, 0].var() > 1000 * projected[:, 1].var()


def test_next_token_distribution_is_ranked(english):
    model, tokenizer, _ = english
    ranked = plots.next_token_distribution(model, tokenizer, "On Saturday mornings the", k=5)
    probabilities = [p for _, p in ranked]
    assert probabilities == sorted(probabilities, reverse=True) and sum(probabilities) <= 1.0 + 1e-9


# ---- bits per byte across tokenizers ---------------------------------------------------------


@pytest.mark.parametrize("vocab_size", [256, 400])
def test_a_uniform_model_scores_log_vocabulary_bits_per_token(vocab_size):
    text = load_sample()["eng"]
    tokenizer = tokkit.train_bpe([text], vocab_size=vocab_size, show_progress=False)
    model = lm.Transformer(lm.Config(vocab_size=vocab_size, context=16, d_model=8, n_heads=2, dtype="float64"))
    model.params["wte"][:] = 0.0  # tied head of zeros: every logit is 0, every token has p = 1 / V
    scores = lm.evaluate(model, tokenizer, text)
    ids = tokenizer.encode(text)
    assert scores["loss"] == pytest.approx(math.log(vocab_size), rel=1e-12)
    assert scores["bits_per_byte"] == pytest.approx(math.log2(vocab_size) * (len(ids) - 1) / scores["bytes"], rel=1e-12)


def test_build_tokenizer_understands_each_spec(tmp_path):
    text = load_sample()["eng"]
    assert build_tokenizer("bytes", text).vocab_size == 256
    bpe = build_tokenizer("bpe:300", text)
    assert bpe.vocab_size == 300
    bpe.save(tmp_path / "bpe.tokkit.json")
    assert build_tokenizer(str(tmp_path / "bpe.tokkit.json"), text).encode(text) == bpe.encode(text)
    with pytest.raises(ValueError, match="unknown tokenizer 'sentencepiece:9'"):
        build_tokenizer("sentencepiece:9", text)
    with pytest.raises(ValueError, match="whole number"):
        build_tokenizer("bpe:lots", text)


def test_compare_tokenizers_gives_a_row_per_tokenizer():
    train_text, eval_text = sample_corpus()
    tokenizers = {name: build_tokenizer(name, train_text) for name in ("bytes", "bpe:400")}
    rows = compare_tokenizers(train_text, eval_text, tokenizers, d_model=16, n_layers=1, n_heads=2, context=32,
                              steps=15, batch_size=4, show_progress=False)
    assert [r["name"] for r in rows] == ["bytes", "bpe:400"]
    assert rows[0]["bytes_per_token"] == pytest.approx(1.0) and rows[1]["bytes_per_token"] > 1.5
    assert all(0 < r["bits_per_byte"] < 8 for r in rows)
    table = markdown_table(rows)
    assert "| bytes | 256 |" in table and "| bpe:400 | 400 |" in table


# ---- scaling -------------------------------------------------------------------------------


def test_power_law_fit_recovers_known_parameters():
    n = np.array([2e3, 1e4, 5e4, 2e5, 1e6])
    fit = fit_power_law(n, 2.25 + 30.0 * n**-0.42)
    assert fit["E"] == pytest.approx(2.25, abs=1e-4)
    assert fit["A"] == pytest.approx(30.0, rel=1e-3)
    assert fit["alpha"] == pytest.approx(0.42, abs=1e-4)


def test_quick_scaling_trains_five_sizes_and_plots_the_fit(tmp_path):
    result = scaling(quick=True, show_progress=False)
    sizes = [r["params"] for r in result["runs"]]
    assert len(sizes) >= 5 and sizes == sorted(sizes)
    assert all(math.isfinite(result["fit"][k]) for k in ("E", "A", "alpha"))
    assert result["runs"][-1]["loss"] < result["runs"][0]["loss"]
    plot_scaling(result, tmp_path / "scaling.png")
    assert (tmp_path / "scaling.png").read_bytes().startswith(PNG)


# ---- the command line ------------------------------------------------------------------------


def test_cli_trains_generates_and_inspects(tmp_path, capsys):
    run = tmp_path / "run"
    assert main(["lm", "train", "--out", str(run), "--steps", "20", "--d-model", "16", "--layers", "1",
                 "--heads", "2", "--context", "32", "--eval-every", "10", "--tokenizer", "bpe:300"]) == 0
    assert "bits per byte" in capsys.readouterr().out
    for name in ("model.npz", "model.json", "tokenizer.tokkit.json", "history.json", "loss.png"):
        assert (run / name).exists(), name
    assert main(["lm", "generate", str(run), "--prompt", "The", "--max-new-tokens", "5", "--temperature", "0"]) == 0
    assert capsys.readouterr().out.startswith("The")
    assert main(["lm", "inspect", str(run), "--text", "The river", "--out", str(tmp_path / "plots")]) == 0
    assert (tmp_path / "plots" / "attention.png").exists()


def test_cli_reports_errors_in_one_line_and_overwrites_nothing(tmp_path, capsys):
    run = tmp_path / "run"
    common = ["--steps", "4", "--d-model", "16", "--layers", "1", "--heads", "2", "--context", "16",
              "--tokenizer", "bpe:300"]
    assert main(["lm", "train", "--out", str(run), *common]) == 0
    before = (run / "model.npz").read_bytes()
    capsys.readouterr()
    assert main(["lm", "train", "--out", str(run), *common]) == 1
    error = capsys.readouterr().err
    assert error.startswith("tokkit lm train: error:") and "--resume" in error and "Traceback" not in error
    assert (run / "model.npz").read_bytes() == before
    assert main(["lm", "generate", str(tmp_path / "missing")]) == 1
    assert "holds no trained model" in capsys.readouterr().err
    assert main(["lm", "train", str(tmp_path / "nope.txt"), "--out", str(tmp_path / "r2")]) == 1
    assert "no such text file" in capsys.readouterr().err


def test_cli_help_shows_examples(capsys):
    for command in (["lm"], ["lm", "train"], ["lm", "scaling"], ["lm", "compare-tokenizers"]):
        with pytest.raises(SystemExit):
            main([*command, "--help"])
        assert "examples:" in capsys.readouterr().out


# ---- a real corpus -------------------------------------------------------------------------


def test_a_small_model_learns_shakespeare():
    text = data_path("corpora", "mono", "tinyshakespeare.txt").read_text(encoding="utf-8")
    train_text, eval_text = text[:300_000], text[-10_000:]
    tokenizer = tokkit.train_bpe([train_text], vocab_size=512, show_progress=False)
    model = lm.Transformer(lm.Config(vocab_size=512, context=64, d_model=64, n_heads=4, n_layers=2))
    before = lm.evaluate(model, tokenizer, eval_text)["bits_per_byte"]
    lm.train(model, lm.tokenize(tokenizer, train_text), steps=120, batch_size=16, lr=1e-2, eval_every=120,
             show_progress=False)
    after = lm.evaluate(model, tokenizer, eval_text)["bits_per_byte"]
    assert before > 4.0 and after < 0.85 * before  # 120 steps: from 4.6 to about 3.7

"""``tokkit demo``: the whole story on the bundled multilingual sample, in four steps.

1. Train character, word, BPE, Unigram and WordPiece tokenizers of one vocabulary size
   and show one sentence in three scripts split by each.
2. Compare them across all 26 bundled languages (with OpenAI's r50k / cl100k / o200k
   when their files are at hand: ``$TOKKIT_DATA`` or ``tokkit.get_encoding``'s cache):
   compression and premiums.
3. Train the NumPy transformer under two of the tokenizers, report bits per byte for
   each (comparable across tokenizers) and a few generated continuations.
4. Write the report folder: Markdown, HTML, JSON, CSV and PNG figures (premiums, heatmap,
   token boundaries, loss curves, an attention map).

A rerun replaces only a folder an earlier demo wrote (it carries a marker file); any
other existing folder is left alone and the demo stops with a message.
"""

from __future__ import annotations

import os
import shutil
import sys
import time
from pathlib import Path
from typing import Union

import tokkit
from tokkit.compare.readable import readable_groups
from tokkit.corpora import load_sample, sample_index

MARKER = ".tokkit-demo"
SHOWN_LANGUAGES = ["eng", "hin", "cmn"]
SENTENCE = 2  # the line about the bridge built in 1898
STRATEGIES = ["char", "word", "bpe", "unigram", "wordpiece"]
LM_STRATEGIES = ["char", "bpe"]
PROMPT = "On Saturday mornings"


def show_tokens(tokens: list[Union[str, bytes]], color: bool) -> str:
    """One line with the token boundaries visible: alternating colours on a terminal,
    brackets elsewhere. Spaces show as ␣; a character split over n tokens shows once,
    with n in subscript."""
    shown = []
    for i, group in enumerate(readable_groups(tokens)):
        text = group.replace(" ", "␣").replace("\n", "↵")
        if color:
            shown.append(f"\x1b[{(44, 42, 45, 46)[i % 4]}m\x1b[30m{text}\x1b[0m")
        else:
            shown.append(f"[{text}]")
    return "".join(shown)


def reference_encodings() -> dict:
    """r50k / cl100k / o200k from $TOKKIT_DATA or the download cache, if present."""
    from tokkit.encodings import cache_dir

    found = {}
    folders = [Path(os.environ.get("TOKKIT_DATA", "../shared/data")) / "vocab" / "tiktoken", cache_dir()]
    for name in ["r50k_base", "cl100k_base", "o200k_base"]:
        path = next((folder / f"{name}.tiktoken" for folder in folders if (folder / f"{name}.tiktoken").exists()), None)
        if path is not None:
            found[name] = tokkit.load(path)
    return found


def prepare(out: Path, say) -> None:
    """Makes ``out`` an empty folder for this demo, replacing only an earlier demo's."""
    if out.exists():
        if not out.is_dir() or (any(out.iterdir()) and not (out / MARKER).exists()):
            raise FileExistsError(f"{out} exists and was not written by tokkit demo; choose another --out "
                                  f"(nothing was changed)")
        if (out / MARKER).exists():
            say(f"(replacing the earlier demo output in {out})")
        shutil.rmtree(out)
    out.mkdir(parents=True)
    (out / MARKER).write_text("written by tokkit demo; a rerun replaces this folder\n", encoding="utf-8")


def _bar(total: int, desc: str):
    from tqdm import tqdm

    return tqdm(total=total, desc=desc, file=sys.stderr, dynamic_ncols=True, disable=not sys.stderr.isatty())


def train_tokenizers(texts: dict, vocab_size: int) -> dict:
    """One tokenizer per strategy, all asked for the same vocabulary size."""
    documents = list(texts.values())
    trainers = {
        "char": lambda: tokkit.train_char(documents, show_progress=False),  # its vocabulary is the alphabet
        "word": lambda: tokkit.train_word(documents, vocab_size=vocab_size, show_progress=False),
        "bpe": lambda: tokkit.train_bpe(documents, vocab_size=vocab_size, pattern="o200k", show_progress=False),
        "unigram": lambda: tokkit.train_unigram(documents, vocab_size=vocab_size, show_progress=False),
        "wordpiece": lambda: tokkit.train_wordpiece(documents, vocab_size=vocab_size, show_progress=False),
    }
    trained = {}
    bar = _bar(len(trainers), "tokenizers")
    import warnings

    for strategy, train in trainers.items():
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)  # a small corpus may not fill the vocabulary
            tok = train()
        tok.name = strategy if strategy == "char" else f"{strategy}-{vocab_size}"
        trained[strategy] = tok
        bar.update(1)
    bar.close()
    return trained


def train_language_models(tokenizers: dict, out: Path, quick: bool, say) -> list[dict]:
    """The same small transformer trained under each tokenizer; bits per byte on held-out
    lines and a continuation of ``PROMPT``."""
    from tokkit import lm
    from tokkit.lm.data import sample_corpus
    from tokkit.lm.plots import plot_attention, plot_loss

    train_text, eval_text = sample_corpus()
    steps = 40 if quick else 250
    results = []
    for strategy in LM_STRATEGIES:
        tok = tokenizers[strategy]
        config = lm.Config(vocab_size=tok.vocab_size, context=64, d_model=64, n_heads=4, n_layers=2, seed=0)
        model = lm.Transformer(config)
        say(f"\n  {tok.name}: a {model.n_params:,}-parameter model, {steps} steps")
        started = time.perf_counter()
        history = lm.train(model, lm.tokenize(tok, train_text), steps=steps, batch_size=16, lr=3e-3,
                           eval_every=max(steps // 5, 1), eval_tokens=lm.tokenize(tok, eval_text))
        seconds = time.perf_counter() - started
        for step, loss in zip(history["eval"]["step"], history["eval"]["loss"]):
            say(f"    step {step:4d}  held-out loss {loss:.3f}")
        scores = lm.evaluate(model, tok, eval_text)
        text = lm.generate(model, tok, PROMPT, max_new_tokens=30, temperature=0.8, top_k=20, seed=0)
        tokens_per_second = history["tokens"][-1] / seconds
        say(f"    {tokens_per_second:,.0f} tokens/s; bits per byte {scores['bits_per_byte']:.3f}")
        say(f"    {PROMPT!r} → {text!r}")
        plot_loss(history, out / f"loss-{strategy}.png", bytes_per_token=scores["bytes"] / max(scores["tokens"] - 1, 1),
                  title=tok.name)
        plot_attention(model, tok, eval_text.splitlines()[0][:80], out / f"attention-{strategy}.png")
        results.append({"tokenizer": tok.name, "parameters": model.n_params, "steps": steps,
                        "tokens_per_second": tokens_per_second, "bits_per_byte": scores["bits_per_byte"],
                        "loss": scores["loss"], "continuation": text})
    return results


def run(out: Path, quick: bool = False, stream=None) -> None:
    stream = stream or sys.stdout

    def say(text: str = "") -> None:
        print(text, file=stream, flush=True)

    out = Path(out)
    prepare(out, say)
    color = stream.isatty()
    texts = load_sample()
    names = {row["iso639_3"]: row["name"] for row in sample_index()}
    vocab_size = 1500 if quick else 2000

    say(f"1. Training five tokenizers ({vocab_size} tokens; characters: the alphabet) on the bundled sample "
        f"({len(texts)} languages, {sum(len(t.encode()) for t in texts.values()):,} bytes)")
    tokenizers = train_tokenizers(texts, vocab_size)
    for code in SHOWN_LANGUAGES:
        line = texts[code].splitlines()[SENTENCE]
        say(f"\n  {names[code]}")
        for strategy, tok in tokenizers.items():
            tokens = tok.tokens(line)
            say(f"  {strategy:>10} {len(tokens):3d} │ {show_tokens(tokens, color)}")

    references = reference_encodings()
    compared = {tok.name: tok for tok in tokenizers.values()} | references
    say(f"\n2. Comparing {len(compared)} tokenizers across {len(texts)} languages (pivot: English)")
    if not references:
        say("  (OpenAI's encodings were not found; set TOKKIT_DATA to compare with them too)")
    report = tokkit.compare(compared, pivot="eng")
    say(report.summary())
    say(report.table("premium"))

    say("\n3. Training the NumPy transformer under two tokenizers (bits per byte compares them fairly)")
    results = train_language_models(tokenizers, out, quick, say)

    say("\n4. Writing the report")
    written = report.save(out)
    _add_language_model_section(out, results)
    say(f"\nDone: {len(written) + 2 * len(results) + 1} files in {out.resolve()}; open {out / 'index.html'}")


def _add_language_model_section(out: Path, results: list[dict]) -> None:
    """Adds the language-model results to the report's Markdown, JSON and HTML page."""
    import json

    from tokkit.compare.html import image

    rows = "".join(f"| {r['tokenizer']} | {r['parameters']:,} | {r['steps']} | {r['tokens_per_second']:,.0f} | "
                   f"{r['bits_per_byte']:.3f} | {r['continuation']!r} |\n" for r in results)
    markdown = ("\n## Language model\n\nThe same transformer trained under each tokenizer; bits per byte on "
                "held-out lines.\n\n| tokenizer | parameters | steps | tokens/s | bits per byte | continuation of "
                f"{PROMPT!r} |\n|---|---:|---:|---:|---:|---|\n" + rows)
    with open(out / "report.md", "a", encoding="utf-8") as f:
        f.write(markdown)
    (out / "lm.json").write_text(json.dumps(results, ensure_ascii=False, indent=1), encoding="utf-8")
    figures = sorted(out.glob("loss-*.png")) + sorted(out.glob("attention-*.png"))
    cells = "".join(f"<tr><td>{r['tokenizer']}</td><td>{r['bits_per_byte']:.3f}</td>"
                    f"<td>{r['tokens_per_second']:,.0f}</td></tr>" for r in results)
    section = ("<h2>Language model</h2><table><tr><th>tokenizer</th><th>bits per byte</th><th>tokens/s</th></tr>"
               + cells + "</table>" + "".join(image(path) for path in figures))
    page = out / "index.html"
    page.write_text(page.read_text(encoding="utf-8").replace("</body>", section + "</body>"), encoding="utf-8")

"""What each ``tokkit lm`` sub-command does, once ``cli.py`` has parsed its arguments."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from .checkpoint import load_model, read_checkpoint
from .compare import build_tokenizer, compare_tokenizers, markdown_table
from .data import sample_corpus, split_text, tokenize
from .evaluate import evaluate
from .generate import generate
from .model import Config, Transformer
from .train import train

# tokkit.load reads "*tokenizer.json" as a HuggingFace file; this name keeps tokkit's own format.
CHECKPOINT, TOKENIZER, HISTORY = "model.npz", "tokenizer.tokkit.json", "history.json"
COUNTS = "token_counts.npy"  # how often each id occurs in the training text, for inspect's embedding plot


def read_texts(files) -> tuple[str, str]:
    """(train, eval) text from files, or from the bundled sample corpus without files."""
    if not files:
        return sample_corpus()
    parts = []
    for name in files:
        path = Path(name)
        if not path.is_file():
            raise FileNotFoundError(f"no such text file: {path}")
        parts.append(path.read_text(encoding="utf-8"))
    return split_text("\n".join(parts))


def write_json(path: Path, value) -> None:
    path.write_text(json.dumps(value, indent=1) + "\n", encoding="utf-8")


def load_run(folder) -> tuple[Transformer, object]:
    """The model and tokenizer a ``tokkit lm train --out folder`` wrote."""
    import tokkit

    folder = Path(folder)
    if not (folder / CHECKPOINT).exists():
        raise FileNotFoundError(f"{folder} holds no trained model (no {CHECKPOINT}); train one with "
                                f"tokkit lm train --out {folder}")
    return load_model(folder / CHECKPOINT), tokkit.load(folder / TOKENIZER)


def train_command(args) -> int:
    import tokkit

    from .plots import plot_loss

    out = Path(args.out)
    checkpoint = out / CHECKPOINT
    if checkpoint.exists() and not args.resume:
        raise FileExistsError(f"{out} already holds a run; pass --resume to continue it, or choose another --out")
    if args.resume and not checkpoint.exists():
        raise FileNotFoundError(f"--resume: {out} holds no run to continue (no {CHECKPOINT})")
    train_text, eval_text = read_texts(args.files)
    if args.resume:
        tokenizer, config = tokkit.load(out / TOKENIZER), read_checkpoint(checkpoint)[0]
    else:
        tokenizer = build_tokenizer(args.tokenizer, train_text)
        config = Config(vocab_size=tokenizer.vocab_size, context=args.context, d_model=args.d_model,
                        n_heads=args.heads, n_layers=args.layers, d_ff=args.d_ff, dropout=args.dropout,
                        positional=args.positional, tie_embeddings=not args.untied, seed=args.seed)
    model = Transformer(config)
    tokens, eval_tokens = tokenize(tokenizer, train_text), tokenize(tokenizer, eval_text)
    print(f"{model}\n{len(tokens):,} training tokens, {len(eval_tokens):,} held out ({tokenizer.vocab_size} ids)")
    out.mkdir(parents=True, exist_ok=True)
    if not args.resume:
        tokenizer.save(out / TOKENIZER)
        np.save(out / COUNTS, np.bincount(tokens, minlength=tokenizer.vocab_size))
    history = train(model, tokens, steps=args.steps, batch_size=args.batch_size, lr=args.lr,
                    eval_every=args.eval_every, eval_tokens=eval_tokens, seed=args.seed, checkpoint=checkpoint,
                    resume=args.resume)
    write_json(out / HISTORY, history)
    plot_loss(history, out / "loss.png", bytes_per_token=len(train_text.encode("utf-8")) / len(tokens))
    scores = evaluate(model, tokenizer, eval_text)
    print(f"held out: {scores['loss']:.3f} nats per token, {scores['bits_per_byte']:.3f} bits per byte")
    prompt = eval_text[:24]
    print(f"sample: {prompt + generate(model, tokenizer, prompt, max_new_tokens=40, temperature=0)!r}")
    print(f"saved {checkpoint}, {out / TOKENIZER}, {out / HISTORY} and {out / 'loss.png'}")
    return 0


def generate_command(args) -> int:
    model, tokenizer = load_run(args.run)
    text = generate(model, tokenizer, args.prompt, max_new_tokens=args.max_new_tokens, temperature=args.temperature,
                    top_k=args.top_k, top_p=args.top_p, seed=args.seed)
    print(args.prompt + text)
    return 0


def inspect_command(args) -> int:
    from .plots import (embedding_neighbours, most_frequent, next_token_distribution, plot_attention, plot_embeddings,
                        plot_next_token)

    model, tokenizer = load_run(args.run)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    plot_attention(model, tokenizer, args.text, out / "attention.png")
    plot_next_token(model, tokenizer, args.text, out / "next_token.png")
    counts_path = Path(args.run) / COUNTS
    if counts_path.exists():
        frequent = np.argsort(-np.load(counts_path), kind="stable")[:120]
    else:
        frequent = most_frequent(tokenize(tokenizer, args.text), 120)
    plot_embeddings(model, tokenizer, out / "embeddings.png", ids=frequent)
    print(f"next token after {args.text!r}:")
    for label, p in next_token_distribution(model, tokenizer, args.text, k=8):
        print(f"  {p:6.1%}  {label}")
    for word in filter(None, (w.replace("␣", " ") for w in args.neighbours.split(","))):
        try:
            near = ", ".join(f"{label} {cos:.2f}" for label, cos in embedding_neighbours(model, tokenizer, word, k=6))
        except ValueError as error:  # a word of several tokens: say so and go on with the others
            print(f"nearest to {word!r}: skipped, {error}")
            continue
        print(f"nearest to {word!r}: {near}")
    print(f"wrote {out / 'attention.png'}, {out / 'next_token.png'} and {out / 'embeddings.png'}")
    return 0


def compare_command(args) -> int:
    train_text, eval_text = read_texts([args.file] if args.file else [])
    specs = [s.strip() for s in args.tokenizers.split(",") if s.strip()]
    if not specs:
        raise ValueError("--tokenizers is empty; give at least one, such as bytes,bpe:512")
    tokenizers = {spec: build_tokenizer(spec, train_text) for spec in specs}
    rows = compare_tokenizers(train_text, eval_text, tokenizers, d_model=args.d_model, n_layers=args.layers,
                              n_heads=args.heads, context=args.context, steps=args.steps,
                              batch_size=args.batch_size, lr=args.lr, seed=args.seed)
    table = markdown_table(rows)
    print(table)
    if args.out:
        out = Path(args.out)
        out.mkdir(parents=True, exist_ok=True)
        (out / "compare.md").write_text(table, encoding="utf-8")
        write_json(out / "compare.json", rows)
    return 0


def scaling_command(args) -> int:
    from .scaling import plot_scaling, scaling

    text = None
    if args.file:
        path = Path(args.file)
        if not path.is_file():
            raise FileNotFoundError(f"no such text file: {path}")
        text = path.read_text(encoding="utf-8")
    result = scaling(text, quick=args.quick, vocab_size=args.vocab_size, steps=args.steps, seed=args.seed)
    print(f"{'d_model':>7} {'layers':>6} {'heads':>5} {'N':>9} {'loss':>7} {'bits/byte':>9} {'seconds':>7}")
    for r in result["runs"]:
        print(f"{r['d_model']:>7} {r['n_layers']:>6} {r['n_heads']:>5} {r['params']:>9,} {r['loss']:>7.3f} "
              f"{r['bits_per_byte']:>9.3f} {r['seconds']:>7.1f}")
    fit = result["fit"]
    print(f"fit: L(N) = {fit['E']:.3f} + {fit['A']:.3f} * N^-{fit['alpha']:.3f}  (rmse {fit['rmse']:.3f})")
    if args.out:
        out = Path(args.out)
        out.mkdir(parents=True, exist_ok=True)
        plot_scaling(result, out / "scaling.png")
        write_json(out / "scaling.json", result)
        print(f"wrote {out / 'scaling.png'} and {out / 'scaling.json'}")
    return 0

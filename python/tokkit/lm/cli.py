"""``tokkit lm``: train, sample, inspect and compare small language models from the shell.

``add_parser(subparsers)`` registers the ``lm`` command on tokkit's main parser and
``run(args)`` carries it out; ``python -m tokkit.lm`` runs the same commands on their own.
Errors a user can cause are printed as one line and exit with status 1, never a traceback.
"""

from __future__ import annotations

import argparse
import sys

from .train import TrainingDiverged

EXAMPLES = {
    "lm": """examples:
  tokkit lm train --out run                        # bundled 26-language sample corpus
  tokkit lm train shakespeare.txt --tokenizer bpe:2048 --steps 2000 --out run
  tokkit lm generate run --prompt "ROMEO:" --temperature 0.8 --top-k 40
  tokkit lm inspect run --text "The river was calm" --out run/plots
  tokkit lm compare-tokenizers shakespeare.txt --tokenizers bytes,bpe:512,bpe:2048
  tokkit lm scaling --out scaling
""",
    "train": """examples:
  tokkit lm train --out run
  tokkit lm train notes.txt more.txt --tokenizer bpe:2048 --d-model 256 --layers 4 --out run
  tokkit lm train notes.txt --out run --resume       # continue a run saved in run/

writes run/model.npz + run/model.json (checkpoint), run/tokenizer.tokkit.json, run/history.json
and run/loss.png; the last tenth of the text (for the sample corpus: the last two lines of
every language) is held out for evaluation.
""",
    "generate": """examples:
  tokkit lm generate run --prompt "The market" --temperature 0     # greedy
  tokkit lm generate run --prompt "The market" --temperature 0.8 --top-p 0.9 --seed 3
""",
    "inspect": """examples:
  tokkit lm inspect run --text "By evening the rain had stopped" --out run/plots --neighbours ␣the,␣rain

writes attention.png (every layer and head), next_token.png and embeddings.png (PCA).
""",
    "compare-tokenizers": """examples:
  tokkit lm compare-tokenizers                      # bundled sample corpus
  tokkit lm compare-tokenizers shakespeare.txt --tokenizers bytes,bpe:512,bpe:4096 --steps 500 --out cmp

the score is bits per byte on held-out text: comparable whatever a token is.
""",
    "scaling": """examples:
  tokkit lm scaling --out scaling                   # 6 sizes on the sample corpus, a few minutes
  tokkit lm scaling --quick                         # tiny sizes, seconds
  tokkit lm scaling shakespeare.txt --steps 500 --out scaling
""",
}


def _subparser(commands, name: str, help: str):
    return commands.add_parser(name, help=help, description=help, epilog=EXAMPLES[name],
                               formatter_class=argparse.RawDescriptionHelpFormatter)


def add_parser(subparsers) -> argparse.ArgumentParser:
    """Adds ``lm`` and its sub-commands to an argparse ``subparsers`` object."""
    lm = subparsers.add_parser("lm", help="train and study a small NumPy transformer on tokenized text",
                               description="A GPT-style transformer in NumPy: train it, sample from it, look "
                                           "inside it, compare tokenizers with it.",
                               epilog=EXAMPLES["lm"], formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = lm.add_subparsers(dest="lm_command", metavar="COMMAND", required=True)

    p = _subparser(commands, "train", "train a model on text files (or the bundled sample corpus)")
    p.add_argument("files", nargs="*", metavar="FILE", help="UTF-8 text files (default: the bundled sample corpus)")
    p.add_argument("--out", required=True, metavar="DIR", help="folder for the checkpoint, tokenizer and plots")
    p.add_argument("--tokenizer", default="bpe:1024", metavar="SPEC",
                   help="bytes, bpe:SIZE, or a saved tokenizer file (default: bpe:1024)")
    _model_options(p, d_model=128, layers=2, heads=4, context=128)
    p.add_argument("--d-ff", type=int, default=None, help="feed-forward width (default: 4 x d-model)")
    p.add_argument("--positional", choices=("learned", "sinusoidal", "rope"), default="learned")
    p.add_argument("--dropout", type=float, default=0.0)
    p.add_argument("--untied", action="store_true", help="a separate output matrix instead of the token table")
    _training_options(p, steps=500, batch_size=16, lr=3e-3)
    p.add_argument("--eval-every", type=int, default=100, metavar="STEPS")
    p.add_argument("--resume", action="store_true", help="continue the run saved in --out")

    p = _subparser(commands, "generate", "continue a prompt with a trained model")
    p.add_argument("run", metavar="DIR", help="a folder written by tokkit lm train")
    p.add_argument("--prompt", default="The ", help="text to continue (default: 'The ')")
    p.add_argument("--max-new-tokens", type=int, default=100)
    p.add_argument("--temperature", type=float, default=0.8, help="0 picks the likeliest token (greedy)")
    p.add_argument("--top-k", type=int, default=None)
    p.add_argument("--top-p", type=float, default=None)
    p.add_argument("--seed", type=int, default=0)

    p = _subparser(commands, "inspect", "plot attention maps, next-token probabilities and embeddings")
    p.add_argument("run", metavar="DIR", help="a folder written by tokkit lm train")
    p.add_argument("--text", required=True, help="a sentence to look at")
    p.add_argument("--out", required=True, metavar="DIR", help="folder for the PNG files")
    p.add_argument("--neighbours", default="", metavar="TOKENS",
                   help="comma-separated tokens whose nearest embeddings to print; write a leading "
                        "space as ␣ (␣the,␣king)")

    p = _subparser(commands, "compare-tokenizers", "train the same model under several tokenizers; "
                                                   "tabulate bits per byte")
    p.add_argument("file", nargs="?", metavar="FILE", help="UTF-8 text (default: the bundled sample corpus)")
    p.add_argument("--tokenizers", default="bytes,bpe:512,bpe:1024,bpe:2048", metavar="SPECS",
                   help="comma-separated: bytes, KIND:SIZE (bpe:512), or saved tokenizer files")
    _model_options(p, d_model=64, layers=2, heads=4, context=64)
    _training_options(p, steps=300, batch_size=16, lr=3e-3)
    p.add_argument("--out", metavar="DIR", help="also write compare.md and compare.json here")

    p = _subparser(commands, "scaling", "fit L(N) = E + A N^-alpha over 5+ model sizes on one token budget")
    p.add_argument("file", nargs="?", metavar="FILE", help="UTF-8 text (default: the bundled sample corpus)")
    p.add_argument("--quick", action="store_true", help="tiny models and 40 steps: seconds, not minutes")
    p.add_argument("--vocab-size", type=int, default=512, help="size of the BPE trained on the text (default 512)")
    p.add_argument("--steps", type=int, default=None, help="steps per model (default 300; 40 with --quick)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--out", metavar="DIR", help="write scaling.png and scaling.json here")
    lm.set_defaults(func=run)
    return lm


def _model_options(p, *, d_model: int, layers: int, heads: int, context: int) -> None:
    p.add_argument("--d-model", type=int, default=d_model, help=f"channels (default {d_model})")
    p.add_argument("--layers", type=int, default=layers, help=f"transformer blocks (default {layers})")
    p.add_argument("--heads", type=int, default=heads, help=f"attention heads (default {heads})")
    p.add_argument("--context", type=int, default=context, help=f"tokens per window (default {context})")


def _training_options(p, *, steps: int, batch_size: int, lr: float) -> None:
    p.add_argument("--steps", type=int, default=steps, help=f"optimizer steps (default {steps})")
    p.add_argument("--batch-size", type=int, default=batch_size, help=f"windows per step (default {batch_size})")
    p.add_argument("--lr", type=float, default=lr, help=f"peak learning rate (default {lr})")
    p.add_argument("--seed", type=int, default=0)


def run(args) -> int:
    """Carries out a parsed ``tokkit lm`` command; returns the exit status."""
    from . import commands

    action = {"train": commands.train_command, "generate": commands.generate_command,
              "inspect": commands.inspect_command, "compare-tokenizers": commands.compare_command,
              "scaling": commands.scaling_command}[args.lm_command]
    try:
        return action(args)
    except (ValueError, OSError, TrainingDiverged) as error:
        print(f"tokkit lm {args.lm_command}: error: {error}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print(f"tokkit lm {args.lm_command}: interrupted", file=sys.stderr)
        return 130


def main(argv=None) -> int:
    """``python -m tokkit.lm ...``: the ``lm`` commands without the rest of tokkit's CLI."""
    parser = argparse.ArgumentParser(prog="tokkit", description="tokkit's language-model commands")
    add_parser(parser.add_subparsers(dest="command", metavar="COMMAND", required=True))
    args = parser.parse_args(argv)
    return args.func(args)


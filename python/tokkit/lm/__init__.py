"""A GPT-style transformer in NumPy, with every gradient written by hand.

Token ids in, next-token predictions out: ``Config`` and ``Transformer`` are the model,
``train`` fits it to a token stream (AdamW, warmup + cosine, clipping, checkpoints that
resume exactly), ``generate`` samples text with a KV cache, and ``evaluate`` reports bits
per byte, a score that compares models across tokenizers.

>>> import tokkit
>>> from tokkit import lm
>>> documents = ["the cat sat on the mat. " * 8] * 5
>>> tok = tokkit.train_bpe(documents, vocab_size=280, show_progress=False)
>>> tokens = lm.tokenize(tok, documents)
>>> model = lm.Transformer(lm.Config(vocab_size=tok.vocab_size, context=16, d_model=32, n_heads=2))
>>> history = lm.train(model, tokens, steps=80, batch_size=8, lr=3e-3, show_progress=False)
>>> lm.generate(model, tok, "the cat", max_new_tokens=4, temperature=0)
' sat on the mat'
"""

from .checkpoint import load_model, read_checkpoint, save_checkpoint
from .data import Batches, load_tokens, save_tokens, split, tokenize
from .evaluate import evaluate
from .generate import KVCache, generate
from .model import Config, Transformer
from .optim import AdamW
from .train import TrainingDiverged, train

__all__ = [
    "AdamW",
    "Batches",
    "Config",
    "KVCache",
    "Transformer",
    "TrainingDiverged",
    "evaluate",
    "generate",
    "load_model",
    "load_tokens",
    "read_checkpoint",
    "save_checkpoint",
    "save_tokens",
    "split",
    "tokenize",
    "train",
]

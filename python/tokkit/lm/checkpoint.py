"""Checkpoints: ``run.npz`` holds the arrays, ``run.json`` beside it the config and, for a
training run, where it stood (step, optimizer step count, random states, history).

The .npz also carries its config as text, so a .json from another save is caught rather
than silently paired with the wrong weights. Both files are written under temporary
names and renamed into place, so a crash mid-save leaves the previous checkpoint whole.

>>> import tempfile
>>> folder = Path(tempfile.mkdtemp())
>>> model = Transformer(Config(vocab_size=20, context=8, d_model=16, n_heads=2))
>>> save_checkpoint(folder / "run.npz", model)
>>> load_model(folder / "run.npz").config == model.config
True
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Optional, Union

import numpy as np

from .model import Config, Transformer, parameter_shapes

FORMAT = "tokkit-lm-checkpoint"


def config_path(path: Union[str, os.PathLike]) -> Path:
    return Path(path).with_suffix(".json")


def _check_suffix(path: Path) -> None:
    if path.suffix != ".npz":
        raise ValueError(f"checkpoint paths end in .npz (the config goes beside it as .json); got {path}")


def save_checkpoint(path: Union[str, os.PathLike], model: Transformer, *, optimizer=None,
                    training: Optional[dict] = None) -> None:
    """Writes ``path`` (.npz) and its .json. ``optimizer`` (an AdamW) and ``training`` (a
    JSON-able dict) are what ``train`` saves to resume a run; a bare model needs neither."""
    path = Path(path)
    _check_suffix(path)
    config_text = json.dumps(model.config.to_dict(), sort_keys=True)
    arrays = {"config": np.array(config_text)}
    arrays.update({f"param/{name}": p for name, p in model.params.items()})
    if optimizer is not None:
        m, v, t = optimizer.state()
        arrays.update({f"adam_m/{name}": a for name, a in m.items()})
        arrays.update({f"adam_v/{name}": a for name, a in v.items()})
        training = dict(training or {}, adam_t=t)
    document = {"format": FORMAT, "version": 1, "config": model.config.to_dict(), "training": training}
    npz_tmp, json_tmp = path.with_name(path.name + ".tmp"), path.with_name(path.name + ".json.tmp")
    with open(npz_tmp, "wb") as handle:
        np.savez(handle, **arrays)
    json_tmp.write_text(json.dumps(document, indent=1) + "\n", encoding="utf-8")
    os.replace(npz_tmp, path)
    os.replace(json_tmp, config_path(path))


def read_checkpoint(path: Union[str, os.PathLike]) -> tuple[Config, dict, Optional[dict], Optional[dict]]:
    """(config, params, optimizer state {"m", "v", "t"} or None, training dict or None),
    after checking that the two files belong together and match the config's shapes."""
    path = Path(path)
    _check_suffix(path)
    if not path.exists():
        raise FileNotFoundError(f"no checkpoint at {path}")
    meta_path = config_path(path)
    if not meta_path.exists():
        raise FileNotFoundError(f"{path} has no config beside it: expected {meta_path}")
    try:
        document = json.loads(meta_path.read_text(encoding="utf-8"))
    except ValueError as e:
        raise ValueError(f"{meta_path} is not valid JSON ({e})") from None
    if not isinstance(document, dict) or document.get("format") != FORMAT:
        raise ValueError(f"{meta_path} is not a tokkit.lm checkpoint config")
    config = Config.from_dict(document["config"])
    with np.load(path, allow_pickle=False) as archive:
        arrays = {name: archive[name] for name in archive.files}
    if json.loads(str(arrays.pop("config"))) != config.to_dict():
        raise ValueError(f"{path} and {meta_path} come from different saves (their configs differ); "
                         f"keep the pair that was written together")
    params = {name[len("param/"):]: a for name, a in arrays.items() if name.startswith("param/")}
    _check_shapes(path, config, params)
    optimizer = None
    if any(name.startswith("adam_m/") for name in arrays):
        optimizer = {"m": {name: arrays[f"adam_m/{name}"] for name in params},
                     "v": {name: arrays[f"adam_v/{name}"] for name in params},
                     "t": document["training"]["adam_t"]}
    return config, params, optimizer, document.get("training")


def _check_shapes(path: Path, config: Config, params: dict) -> None:
    expected = parameter_shapes(config)
    missing = [name for name in expected if name not in params]
    extra = [name for name in params if name not in expected]
    if missing or extra:
        raise ValueError(f"{path} does not fit its config: missing {missing[:3]}, unexpected {extra[:3]}")
    for name, shape in expected.items():
        if params[name].shape != shape:
            raise ValueError(f"{path} does not fit its config: {name} is {params[name].shape} in the file "
                             f"but {shape} by the config")
        if params[name].dtype != np.dtype(config.dtype):
            raise ValueError(f"{path} does not fit its config: {name} is {params[name].dtype}, config says {config.dtype}")


def load_model(path: Union[str, os.PathLike]) -> Transformer:
    """The model saved at ``path`` (a checkpoint from ``save_checkpoint`` or ``train``)."""
    config, params, _, _ = read_checkpoint(path)
    return Transformer(config, params=params)

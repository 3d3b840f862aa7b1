"""The ONNX Runtime encoder against the PyTorch reference, with the real all-MiniLM-L6-v2.

The model is exported once per session into a temporary cache (about 10-25 s on 2 cores).
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from newsrag.index.embed import EmbeddingModelError, TorchEncoder, packaged_model_path
from newsrag.index.onnx_encoder import OnnxEncoder, cache_folder, length_batches, read_folder_config

NEWS_SENTENCES = [
    "Netflix announced Sunday that the wildly popular South Korean show is green lit for a second season.",
    "Iran has supplied Russia with drones, according to US officials, although Tehran denies it.",
    "The Bank of Japan kept its benchmark interest rate unchanged on Tuesday.",
    "Wildfires forced thousands of residents to evacuate as strong winds pushed the flames toward the town.",
    "Shares fell sharply after the company cut its profit forecast, citing weaker demand in China.",
    "The senator said the bill would lower prescription drug prices for millions of older Americans.",
]


@pytest.fixture(scope="session")
def model_path() -> Path:
    return packaged_model_path()


@pytest.fixture(scope="session")
def onnx_cache(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("onnx-cache")


@pytest.fixture(scope="session")
def fp32(model_path, onnx_cache) -> OnnxEncoder:
    return OnnxEncoder(model_path, cache_dir=onnx_cache, quantize=False, threads=2)


@pytest.fixture(scope="session")
def int8(model_path, onnx_cache, fp32) -> OnnxEncoder:  # after fp32: quantizes the cached export
    return OnnxEncoder(model_path, cache_dir=onnx_cache, quantize=True, threads=2)


@pytest.fixture(scope="session")
def torch_encoder(model_path) -> TorchEncoder:
    return TorchEncoder(model_path)


@pytest.mark.parametrize("name", ["fp32", "int8"])
def test_unit_vectors_of_the_model_dimension(request, name):
    enc = request.getfixturevalue(name)
    vectors = enc.encode(NEWS_SENTENCES)
    assert vectors.shape == (len(NEWS_SENTENCES), enc.dimension) == (6, 384)
    assert vectors.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    assert enc.encode([]).shape == (0, 384)


@pytest.mark.parametrize(("name", "floor"), [("fp32", 0.999), ("int8", 0.98)])
def test_close_to_torch(request, torch_encoder, name, floor):
    reference = torch_encoder.encode(NEWS_SENTENCES)
    cosine = (request.getfixturevalue(name).encode(NEWS_SENTENCES) * reference).sum(axis=1)
    assert cosine.min() >= floor, cosine


def test_long_text_truncated_like_torch(fp32, torch_encoder):
    long_text = " ".join(NEWS_SENTENCES * 20)  # ~400 words, over the 256-token limit
    assert fp32.count_tokens([long_text])[0] > fp32.max_tokens
    cosine = float(fp32.encode([long_text])[0] @ torch_encoder.encode([long_text])[0])
    assert cosine >= 0.999


def test_order_kept_across_length_sorted_batches(fp32):
    texts = ["Short.", NEWS_SENTENCES[0] * 3, "A bit longer text here.", NEWS_SENTENCES[1], "x", NEWS_SENTENCES[2] * 2]
    together = fp32.encode(texts, batch_size=2)
    alone = np.vstack([fp32.encode([text]) for text in texts])
    np.testing.assert_allclose(together, alone, atol=1e-4)


def test_length_batches_group_neighbours():
    batches = length_batches([5, 1, 9, 2, 8, 1], batch_size=2)
    assert [sorted(b.tolist()) for b in batches] == [[1, 5], [0, 3], [2, 4]]


def test_token_counts_match_torch(fp32, torch_encoder):
    texts = [*NEWS_SENTENCES, "", " ".join(NEWS_SENTENCES * 10)]
    assert fp32.count_tokens(texts) == torch_encoder.count_tokens(texts)
    assert fp32.count_tokens([]) == []


def test_identity_and_limits(fp32, int8, torch_encoder):
    assert len({fp32.identity, int8.identity, torch_encoder.identity}) == 3
    assert fp32.identity.endswith("/onnx") and int8.identity.endswith("/onnx-int8")
    assert fp32.dimension == int8.dimension == torch_encoder.dimension
    assert fp32.max_tokens == int8.max_tokens == torch_encoder.max_tokens == 256


def test_cache_reused_without_reexport(model_path, onnx_cache, fp32, int8):
    folder = cache_folder(model_path, onnx_cache)
    files = {path.name: path.stat().st_mtime_ns for path in folder.iterdir()}
    assert files.keys() == {"model.onnx", "model-int8.onnx"}  # no temp files left behind
    assert fp32.onnx_path.parent == int8.onnx_path.parent == folder
    OnnxEncoder(model_path, cache_dir=onnx_cache, quantize=True, threads=1)
    OnnxEncoder(model_path, cache_dir=onnx_cache, quantize=False, threads=1)
    assert {path.name: path.stat().st_mtime_ns for path in folder.iterdir()} == files


def _copy_configs(model_path: Path, target: Path) -> Path:
    """The folder's configuration files only (no weights): enough for read_folder_config."""
    for name in ("modules.json", "config.json", "sentence_bert_config.json"):
        shutil.copy(model_path / name, target / name)
    (target / "1_Pooling").mkdir()
    shutil.copy(model_path / "1_Pooling" / "config.json", target / "1_Pooling" / "config.json")
    return target


def test_folder_config_read(model_path, tmp_path):
    config = read_folder_config(_copy_configs(model_path, tmp_path))
    assert (config.pooling, config.dimension, config.max_tokens) == ("mean", 384, 256)


def test_unsupported_pooling_refused(model_path, tmp_path):
    folder = _copy_configs(model_path, tmp_path)
    pooling = folder / "1_Pooling" / "config.json"
    config = json.loads(pooling.read_text())
    pooling.write_text(json.dumps({**config, "pooling_mode_mean_tokens": False, "pooling_mode_weightedmean_tokens": True}))
    with pytest.raises(EmbeddingModelError, match="pooling"):
        read_folder_config(folder)


def test_extra_module_refused(model_path, tmp_path):
    folder = _copy_configs(model_path, tmp_path)
    modules = json.loads((folder / "modules.json").read_text())
    modules.insert(2, {"idx": 2, "name": "2", "path": "2_Dense", "type": "sentence_transformers.models.Dense"})
    (folder / "modules.json").write_text(json.dumps(modules))
    with pytest.raises(EmbeddingModelError, match="not supported"):
        read_folder_config(folder)


def test_export_leaves_the_root_logger_as_it_was():
    """onnxruntime calls logging.basicConfig on the way; after that bm25s's debug lines reached users."""
    import logging

    from newsrag.index.onnx_encoder import _quiet_root_logger

    root = logging.getLogger()
    before = (root.level, list(root.handlers))
    with _quiet_root_logger():
        root.addHandler(logging.StreamHandler())  # what basicConfig does on a bare root logger
        root.setLevel(logging.INFO)
    assert (root.level, list(root.handlers)) == before

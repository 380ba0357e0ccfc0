"""Peer: the server a Python user would write for an RNNKit classifier — FastAPI + uvicorn + PyTorch.

    RNNKIT_MODEL=movie.safetensors python -m uvicorn serve_fastapi:app --app-dir Benchmarks/peers \
        --host 127.0.0.1 --port 8090 --workers 2 --no-access-log

It loads our safetensors file as the README's "From and to PyTorch" says (weights with
`safetensors.torch.load_file`, `rnnkit.config`, `rnnkit.vocabulary`, `rnnkit.labels` from the
metadata; the module and the tokenizer port are those of scripts/check-pytorch.py), and answers what
`rnn serve` answers: GET /healthz, and POST /v1/models/NAME:predict with {"instances": ["text", …]}
→ {"predictions": [{"label": …, "probabilities": {label: p, …}}, …]}; a text with no known word
fails the request with 400 {"error": …}. Deployment, as a Python user would choose it: uvicorn
with one worker process per core, `torch.inference_mode()`, and one torch thread per worker (the
workers already fill the cores; torch's default of one thread per core in every worker would
oversubscribe them). The endpoint is `async def`: a plain `def` (run on FastAPI's thread pool)
answered 2.2k requests/s against 3.1k here, the hand-off costing more than the short inference.
Each text runs through the network on its own (batch of one), as `rnn serve` does.
"""
import importlib.util
import json
import os

import torch
from fastapi import FastAPI
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from safetensors import safe_open
from safetensors.torch import load_file

ROOT = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))


def check_pytorch():
    """scripts/check-pytorch.py as a module: its RNNKit tokenizer port and its `Classifier`."""
    spec = importlib.util.spec_from_file_location("check_pytorch", os.path.join(ROOT, "scripts", "check-pytorch.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def load(path):
    """(model, tokenizer, word ids, <unk> id or None, labels) from an RNNKit classifier file."""
    port = check_pytorch()
    with safe_open(path, framework="pt") as f:
        metadata = f.metadata() or {}
    config = json.loads(metadata["rnnkit.config"])
    vocabulary = json.loads(metadata["rnnkit.vocabulary"])
    labels = json.loads(metadata["rnnkit.labels"])
    model = port.Classifier(config)
    model.load_state_dict(load_file(path), strict=True)
    ids = {w: i for i, w in enumerate(vocabulary)}
    return model.eval(), port.Tokenizer(config.get("tokenizer", "spaces")), ids, ids.get("<unk>"), labels


torch.set_num_threads(1)
MODEL, TOKENIZER, IDS, UNK, LABELS = load(os.environ["RNNKIT_MODEL"])
app = FastAPI()


class PredictRequest(BaseModel):
    instances: list[str]


@app.get("/healthz")
async def healthz():
    return {"status": "ok"}


@app.post("/v1/models/{name}:predict")
async def predict(name: str, request: PredictRequest):
    predictions = []
    for k, text in enumerate(request.instances):
        encoded = [IDS.get(t, UNK) for t in TOKENIZER.tokens(text) or []]
        encoded = [i for i in encoded if i is not None]
        if not encoded:
            return JSONResponse({"error": f"instance {k + 1}: no word of {text!r} is in the model's vocabulary."},
                                status_code=400)
        with torch.inference_mode():
            p = torch.softmax(MODEL(torch.tensor([encoded])), dim=1)[0].tolist()
        best = max(range(len(p)), key=p.__getitem__)
        predictions.append({"label": LABELS[best], "probabilities": dict(zip(LABELS, p))})
    return {"predictions": predictions}

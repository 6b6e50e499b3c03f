#!/usr/bin/env python3
"""ddpm-wasm's network and samplers in PyTorch, reading and writing ddpm-wasm's model files.

What it is: the same eps_theta(x_t, t) as src/engine (sinusoidal embeddings of each coordinate and of t - 1, an
MLP with residual blocks, PyTorch nn.Linear names and [out, in] layouts), Algorithm 1 (fine-tuning on L_simple)
and Algorithm 2 (sigma_t^2 = beta_t, beta-tilde_t or the learned Sigma_theta, through the clamped predicted x_0
exactly as the wasm sampler), and a safetensors reader and writer for ddpm-wasm's files: the tensor CRC-32 and
the metadata CRC-32 are checked on load and written on save, so a file saved here loads in `node dist/cli.js
sample --model` and in the browser lab.

What it is not: a second source of configuration. Schedules, data sets and run defaults live in the TypeScript
host; a model starts in ddpm-wasm (`node dist/cli.js train --steps 1 ...` for a fresh one) and its
configuration, betas and standardisation ride along in the file's `__metadata__`.

Only the standard library and torch: Debian's python3-torch brings no `safetensors` package.
The test that runs it against the wasm forward pass is test/io/torch.test.ts.

    from ddpm_torch import load_model, sample, save_model
    m = load_model("model.safetensors")          # m.net is an EpsModel; m.config, m.standardization, m.betas
    x = sample(m, 1000, seed=0)                  # (1000, dim) in data units
    save_model("again.safetensors", m)           # loads back in ddpm-wasm
"""
from __future__ import annotations

import argparse
import array
import copy
import json
import math
import os
import struct
import sys
import tempfile
import zlib
from dataclasses import dataclass, field

import torch
import torch.nn as nn

FORMAT = "ddpm-wasm"
FORMAT_VERSION = "1"

# safetensors dtype -> (array typecode or None for torch.frombuffer, torch dtype, bytes per element).
# U32 (the checkpoints' random-number states) has no torch dtype in older releases: it is widened to int64.
_DTYPES = {
    "F64": ("d", torch.float64, 8),
    "F32": ("f", torch.float32, 4),
    "F16": (None, torch.float16, 2),
    "BF16": (None, torch.bfloat16, 2),
    "I64": ("q", torch.int64, 8),
    "I32": ("i", torch.int32, 4),
    "U32": ("I", torch.int64, 4),
    "I16": ("h", torch.int16, 2),
    "I8": ("b", torch.int8, 1),
    "U8": ("B", torch.uint8, 1),
    "BOOL": (None, torch.bool, 1),
}
_TORCH_TO_ST = {torch.float64: "F64", torch.float32: "F32", torch.float16: "F16", torch.bfloat16: "BF16",
                torch.int64: "I64", torch.int32: "I32", torch.int16: "I16", torch.int8: "I8", torch.uint8: "U8",
                torch.bool: "BOOL"}


class FormatError(Exception):
    """A file that is not a valid ddpm-wasm model (one line, naming the file)."""


# ---------------------------------------------------------------------------------------------------
# The network


def embedding_frequencies(embed_size: int) -> torch.Tensor:
    """f_k = 10000^(-k/(half-1)), in float64 then rounded once (src/engine/model.ts embeddingFrequencies)."""
    half = embed_size // 2
    step = math.log(10000) / (half - 1) if half > 1 else 0.0
    return torch.tensor([math.exp(-step * k) for k in range(half)], dtype=torch.float64).to(torch.float32)


class EpsModel(nn.Module):
    """eps_theta(x_t, t) of src/engine/model.ts. Keyword names are the file's `config.model` keys.

    inp = [emb(x_0 s) | ... | emb(x_{d-1} s) | emb(t - 1)]; h_0 = act(inp W^T + b);
    h_k = h_{k-1} + act(h_{k-1} W_k^T + b_k); out = h_depth W_out^T + b_out, (n, dim), or (n, 2 dim) with
    learnSigma: [eps | v], Sigma = exp(v log beta_t + (1 - v) log beta-tilde_t).
    """

    def __init__(self, dim, embedSize, width, depth, activation, inputEmbedding, inputScale, learnSigma=False):
        super().__init__()
        if embedSize % 2:
            raise ValueError(f"embedSize must be even, got {embedSize}")
        self.dim, self.embed_size, self.input_embedding, self.learn_sigma = dim, embedSize, bool(inputEmbedding), bool(learnSigma)
        # The wasm kernel receives the scale as an f32 and multiplies in f32: (scale x) f_k, each product rounded.
        self.register_buffer("scale", torch.tensor(inputScale, dtype=torch.float32), persistent=False)
        self.register_buffer("freqs", embedding_frequencies(embedSize), persistent=False)
        in_dim = (embedSize * dim if inputEmbedding else dim) + embedSize
        self.inp = nn.Linear(in_dim, width)
        self.blocks = nn.ModuleList(nn.Linear(width, width) for _ in range(depth))
        self.out = nn.Linear(width, 2 * dim if learnSigma else dim)
        acts = {"gelu": lambda: nn.GELU(approximate="tanh"), "silu": nn.SiLU, "relu": nn.ReLU}
        if activation not in acts:
            raise ValueError(f'unknown activation "{activation}"; choose one of {", ".join(acts)}')
        self.act = acts[activation]()

    def emb(self, v: torch.Tensor, scale: torch.Tensor | None = None) -> torch.Tensor:
        """(n,) -> (n, embedSize): [sin(a_k) | cos(a_k)], a_k = (scale v) f_k."""
        s = v if scale is None else v * scale
        a = s[:, None] * self.freqs[None]
        return torch.cat([torch.sin(a), torch.cos(a)], -1)

    def forward(self, x: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
        """x: (n, dim) standardised units; t: (n,) integers in 1..T. Returns (n, dim) eps (or (n, 2 dim))."""
        x = x.to(torch.float32)
        xs = [self.emb(x[:, j], self.scale) for j in range(self.dim)] if self.input_embedding else [x]
        h = self.act(self.inp(torch.cat(xs + [self.emb((t - 1).to(torch.float32))], -1)))
        for b in self.blocks:
            h = h + self.act(b(h))
        return self.out(h)


# ---------------------------------------------------------------------------------------------------
# safetensors, with the standard library


def read_safetensors(path: str, raw_bytes: dict | None = None) -> tuple[dict[str, torch.Tensor], dict[str, str]]:
    """Tensors (little-endian on disk, copied into torch) and the `__metadata__` strings of a .safetensors file.
    With `raw_bytes` (a dict) each tensor's bytes as stored are put there too (checksums are over those)."""
    with open(path, "rb") as f:
        raw = f.read()
    if len(raw) < 8:
        raise FormatError(f"{path}: {len(raw)} bytes is too short for a safetensors file")
    (n,) = struct.unpack("<Q", raw[:8])
    if 8 + n > len(raw):
        raise FormatError(f"{path}: declared header length {n} runs past the end of the {len(raw)}-byte file")
    try:
        header = json.loads(raw[8:8 + n].decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise FormatError(f"{path}: header is not UTF-8 JSON") from None
    if not isinstance(header, dict):
        raise FormatError(f"{path}: header is not a JSON object")
    metadata = header.pop("__metadata__", {}) or {}
    if not isinstance(metadata, dict) or not all(isinstance(v, str) for v in metadata.values()):
        raise FormatError(f'{path}: "__metadata__" is not an object of strings')
    data = memoryview(raw)[8 + n:]
    tensors = {}
    for name, e in header.items():
        if not isinstance(e, dict) or e.get("dtype") not in _DTYPES:
            raise FormatError(f'{path}: tensor "{name}" has an unknown dtype {e.get("dtype") if isinstance(e, dict) else e!r}')
        code, dtype, size = _DTYPES[e["dtype"]]
        shape, offsets = e.get("shape"), e.get("data_offsets")
        if not (isinstance(shape, list) and all(isinstance(v, int) and v >= 0 for v in shape)
                and isinstance(offsets, list) and len(offsets) == 2 and all(isinstance(v, int) and v >= 0 for v in offsets)):
            raise FormatError(f'{path}: tensor "{name}" has no valid shape and data_offsets')
        begin, end = offsets
        count = math.prod(shape)
        if end - begin != count * size or end > len(data):
            raise FormatError(f'{path}: tensor "{name}" data_offsets [{begin}, {end}] do not fit shape {shape} of {e["dtype"]}')
        chunk = data[begin:end]
        if raw_bytes is not None:
            raw_bytes[name] = bytes(chunk)
        if code is None:  # half floats and bools: torch reads the bytes (host order, little-endian on every target)
            t = torch.frombuffer(bytearray(chunk), dtype=dtype) if count else torch.zeros(0, dtype=dtype)
        else:
            a = array.array(code)
            a.frombytes(chunk)
            if sys.byteorder != "little":
                a.byteswap()
            t = (torch.tensor(a.tolist(), dtype=dtype) if code == "I"
                 else (torch.frombuffer(a, dtype=dtype).clone() if count else torch.zeros(0, dtype=dtype)))
        tensors[name] = t.reshape(shape)
    return tensors, dict(metadata)


def tensor_bytes(t: torch.Tensor) -> bytes:
    """The little-endian bytes of a tensor, row-major."""
    st = _TORCH_TO_ST.get(t.dtype)
    if st is None:
        raise TypeError(f"no safetensors dtype for {t.dtype}")
    code = _DTYPES[st][0]
    t = t.detach().cpu().contiguous().reshape(-1)
    if code is None:
        return bytes(t.view(torch.uint8).tolist())  # half floats and bools: their bytes in host (little-endian) order
    a = array.array(code, t.tolist())
    if sys.byteorder != "little":
        a.byteswap()
    return a.tobytes()


def encode_safetensors(tensors: dict[str, torch.Tensor], metadata: dict[str, str] | None = None) -> bytes:
    """Sorted names, contiguous data, the header padded with spaces to 8 bytes: byte for byte what src/io/safetensors.ts writes."""
    names = sorted(tensors)
    header: dict = {}
    if metadata:
        header["__metadata__"] = {k: metadata[k] for k in sorted(metadata)}
    blobs, offset = [], 0
    for name in names:
        b = tensor_bytes(tensors[name])
        header[name] = {"dtype": _TORCH_TO_ST[tensors[name].dtype], "shape": list(tensors[name].shape),
                        "data_offsets": [offset, offset + len(b)]}
        blobs.append(b)
        offset += len(b)
    js = json.dumps(header, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
    js += b" " * (-len(js) % 8)
    return struct.pack("<Q", len(js)) + js + b"".join(blobs)


def write_atomic(path: str, data: bytes) -> None:
    """Write to a temporary name beside `path`, flush, then rename: never a half-written file."""
    d = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(dir=d, prefix=".ddpm-torch-", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def _crc(b: bytes) -> str:
    return f"{zlib.crc32(b) & 0xFFFFFFFF:08x}"


def tensors_checksum(tensors: dict[str, torch.Tensor]) -> str:
    """CRC-32 of the tensors' bytes in name order (src/io/checkpoint.ts checksum)."""
    return _crc(b"".join(tensor_bytes(tensors[n]) for n in sorted(tensors)))


def metadata_checksum(metadata: dict[str, str]) -> str:
    """CRC-32 of JSON.stringify([[key, value], ...]) over every key but this one, in key order."""
    entries = [[k, metadata[k]] for k in sorted(metadata) if k != "metadata_checksum"]
    return _crc(json.dumps(entries, separators=(",", ":"), ensure_ascii=False).encode("utf-8"))


# ---------------------------------------------------------------------------------------------------
# Model files


@dataclass
class Model:
    """A ddpm-wasm model in PyTorch: the network and everything its file carries besides the weights."""
    net: EpsModel
    config: dict  # the run configuration (RunConfig of src/diffusion/config.ts)
    standardization: dict  # {"mean": [...], "std": [...]}: x_data = z * std + mean
    betas: torch.Tensor  # (T,) float64
    step: int = 0
    extra: dict = field(default_factory=dict)  # metadata passed through unchanged (a learned schedule's state)


def load_model(path: str) -> Model:
    """A model file or training checkpoint written by ddpm-wasm (or by save_model): checksums checked, EMA weights loaded."""
    raw: dict[str, bytes] = {}
    tensors, meta = read_safetensors(path, raw)
    if meta.get("format") != FORMAT:
        raise FormatError(f'{path} is a safetensors file but not a ddpm-wasm model (no format "{FORMAT}" in its metadata)')
    if meta.get("format_version") != FORMAT_VERSION:
        raise FormatError(f"{path} has format version {meta.get('format_version')}; this module reads version {FORMAT_VERSION}")
    if meta.get("checksum") != _crc(b"".join(raw[n] for n in sorted(raw))):
        raise FormatError(f"{path} is corrupt: its checksum does not match its tensors")
    if "metadata_checksum" in meta and meta["metadata_checksum"] != metadata_checksum(meta):
        raise FormatError(f"{path} is corrupt: its metadata checksum does not match its metadata")
    try:
        config, std, betas = json.loads(meta["config"]), json.loads(meta["standardization"]), json.loads(meta["betas"])
    except (KeyError, json.JSONDecodeError) as e:
        raise FormatError(f"{path}: metadata config, standardization or betas is missing or not JSON ({e})") from None
    try:
        net = EpsModel(**config["model"])
    except (KeyError, TypeError, ValueError) as e:
        raise FormatError(f"{path}: metadata config has no valid model configuration ({e})") from None
    weights = {k: v for k, v in tensors.items() if not k.startswith("train.")}
    try:
        net.load_state_dict(weights)
    except RuntimeError as e:
        raise FormatError(f"{path}: tensors do not fit the configured network: {str(e).splitlines()[0]}") from None
    extra = {k: meta[k] for k in ("learned_schedule",) if k in meta}
    return Model(net, config, std, torch.tensor(betas, dtype=torch.float64), int(meta.get("step", "0")), extra)


def save_model(path: str, m: Model, **metadata: str) -> None:
    """A ddpm-wasm model file (kind "model", weights under their nn.Linear names) with both checksums; written atomically.

    The weights written are `m.net`'s as they are (ddpm-wasm samples the file's weights: save an EMA if you keep one).
    Extra keyword strings land in `__metadata__` too (covered by the metadata checksum).
    """
    tensors = {k: v.detach().to(torch.float32).contiguous() for k, v in m.net.state_dict().items()}
    if not all(torch.isfinite(v).all() for v in tensors.values()):
        raise ValueError("refusing to save non-finite weights")
    meta = {
        "format": FORMAT, "format_version": FORMAT_VERSION, "kind": "model", "weights": "ema", "step": str(int(m.step)),
        "config": json.dumps(m.config, separators=(",", ":")),
        "standardization": json.dumps(m.standardization, separators=(",", ":")),
        "betas": json.dumps([float(b) for b in m.betas.tolist()], separators=(",", ":")),
        "timestep_input": "the time embedding takes t - 1 for t = 1..T",
        "written_by": f"python/ddpm_torch.py (PyTorch {torch.__version__})",
        **m.extra, **metadata,
        "checksum": tensors_checksum(tensors),
    }
    meta["metadata_checksum"] = metadata_checksum(meta)
    write_atomic(path, encode_safetensors(tensors, meta))


# ---------------------------------------------------------------------------------------------------
# Schedule tables, Algorithm 2 and Algorithm 1


def schedule_tables(betas: torch.Tensor) -> dict[str, torch.Tensor]:
    """Per-timestep tables in float64 from beta_t (src/schedule/schedule.ts scheduleFromBetas), index i = t - 1."""
    alpha = 1 - betas
    abar = torch.cumprod(alpha, 0)
    abar_prev = torch.cat([torch.ones(1, dtype=abar.dtype), abar[:-1]])
    return {
        "beta": betas, "alpha": alpha, "abar": abar, "abar_prev": abar_prev,
        "posterior_variance": (1 - abar_prev) / (1 - abar) * betas,
        "coef_x0": betas * abar_prev.sqrt() / (1 - abar), "coef_xt": (1 - abar_prev) * alpha.sqrt() / (1 - abar),
    }


def standardize(m: Model, x: torch.Tensor) -> torch.Tensor:
    mean, std = torch.tensor(m.standardization["mean"], dtype=torch.float64), torch.tensor(m.standardization["std"], dtype=torch.float64)
    return ((x.to(torch.float64) - mean) / std).to(torch.float32)


def unstandardize(m: Model, z: torch.Tensor) -> torch.Tensor:
    mean, std = torch.tensor(m.standardization["mean"], dtype=torch.float64), torch.tensor(m.standardization["std"], dtype=torch.float64)
    return (z.to(torch.float64) * std + mean).to(torch.float32)


@torch.no_grad()
def sample(m: Model, n: int, seed: int = 0, variance: str | None = None, clip_x0: float | None = None,
           standardized: bool = False, noise: torch.Tensor | None = None) -> torch.Tensor:
    """Algorithm 2 for n points: x_T ~ N(0, I), then for t = T..1
        x0_hat  = clamp((x_t - sqrt(1 - abar_t) eps) / sqrt(abar_t), -clip, clip)     (clip = 0: no clamp)
        x_{t-1} = coef_x0 x0_hat + coef_xt x_t + sigma_t z,   z ~ N(0, I), no noise at t = 1
    which without the clamp is (x_t - beta_t / sqrt(1 - abar_t) eps) / sqrt(alpha_t) + sigma_t z; sigma_t^2 = beta_t,
    beta-tilde_t, or for a learned variance exp(v log beta_t + (1 - v) log beta-tilde_t). The same distribution as
    ddpm-wasm's sampler, not the same draws (torch's generator, not xoshiro128**), unless `noise` (T, n, dim) gives
    them: noise[0] is x_T, noise[k] the z of the k-th noisy step (t = T, T-1, .., 2), the order ddpm-wasm draws them in.
    Data units unless `standardized`.
    """
    c, d = m.config, m.config["model"]["dim"]
    learned = bool(c["model"].get("learnSigma"))
    variance = variance or ("learned" if learned else c.get("variance", "beta"))
    if learned != (variance == "learned"):
        raise ValueError(f"variance {variance} does not fit this model (learnSigma {learned})")
    if variance not in ("beta", "posterior", "learned"):
        raise ValueError(f'unknown variance "{variance}"; choose beta or posterior')
    clip = c.get("clipX0", 0) if clip_x0 is None else clip_x0
    s, T = schedule_tables(m.betas), len(m.betas)
    if noise is not None and tuple(noise.shape) != (T, n, d):
        raise ValueError(f"noise has shape {tuple(noise.shape)}, expected (T, n, dim) = ({T}, {n}, {d})")
    g = torch.Generator().manual_seed(seed)
    draws = iter(noise.to(torch.float32)) if noise is not None else None
    draw = (lambda: next(draws)) if draws else (lambda: torch.randn(n, d, generator=g))
    m.net.eval()
    x = draw()
    for i in range(T - 1, -1, -1):
        out = m.net(x, torch.full((n,), i + 1, dtype=torch.int64)).to(torch.float64)
        eps, xt = out[:, :d], x.to(torch.float64)
        ab = s["abar"][i]
        if clip > 0:
            x0 = ((xt - (1 - ab).sqrt() * eps) / ab.sqrt()).clamp(-clip, clip)
            mean = s["coef_x0"][i] * x0 + s["coef_xt"][i] * xt
        else:
            mean = (xt - s["beta"][i] / (1 - ab).sqrt() * eps) / s["alpha"][i].sqrt()
        if i > 0:
            z = draw().to(torch.float64)
            if variance == "learned":
                v = out[:, d:]
                sigma = torch.exp(0.5 * (v * s["beta"][i].log() + (1 - v) * s["posterior_variance"][i].log()))
            else:
                sigma = (s["beta"][i] if variance == "beta" else s["posterior_variance"][i]).sqrt()
            mean = mean + sigma * z
        x = mean.to(torch.float32)
    return x if standardized else unstandardize(m, x)


def train(m: Model, data: torch.Tensor, steps: int, lr: float, batch: int | None = None, seed: int = 0,
          ema_decay: float | None = None, log=None) -> list[float]:
    """Algorithm 1 in PyTorch on `data` (data units, standardised with the model's own statistics): AdamW on
    ||eps - eps_theta(sqrt(abar_t) x_0 + sqrt(1 - abar_t) eps, t)||^2, then m.net holds the EMA of the weights
    (the weights ddpm-wasm samples with). L_simple only: a learned variance's hybrid objective stays in ddpm-wasm.
    """
    if m.config["model"].get("learnSigma"):
        raise ValueError("this model learned its variance; fine-tune it with ddpm-wasm (its hybrid objective is not ported)")
    c = m.config
    batch = batch or c["batch"]
    ema_decay = c["adam"]["emaDecay"] if ema_decay is None else ema_decay
    adam = c["adam"]
    z = standardize(m, data)
    s, T = schedule_tables(m.betas), len(m.betas)
    sab, s1ab = s["abar"].sqrt().to(torch.float32), (1 - s["abar"]).sqrt().to(torch.float32)
    g = torch.Generator().manual_seed(seed)
    net = m.net.train()
    ema = copy.deepcopy(net).eval()
    opt = torch.optim.AdamW(net.parameters(), lr=lr, betas=(adam["beta1"], adam["beta2"]), eps=adam["eps"],
                            weight_decay=adam["weightDecay"])
    losses = []
    for k in range(steps):
        idx = torch.randint(0, z.shape[0], (batch,), generator=g)
        t = torch.randint(1, T + 1, (batch,), generator=g)
        eps = torch.randn(batch, z.shape[1], generator=g)
        xt = sab[t - 1, None] * z[idx] + s1ab[t - 1, None] * eps
        loss = ((net(xt, t) - eps) ** 2).mean()
        opt.zero_grad()
        loss.backward()
        if adam.get("clip", 0) > 0:
            torch.nn.utils.clip_grad_norm_(net.parameters(), adam["clip"])
        opt.step()
        with torch.no_grad():
            for pe, p in zip(ema.parameters(), net.parameters()):
                pe.mul_(ema_decay).add_(p, alpha=1 - ema_decay)
        losses.append(loss.item())
        if log and (k + 1) % max(1, steps // 10) == 0:
            log(f"train {k + 1}/{steps} steps | loss {sum(losses[-50:]) / len(losses[-50:]):.4f}")
    m.net.load_state_dict(ema.state_dict())
    m.step += steps
    return losses


# ---------------------------------------------------------------------------------------------------
# CSV and the command line


def read_csv(path: str) -> tuple[list[str], torch.Tensor]:
    """A header row and numeric columns (float64)."""
    with open(path, encoding="utf-8-sig") as f:
        lines = [ln.strip() for ln in f if ln.strip()]
    if not lines:
        raise ValueError(f"{path} is empty")
    header = lines[0].split(",")
    rows = []
    for ln, text in enumerate(lines[1:], start=2):
        cells = text.split(",")
        if len(cells) != len(header):
            raise ValueError(f"{path}:{ln}: {len(cells)} cells, the header has {len(header)}")
        try:
            rows.append([float(v) for v in cells])
        except ValueError:
            raise ValueError(f"{path}:{ln}: not a number in {text!r}") from None
    return header, torch.tensor(rows, dtype=torch.float64).reshape(len(rows), len(header))


def csv_text(header: list[str], x: torch.Tensor) -> str:
    # repr of the float32 value widened to float64: shortest text that reads back to the same float32.
    return "\n".join([",".join(header)] + [",".join(repr(float(v)) for v in row) for row in x.tolist()]) + "\n"


def point_header(d: int) -> list[str]:
    return ["x", "y"] if d == 2 else [f"x{j}" for j in range(d)]


def _emit(text: str, out: str | None) -> None:
    if out:
        write_atomic(out, text.encode("utf-8"))
    else:
        sys.stdout.write(text)


def main(argv=None) -> int:
    p = argparse.ArgumentParser(prog="ddpm_torch.py",
                                description="ddpm-wasm models in PyTorch: eps_theta, Algorithm 2, fine-tuning, "
                                            "and files that load back in ddpm-wasm.",
                                epilog="Example: node dist/cli.js train --out run && "
                                       "python3 python/ddpm_torch.py sample --model run/model.safetensors --n 1000 --out s.csv")
    sub = p.add_subparsers(dest="command", required=True)
    i = sub.add_parser("info", help="print a model's configuration as JSON")
    i.add_argument("--model", required=True)
    e = sub.add_parser("eps", help="eps_theta(x, t) for the rows of a CSV with columns x.. (standardised units) then t (1..T)")
    e.add_argument("--model", required=True)
    e.add_argument("--input", required=True, metavar="FILE.csv")
    e.add_argument("--out", metavar="FILE.csv", help="default: stdout")
    s = sub.add_parser("sample", help="Algorithm 2: points in data units as CSV")
    s.add_argument("--model", required=True)
    s.add_argument("--n", type=int, default=1000)
    s.add_argument("--seed", type=int, default=0)
    s.add_argument("--variance", choices=["beta", "posterior"], help="default: the model's")
    s.add_argument("--clip-x0", type=float, help="clamp of the predicted x_0, standardised units, 0 = off (default: the model's)")
    s.add_argument("--standardized", action="store_true", help="print standardised units (what the network sees), not data units")
    s.add_argument("--noise", metavar="FILE.f32",
                   help="x_T and each step's z as T x n x dim little-endian float32 instead of --seed's draws")
    s.add_argument("--out", metavar="FILE.csv", help="default: stdout")
    t = sub.add_parser("train",
                       help="Algorithm 1 in PyTorch from a model file on a CSV of points (data units), saved in ddpm-wasm's layout")
    t.add_argument("--model", required=True, help="the starting point: its configuration, betas and standardisation are kept")
    t.add_argument("--data", required=True, metavar="FILE.csv", help="e.g. from `node dist/cli.js data --dataset moons --out moons.csv`")
    t.add_argument("--steps", type=int, default=1000)
    t.add_argument("--lr", type=float, default=1e-3)
    t.add_argument("--batch", type=int, help="default: the model's")
    t.add_argument("--seed", type=int, default=0)
    t.add_argument("--init", action="store_true", help="re-initialise the weights first (nn.Linear's default, seeded)")
    t.add_argument("--out", required=True, metavar="FILE.safetensors")
    r = sub.add_parser("resave", help="load into torch and save again (the writer's round trip)")
    r.add_argument("--model", required=True)
    r.add_argument("--out", required=True, metavar="FILE.safetensors")
    a = p.parse_args(argv)
    try:
        m = load_model(a.model)
        d = m.config["model"]["dim"]
        if a.command == "info":
            print(json.dumps({"config": m.config, "standardization": m.standardization, "T": len(m.betas), "step": m.step,
                              "parameters": sum(q.numel() for q in m.net.parameters())}, indent=2))
        elif a.command == "eps":
            header, rows = read_csv(a.input)
            if rows.shape[1] != d + 1:
                raise ValueError(f"{a.input} has {rows.shape[1]} columns; a {d}-D model takes {d} x columns and t")
            tt = rows[:, d]
            if not bool(((tt >= 1) & (tt <= len(m.betas)) & (tt == tt.round())).all()):
                raise ValueError(f"{a.input}: t must be integers in 1..{len(m.betas)}")
            with torch.no_grad():
                out = m.net.eval()(rows[:, :d].to(torch.float32), tt.to(torch.int64))
            names = [f"eps{j}" for j in range(d)] + ([f"v{j}" for j in range(d)] if out.shape[1] > d else [])
            _emit(csv_text(names, out), a.out)
        elif a.command == "sample":
            if a.n < 1:
                raise ValueError(f"--n must be at least 1, got {a.n}")
            noise = None
            if a.noise:
                buf = array.array("f")
                with open(a.noise, "rb") as f:
                    buf.frombytes(f.read())
                if sys.byteorder != "little":
                    buf.byteswap()
                if len(buf) != len(m.betas) * a.n * d:
                    raise ValueError(f"{a.noise} holds {len(buf)} floats; T x n x dim = {len(m.betas) * a.n * d}")
                noise = torch.frombuffer(buf, dtype=torch.float32).reshape(len(m.betas), a.n, d)
            x = sample(m, a.n, a.seed, a.variance, a.clip_x0, standardized=a.standardized, noise=noise)
            _emit(csv_text(point_header(d), x), a.out)
        elif a.command == "train":
            _, data = read_csv(a.data)
            if data.shape[1] != d:
                raise ValueError(f"{a.data} has {data.shape[1]} columns; the model takes {d}")
            if a.steps < 1:
                raise ValueError(f"--steps must be at least 1, got {a.steps}")
            if a.init:
                torch.manual_seed(a.seed)
                m.net = EpsModel(**m.config["model"])
                m.step = 0
            losses = train(m, data, a.steps, a.lr, a.batch, a.seed, log=lambda msg: print(msg, file=sys.stderr))
            save_model(a.out, m, trained_in="pytorch")
            print(f"trained {a.steps} steps in PyTorch (final loss {sum(losses[-50:]) / len(losses[-50:]):.4f}); model {a.out}",
                  file=sys.stderr)
        elif a.command == "resave":
            save_model(a.out, m)
    except (FormatError, ValueError, OSError) as err:
        print(f"error: {str(err).splitlines()[0]}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())

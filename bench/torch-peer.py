"""The PyTorch peer of `npm run bench`: the project's model (python/ddpm_torch.py's EpsModel, imported, never
redefined here) trained with the same step as Engine.trainStep and sampled with the same reverse step, timed
on the CPU. Run by bench/bench.mjs as a child process; prints one JSON object on stdout, progress on stderr.

One training step, as ours (src/engine.ts trainStep): draw the batch (data indices, t uniform, eps ~ N(0, I),
x_t = sqrt(abar_t) x_0 + sqrt(1 - abar_t) eps), forward, mean squared error against eps, backward, the global
gradient norm clipped to 1, AdamW (beta 0.9 / 0.999, eps 1e-8, weight decay 0, foreach), the EMA of the weights
(decay 0.999), and the loss read back as a Python float. Sampling: Algorithm 2 with the posterior variance and the
predicted x_0 clamped to [-3, 3] (Engine.sample's posteriorStep, clip 3), all points in one batch, no gradients.

Not here: the model (python/ddpm_torch.py), the data (bench.mjs hands over the standardised points as raw
float32), the ratios (bench.mjs computes them within its run).

usage: /usr/bin/python3 bench/torch-peer.py CONFIG.json [--serve]   (keys: data, model, T, batches, lr, threads,
       stat, samplePoints, sampleT, sampleSteps, reps)
--serve: build and warm a model per batch (and the sampler), print {"ready": true}, then answer one JSON request per
       stdin line on stdout: {"train": B, "reps": R, "inner": K, "warm": W} -> {"ms": ...}; {"sample": STEPS} -> {"seconds": ...}
       (scaled to sampleT); {"quit": true} ends. bench.mjs times ours and this peer turn by turn within a second of
       each other, so both see the same machine.
"""
import ctypes
import json
import math
import os
import statistics
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "python"))


def log(s):
    sys.stderr.write(s + "\n")
    sys.stderr.flush()


def blas_info():
    """Which BLAS torch loaded, and for OpenBLAS the kernel family it picked for this CPU (openblas_get_corename)."""
    libs = set()
    with open("/proc/self/maps") as f:
        for line in f:
            p = line.split()[-1]
            if "blas" in os.path.basename(p).lower() and p.endswith(tuple(".so" + s for s in ("", ".0", ".3"))) or "libopenblas" in p:
                libs.add(p)
    info = {"libraries": sorted(libs)}
    for p in sorted(libs):
        try:
            lib = ctypes.CDLL(p)
            lib.openblas_get_corename.restype = ctypes.c_char_p
            lib.openblas_get_config.restype = ctypes.c_char_p
            info["openblasCore"] = lib.openblas_get_corename().decode()
            info["openblasConfig"] = lib.openblas_get_config().decode().strip()
            break
        except (OSError, AttributeError):
            continue
    return info


def timed(fn, warm, reps, inner, stat):
    """Median (or least, stat == 'min') seconds per call over reps timed batches of inner calls, after warm calls."""
    for _ in range(warm):
        fn()
    ts = []
    for _ in range(reps):
        t0 = time.perf_counter()
        for _ in range(inner):
            fn()
        ts.append((time.perf_counter() - t0) / inner)
    return min(ts) if stat == "min" else statistics.median(ts)


def main():
    cfg = json.load(open(sys.argv[1]))
    import torch
    from ddpm_torch import EpsModel

    torch.set_num_threads(cfg.get("threads", 1))
    torch.manual_seed(0)
    m = cfg["model"]
    dim = m["dim"]
    raw = open(cfg["data"], "rb").read()
    data = torch.frombuffer(bytearray(raw), dtype=torch.float32).reshape(-1, dim)
    T = cfg["T"]
    betas = torch.linspace(1e-4, 0.02, T, dtype=torch.float64)  # makeSchedule('linear', T)
    abar = torch.cumprod(1 - betas, 0)
    sab, s1mab = abar.sqrt().float(), (1 - abar).sqrt().float()

    def new_model():
        net = EpsModel(dim, m["embedSize"], m["width"], m["depth"], m["activation"], m["inputEmbedding"], m["inputScale"])
        ema = [p.detach().clone() for p in net.parameters()]
        opt = torch.optim.AdamW(net.parameters(), lr=cfg["lr"], betas=(0.9, 0.999), eps=1e-8, weight_decay=0, foreach=True)
        return net, ema, opt

    out = {"torch": torch.__version__, "threads": torch.get_num_threads(), "blas": blas_info(),
           "python": sys.version.split()[0], "train": [], "sample": []}
    log(f"PyTorch {torch.__version__}, {torch.get_num_threads()} thread(s), OpenBLAS core {out['blas'].get('openblasCore', 'unknown')}")

    def make_step(B):
        net, ema, opt = new_model()
        params = list(net.parameters())
        state = {"step": 0}

        def step():
            idx = torch.randint(data.shape[0], (B,))
            t = torch.randint(T, (B,))
            eps = torch.randn(B, dim)
            xt = sab[t, None] * data[idx] + s1mab[t, None] * eps
            loss = torch.nn.functional.mse_loss(net(xt, t + 1), eps)  # EpsModel takes t in 1..T
            opt.zero_grad(set_to_none=True)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(params, 1.0)
            opt.step()
            state["step"] += 1
            d = min(0.999, (1 + state["step"]) / (10 + state["step"]))
            with torch.no_grad():
                torch._foreach_mul_(ema, d)
                torch._foreach_add_(ema, params, alpha=1 - d)
            return loss.item()

        return step

    def make_sampler():
        n, Ts, steps = cfg["samplePoints"], cfg["sampleT"], cfg["sampleSteps"]
        b = torch.linspace(1e-4, 0.02, Ts, dtype=torch.float64)
        a = 1 - b
        ab = torch.cumprod(a, 0)
        abp = torch.cat([torch.ones(1, dtype=torch.float64), ab[:-1]])
        c0 = (b * abp.sqrt() / (1 - ab)).float()          # posterior mean coefficient of x_0
        ct = ((1 - abp) * a.sqrt() / (1 - ab)).float()     # ... of x_t
        sig = (b * (1 - abp) / (1 - ab)).sqrt().float()    # beta-tilde_t
        r0, r1 = (1 / ab.sqrt()).float(), (-(1 / ab - 1).sqrt()).float()
        net, _, _ = new_model()

        def sample(count, k):
            with torch.no_grad():
                x = torch.randn(count, dim)
                for i in range(Ts - 1, Ts - 1 - k, -1):
                    tt = torch.full((count,), i + 1, dtype=torch.long)
                    e = net(x, tt)
                    x0 = (r0[i] * x + r1[i] * e).clamp_(-3, 3)
                    x = c0[i] * x0 + ct[i] * x
                    if i > 0:
                        x = x + sig[i] * torch.randn(count, dim)
            return x

        def timed_sample(k):
            """Seconds for n points over k reverse steps, scaled to all Ts steps (a step's cost does not depend on t)."""
            t0 = time.perf_counter()
            sample(n, k)
            return (time.perf_counter() - t0) * Ts / k

        sample(n, 3)
        return timed_sample

    warm = lambda B: max(60, round(16384 / B))
    if "--serve" in sys.argv:
        steps = {}
        for B in cfg["batches"]:
            steps[B] = make_step(B)
            for _ in range(warm(B)):
                steps[B]()
        sampler = make_sampler() if cfg.get("samplePoints") else None
        print(json.dumps({"ready": True, "torch": torch.__version__, "blas": out["blas"]}), flush=True)
        for line in sys.stdin:
            req = json.loads(line)
            if req.get("quit"):
                break
            if "train" in req:
                ms = timed(steps[req["train"]], warm=req.get("warm", 1), reps=req.get("reps", 3), inner=req.get("inner", 1),
                           stat=cfg.get("stat", "median")) * 1000
                print(json.dumps({"ms": ms}), flush=True)
            elif "sample" in req:
                print(json.dumps({"seconds": sampler(req["sample"])}), flush=True)
        return

    for B in cfg["batches"]:
        s = timed(make_step(B), warm=warm(B), reps=cfg.get("reps", 7), inner=max(1, round(256 / B) * 4), stat=cfg.get("stat", "median"))
        out["train"].append({"batch": B, "ms": s * 1000})
        log(f"PyTorch train step B={B}: {s * 1000:.3f} ms")

    if cfg.get("samplePoints"):
        n, Ts, steps = cfg["samplePoints"], cfg["sampleT"], cfg["sampleSteps"]
        s = make_sampler()(steps)
        out["sample"].append({"points": n, "T": Ts, "seconds": s, "stepsTimed": steps, "scaled": steps < Ts})
        log(f"PyTorch sample {n} points T={Ts}: {s:.2f} s" + (f" (scaled from {steps} steps)" if steps < Ts else ""))
    print(json.dumps(out))


if __name__ == "__main__":
    main()

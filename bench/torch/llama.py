"""PyTorch baseline for r1ts's bench models (bench/train-models.ts): the same Llama-style decoder
(RMSNorm, half-split RoPE, GQA attention, SwiGLU, untied head), written the way a PyTorch 1.13 user
would, trained with torch.optim.AdamW and sampled with a growing KV cache (torch.cat per step).

  python3 bench/torch/llama.py --mode train --model small   -> one JSON line: tokens/s, peak RSS
  python3 bench/torch/llama.py --mode generate --model medium
"""
import argparse
import json
import math
import os
import resource
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

MODELS = {
    "small": dict(vocab=32, dim=128, layers=4, heads=4, inter=344, max_seq=256, batch=(32, 64)),
    "medium": dict(vocab=32, dim=256, layers=6, heads=8, inter=688, max_seq=256, batch=(32, 128)),
}


class RMSNorm(nn.Module):
    def __init__(self, dim, eps=1e-6):
        super().__init__()
        self.eps = eps
        self.weight = nn.Parameter(torch.ones(dim))

    def forward(self, x):
        return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + self.eps) * self.weight


def rope_tables(head_dim, max_seq, theta=10000.0):
    freqs = theta ** (-torch.arange(0, head_dim, 2, dtype=torch.float64) / head_dim)
    angles = torch.arange(max_seq, dtype=torch.float64)[:, None] * freqs[None, :]
    return torch.cos(angles).float(), torch.sin(angles).float()


def apply_rope(x, cos, sin):
    # x [B, H, S, D], half-split pairs (i, i + D/2); cos/sin [S, D/2]
    a, b = x.chunk(2, dim=-1)
    return torch.cat([a * cos - b * sin, a * sin + b * cos], dim=-1)


class Attention(nn.Module):
    def __init__(self, dim, heads):
        super().__init__()
        self.heads = heads
        self.head_dim = dim // heads
        self.q_proj = nn.Linear(dim, dim, bias=False)
        self.k_proj = nn.Linear(dim, dim, bias=False)
        self.v_proj = nn.Linear(dim, dim, bias=False)
        self.o_proj = nn.Linear(dim, dim, bias=False)

    def forward(self, x, cos, sin, cache=None):
        b, s, _ = x.shape
        q = self.q_proj(x).view(b, s, self.heads, self.head_dim).transpose(1, 2)
        k = self.k_proj(x).view(b, s, self.heads, self.head_dim).transpose(1, 2)
        v = self.v_proj(x).view(b, s, self.heads, self.head_dim).transpose(1, 2)
        q, k = apply_rope(q, cos, sin), apply_rope(k, cos, sin)
        if cache is not None:
            if "k" in cache:
                k = torch.cat([cache["k"], k], dim=2)
                v = torch.cat([cache["v"], v], dim=2)
            cache["k"], cache["v"] = k, v
        t = k.shape[2]
        scores = q @ k.transpose(-1, -2) / math.sqrt(self.head_dim)
        if s > 1:
            mask = torch.full((s, t), float("-inf")).triu(t - s + 1)
            scores = scores + mask
        out = F.softmax(scores, dim=-1) @ v
        return self.o_proj(out.transpose(1, 2).reshape(b, s, -1))


class Block(nn.Module):
    def __init__(self, dim, heads, inter):
        super().__init__()
        self.input_layernorm = RMSNorm(dim)
        self.self_attn = Attention(dim, heads)
        self.post_attention_layernorm = RMSNorm(dim)
        self.gate_proj = nn.Linear(dim, inter, bias=False)
        self.up_proj = nn.Linear(dim, inter, bias=False)
        self.down_proj = nn.Linear(inter, dim, bias=False)

    def forward(self, x, cos, sin, cache=None):
        h = x + self.self_attn(self.input_layernorm(x), cos, sin, cache)
        n = self.post_attention_layernorm(h)
        return h + self.down_proj(F.silu(self.gate_proj(n)) * self.up_proj(n))


class Llama(nn.Module):
    def __init__(self, vocab, dim, layers, heads, inter, max_seq, **_):
        super().__init__()
        self.embed_tokens = nn.Embedding(vocab, dim)
        self.layers = nn.ModuleList([Block(dim, heads, inter) for _ in range(layers)])
        self.norm = RMSNorm(dim)
        self.lm_head = nn.Linear(dim, vocab, bias=False)
        cos, sin = rope_tables(dim // heads, max_seq)
        self.register_buffer("cos", cos)
        self.register_buffer("sin", sin)
        for p in self.parameters():
            if p.dim() >= 2:
                nn.init.normal_(p, std=0.02)

    def forward(self, tokens, start=0, caches=None):
        s = tokens.shape[1]
        cos, sin = self.cos[start:start + s], self.sin[start:start + s]
        h = self.embed_tokens(tokens)
        for i, layer in enumerate(self.layers):
            h = layer(h, cos, sin, None if caches is None else caches[i])
        return self.lm_head(self.norm(h))


def peak_rss_mib():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def train(spec, steps):
    model = Llama(**spec)
    opt = torch.optim.AdamW(model.parameters(), lr=1e-3)
    b, s = spec["batch"]
    g = torch.Generator().manual_seed(1)
    x = torch.randint(0, spec["vocab"], (b, s), generator=g)
    y = torch.randint(0, spec["vocab"], (b, s), generator=g)

    def step():
        loss = F.cross_entropy(model(x).reshape(-1, spec["vocab"]), y.reshape(-1))
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        return loss.item()

    step()  # warm-up
    t0 = time.perf_counter()
    for _ in range(steps):
        step()
    seconds = (time.perf_counter() - t0) / steps
    return {"tokensPerSecond": round(b * s / seconds), "secondsPerStep": round(seconds, 4)}


@torch.no_grad()
def generate(spec, rows, new_tokens):
    model = Llama(**spec).eval()
    g = torch.Generator().manual_seed(2)
    prompts = torch.randint(1, spec["vocab"], (rows, 8), generator=g)

    def run(prompts, n):
        caches = [dict() for _ in model.layers]
        logits = model(prompts, 0, caches)[:, -1]
        position = prompts.shape[1]
        out = []
        for i in range(n):
            nxt = torch.multinomial(F.softmax(logits, dim=-1), 1, generator=g)
            out.append(nxt)
            if i + 1 == n:
                break
            logits = model(nxt, position, caches)[:, -1]
            position += 1
        return torch.cat(out, dim=1)

    run(prompts[:8], 4)  # warm-up
    t0 = time.perf_counter()
    tokens = run(prompts, new_tokens)
    seconds = time.perf_counter() - t0
    return {"tokensPerSecond": round(tokens.numel() / seconds), "seconds": round(seconds, 3)}


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--mode", choices=["train", "generate"], required=True)
    p.add_argument("--model", choices=list(MODELS), required=True)
    p.add_argument("--steps", type=int, default=3)
    p.add_argument("--rows", type=int, default=128)
    p.add_argument("--threads", type=int, default=os.cpu_count() or 1, help="intra-op threads (default: the cores, as r1ts's ONNX backend)")
    a = p.parse_args()
    if a.threads > 0:
        torch.set_num_threads(a.threads)
    spec = MODELS[a.model]
    result = train(spec, a.steps) if a.mode == "train" else generate(spec, a.rows, 32)
    print(json.dumps({"bench": a.mode, "model": a.model, "framework": "pytorch", "torch": torch.__version__, "threads": torch.get_num_threads(), **result, "peakRssMiB": round(peak_rss_mib())}))


if __name__ == "__main__":
    main()

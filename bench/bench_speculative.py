"""Single-stream decode with and without speculative decoding, on SmolLM2-135M Q4_1, in the runner's engine.

    python3 bench/bench_speculative.py [--threads 2] [--tokens 160] [--repeat 5]

Two prompts: (a) free-form (a story: little for n-gram lookup to find) and (b) quoting (the model copies a
poem it was given twice, as in "repeat this text", an edit or a RAG answer quoting its source; the answer
ends at the blank line after the copy, where SmolLM2 would go on chatting). Each mode
runs the same greedy request in the same engine, interleaved with the others, --repeat times; the table
shows the median decode rate (generated tokens / time from the first token to the last) and its ratio
to "off" measured in the same rounds, the acceptance, and whether the tokens equal the plain run's.

Modes: off; ngram (prompt lookup); draft with a tiny random llama sharing SmolLM2's tokenizer (a poor
draft: shows what the adaptive budget costs when proposals fail); draft with SmolLM2 itself (every
proposal right, but a draft as big as the target cannot be faster: an upper bound on acceptance).

Where the output differs from the plain run, the first differing position is printed with both texts,
beside the same comparison for two plain runs that differ only in batch shape (a cold prompt vs. one from
the prefix cache), since llama.cpp's numerics can flip a near-tied greedy token either way.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT / "tests" / "runner"))

import llama_cpp as lc  # noqa: E402
from fixtures.quote import QUOTE  # noqa: E402
from fixtures.tiny_gguf import make_tiny_llama, smollm2_path  # noqa: E402
from runner_helpers import ListSink  # noqa: E402

from pollama.runner.draft import Drafter  # noqa: E402
from pollama.runner.engine import Completion, Engine  # noqa: E402
from pollama.runner.llama import ContextConfig, Model, common_prefix, make_context, setup_logging  # noqa: E402
from pollama.runner.sampling import Sampler, parse_options  # noqa: E402
from pollama.runner.speculate import parse_spec_options  # noqa: E402

N_CTX = 2048
PROMPTS = {  # name: (prompt, stop strings)
    "free-form": ("<|im_start|>user\nWrite a short story about a robot learning to paint.<|im_end|>\n"
                  "<|im_start|>assistant\n", []),
    "quoting": (QUOTE, ["\n\n"]),
}


class Bench:
    def __init__(self, model: Model, draft: Model | None, threads: int) -> None:
        self.model = model
        self.ctx = make_context(model, ContextConfig(N_CTX, 1, 512, threads))
        self.drafter = Drafter(draft, n_ctx=N_CTX, parallel=1, n_batch=512, threads=threads) if draft else None
        self.engine = Engine(model, self.ctx, n_ctx=N_CTX, parallel=1, n_batch=512, drafter=self.drafter)
        self.thread = self.engine.start()

    def run(self, prompt: str, stop: list[str], tokens: int, mode: str) -> dict[str, Any]:
        raw = {"temperature": 0, "num_predict": tokens, "speculative": mode, "draft_p_min": 0.5, "stop": stop}
        opts = parse_options(raw)
        toks = self.model.tokenize(prompt)
        sampler = Sampler(self.model.vocab, self.model.n_vocab, opts, N_CTX)
        sampler.accept_history(toks)
        sink = ListSink()
        self.engine.submit(Completion(tokens=toks, opts=opts, sampler=sampler, sink=sink, limit=tokens,
                                      spec=parse_spec_options(raw, self.drafter is not None)))
        assert sink.done.wait(600)
        done = sink.lines[-1]
        return {**done, "rate": done["eval_count"] / (done["eval_duration"] / 1e9)}

    def close(self) -> None:
        self.engine.stop()
        self.thread.join(10)
        lc.llama_free(self.ctx)
        if self.drafter is not None:
            self.drafter.close()


def first_difference(model: Model, a: list[int], b: list[int]) -> str:
    i = common_prefix(a, b)
    if i == len(a) == len(b):
        return "same"
    return f"differs at token {i}: {model.detokenize(a[i - 3:i + 3])!r} vs {model.detokenize(b[i - 3:i + 3])!r}"


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--tokens", type=int, default=160)
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args()
    setup_logging(False)
    target = Model(smollm2_path())
    with tempfile.TemporaryDirectory() as tmp:
        tiny = Model(make_tiny_llama(Path(tmp) / "draft.gguf", seed=1))
    benches = {"off": Bench(target, None, args.threads), "tiny draft": Bench(target, tiny, args.threads),
               "self draft": Bench(target, target, args.threads)}
    modes = [("off", "off"), ("ngram", "off"), ("draft", "tiny draft"), ("draft", "self draft")]
    print(f"SmolLM2-135M Q4_1, {args.threads} threads, {args.tokens} tokens, greedy, median of {args.repeat}")
    for name, (prompt, stop) in PROMPTS.items():
        cold = benches["off"].run(prompt, stop, args.tokens, "off")  # the first run evaluates the prompt cold
        rates: dict[str, list[float]] = {}
        ratios: dict[str, list[float]] = {}
        last: dict[str, dict[str, Any]] = {}
        for _ in range(args.repeat):
            base = None
            for mode, engine in modes:
                label = f"{mode} ({engine})" if mode == "draft" else mode
                r = benches[engine].run(prompt, stop, args.tokens, mode)
                base = base or r["rate"]
                rates.setdefault(label, []).append(r["rate"])
                ratios.setdefault(label, []).append(r["rate"] / base)
                last[label] = r
        plain = last["off"]["context"]
        print(f"\n({name}) plain, cold prompt vs. cached: {first_difference(target, cold['context'], plain)}")
        print(f"{'mode':<20} {'tok/s':>8} {'x off':>7} {'accepted':>14}  output vs. plain")
        for label, values in rates.items():
            r = last[label]
            acc = f"{r.get('draft_accepted_tokens', 0)}/{r.get('draft_tokens', 0)}" if "draft_tokens" in r else "-"
            print(f"{label:<20} {statistics.median(values):8.1f} {statistics.median(ratios[label]):7.2f} {acc:>14}  "
                  f"{first_difference(target, plain, r['context'])}")
    for b in benches.values():
        b.close()
    time.sleep(0.1)


if __name__ == "__main__":
    main()

"""Tokenizers of Hugging Face model directories, turned into llama.cpp's GGUF vocabulary.

Three sources, as llama.cpp's converter reads them:
- tokenizer.json with a byte-level BPE model -> tokenizer.ggml.model "gpt2" (tokens, merges, pre-tokenizer),
- tokenizer.model (SentencePiece protobuf, parsed here without the sentencepiece package) or a
  tokenizer.json BPE with byte fallback (SentencePiece converted by transformers) -> "llama",
- WordPiece (tokenizer.json or vocab.txt) -> "bert", with llama.cpp's phantom-space spelling.
Special token ids, add_bos/add_eos and the chat template come from tokenizer_config.json,
tokenizer.json's post-processor and config.json.
"""

from __future__ import annotations

import re
import struct
from dataclasses import dataclass, field
from hashlib import sha256
from pathlib import Path
from typing import Any

import gguf

from pollama.convert.base import ConvertError, read_json

__all__ = [
    "Vocab",
    "load_causal_vocab",
    "load_wordpiece_vocab",
    "detect_pre_tokenizer",
    "parse_sentencepiece",
    "write_vocab",
]

NORMAL = int(gguf.TokenType.NORMAL)
UNKNOWN = int(gguf.TokenType.UNKNOWN)
CONTROL = int(gguf.TokenType.CONTROL)
USER_DEFINED = int(gguf.TokenType.USER_DEFINED)
UNUSED = int(gguf.TokenType.UNUSED)
BYTE = int(gguf.TokenType.BYTE)

SPECIAL_TYPES = ("bos", "eos", "unk", "sep", "pad", "cls", "mask")

# Split regexes of known pre-tokenizers (llama.cpp's names). Llama 3 and Qwen 2 are spelled out;
# the DeepSeek ones are identified by the sha256 of their concatenated Split regexes, as Ollama does.
_LLAMA3_REGEX = (
    r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*"
    r"|\s*[\r\n]+|\s+(?!\S)|\s+"
)
_QWEN2_REGEX = (
    r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*"
    r"|\s*[\r\n]+|\s+(?!\S)|\s+"
)
_SPLIT_DIGESTS = {
    sha256(_LLAMA3_REGEX.encode()).hexdigest(): "llama-bpe",
    sha256(_QWEN2_REGEX.encode()).hexdigest(): "qwen2",
    "03df5c5863ad70781dcfdef491ead25140f895fe8010964be0daefe27be32b02": "deepseek-llm",
    "21cde974d587f0d54dc8d56b183cc1e6239600172035c68fbd6d4b9f8da0576e": "deepseek-coder",
}
_BYTE_TOKEN = re.compile(r"<0x[0-9A-Fa-f]{2}>")


@dataclass
class Vocab:
    """Everything tokenizer.* in the GGUF is written from."""

    model: str  # "gpt2" | "llama" | "bert"
    tokens: list[str]
    types: list[int]
    scores: list[float] | None = None
    merges: list[str] = field(default_factory=list)
    pre: str | None = None
    special: dict[str, int] = field(default_factory=dict)  # bos/eos/unk/sep/pad/cls/mask -> id
    add: dict[str, bool] = field(default_factory=dict)  # bos/eos/sep -> add it when tokenizing
    add_space_prefix: bool | None = None
    chat_templates: dict[str, str] = field(default_factory=dict)  # "default" and named extras

    def id_of(self, text: str) -> int | None:
        try:
            return self.tokens.index(text)
        except ValueError:
            return None


# ---------------------------------------------------------------------------------------------- helpers


def _load_optional(path: Path) -> Any:
    return read_json(path) if path.is_file() else None


def _tokenizer_json(src: Path) -> dict[str, Any] | None:
    data = _load_optional(src / "tokenizer.json")
    if data is not None and not isinstance(data, dict):
        raise ConvertError("tokenizer.json is not a JSON object")
    return data


def _added_tokens(tj: dict[str, Any] | None) -> list[dict[str, Any]]:
    added = (tj or {}).get("added_tokens") or []
    return [a for a in added if isinstance(a, dict) and isinstance(a.get("id"), int) and "content" in a]


def _looks_special(text: str) -> bool:
    return (text.startswith("<|") and text.endswith("|>")) or (text.startswith("<｜") and text.endswith("｜>"))


def _fit(tokens: dict[int, tuple[str, int]], n_vocab: int | None, what: str) -> tuple[list[str], list[int]]:
    """Dense token/type lists of length n_vocab (holes become [PADi], UNUSED as llama.cpp does)."""
    size = max(tokens) + 1 if tokens else 0
    if n_vocab is not None:
        if size > n_vocab:
            raise ConvertError(f"{what} has {size} tokens but the model's embedding has only {n_vocab} rows")
        size = n_vocab
    texts: list[str] = []
    types: list[int] = []
    for i in range(size):
        text, typ = tokens.get(i, (f"[PAD{i}]", UNUSED))
        texts.append(text)
        types.append(typ)
    return texts, types


def _merges(model: dict[str, Any]) -> list[str]:
    merges = model.get("merges") or []
    out: list[str] = []
    for m in merges:
        if isinstance(m, str):
            out.append(m)
        elif isinstance(m, list) and len(m) == 2 and all(isinstance(p, str) for p in m):
            # pairs may hold real spaces since transformers 4.45; encode them as llama.cpp does (U+0120)
            out.append(" ".join(p.replace(" ", "\u0120") for p in m))
        else:
            raise ConvertError("tokenizer.json has merges in an unknown format")
    return out


def detect_pre_tokenizer(tj: dict[str, Any]) -> str:
    """llama.cpp's pre-tokenizer name for a byte-level BPE tokenizer.json ("default" when unknown)."""
    pre = tj.get("pre_tokenizer") or {}
    parts = pre.get("pretokenizers") if pre.get("type") == "Sequence" else [pre]
    parts = [p for p in parts or [] if isinstance(p, dict)]
    regexes = [str(p.get("pattern", {}).get("Regex", "")) for p in parts if p.get("type") == "Split"]
    regexes = [r for r in regexes if r]
    if regexes:
        return _SPLIT_DIGESTS.get(sha256("".join(regexes).encode()).hexdigest(), "default")
    kinds = [p.get("type") for p in parts]
    byte_level = [p for p in parts if p.get("type") == "ByteLevel"]
    if byte_level and byte_level[0].get("use_regex", True):
        digits = [p for p in parts if p.get("type") == "Digits"]
        if digits and digits[0].get("individual_digits"):
            # one digit per piece, then GPT-2's regex: llama.cpp's "smollm" (same as "starcoder")
            return "smollm"
        if kinds == ["ByteLevel"]:
            return "gpt-2"
    return "default"


# ------------------------------------------------------------------------------------ special tokens


def _token_content(entry: Any) -> str | None:
    if isinstance(entry, str):
        return entry
    if isinstance(entry, dict) and isinstance(entry.get("content"), str):
        return entry["content"]
    return None


def _resolve_specials(src: Path, vocab: Vocab, tj: dict[str, Any] | None, config: dict[str, Any]) -> None:
    """Fill vocab.special / vocab.add the way gguf's SpecialVocab does for the common cases."""
    tc = _load_optional(src / "tokenizer_config.json")
    tc = tc if isinstance(tc, dict) else {}
    by_text = {a["content"]: a["id"] for a in _added_tokens(tj)}
    contents: dict[str, str] = {}
    for typ in SPECIAL_TYPES:
        content = _token_content(tc.get(f"{typ}_token"))
        if content is not None:
            contents[typ] = content
    smap = _load_optional(src / "special_tokens_map.json")
    if isinstance(smap, dict):
        for typ in SPECIAL_TYPES:
            content = _token_content(smap.get(f"{typ}_token"))
            if content is not None:
                contents.setdefault(typ, content)
    if "bos" not in contents and "cls" in contents:
        contents["bos"] = contents["cls"]
    if "eos" not in contents and "sep" in contents:
        contents["eos"] = contents["sep"]
    for typ, content in contents.items():
        tid = by_text.get(content)
        if tid is None:
            tid = vocab.id_of(content)
        if tid is not None and 0 <= tid < len(vocab.tokens):
            vocab.special[typ] = tid
    for typ in SPECIAL_TYPES:  # config.json fallback ({typ}_token_id, possibly a list for eos)
        value = config.get(f"{typ}_token_id")
        if isinstance(value, list) and value:
            value = value[0]
        if typ not in vocab.special and isinstance(value, int) and 0 <= value < len(vocab.tokens):
            vocab.special[typ] = value

    post = (tj or {}).get("post_processor") or {}
    processors = post.get("processors", [post]) if isinstance(post, dict) else []
    for proc in processors:
        if not isinstance(proc, dict):
            continue
        if proc.get("type") == "RobertaProcessing":
            vocab.add.update(bos=True, eos=True)
        elif proc.get("type") == "TemplateProcessing":
            single = [s for s in proc.get("single") or [] if isinstance(s, dict)]
            if len(single) > 1:
                first = single[0].get("SpecialToken", {}).get("id")
                last = single[-1].get("SpecialToken", {}).get("id")
                vocab.add["bos"] = first is not None and first in (contents.get("bos"), contents.get("cls"))
                if first is not None and "bos" not in vocab.special and first in by_text:
                    vocab.special["bos"] = by_text[first]
                if last is not None:
                    vocab.add["eos"] = last in (contents.get("eos"), contents.get("sep"))
    for typ in ("bos", "eos", "sep"):
        flag = tc.get(f"add_{typ}_token")
        if isinstance(flag, bool):
            vocab.add[typ] = flag

    template = tc.get("chat_template")
    if template is None:
        jinja = src / "chat_template.jinja"
        if jinja.is_file():
            template = jinja.read_text(encoding="utf-8")
        else:
            ct = _load_optional(src / "chat_template.json")
            template = ct.get("chat_template") if isinstance(ct, dict) else None
    if isinstance(template, str):
        vocab.chat_templates["default"] = template
    elif isinstance(template, list):
        for entry in template:
            if isinstance(entry, dict) and isinstance(entry.get("name"), str) and isinstance(
                entry.get("template"), str
            ):
                vocab.chat_templates[entry["name"]] = entry["template"]


# ------------------------------------------------------------------------------------------ sources


def _bpe_vocab(tj: dict[str, Any], n_vocab: int | None) -> Vocab:
    model = tj["model"]
    base = model.get("vocab")
    if not isinstance(base, dict):
        raise ConvertError("tokenizer.json BPE model has no vocab")
    tokens: dict[int, tuple[str, int]] = {int(i): (str(t), NORMAL) for t, i in base.items()}
    for a in _added_tokens(tj):
        text = str(a["content"])
        special = bool(a.get("special")) or _looks_special(text)
        tokens[a["id"]] = (text, CONTROL if special else USER_DEFINED)
    texts, types = _fit(tokens, n_vocab, "tokenizer.json")
    return Vocab("gpt2", texts, types, merges=_merges(model), pre=detect_pre_tokenizer(tj))


def _is_spm_bpe(tj: dict[str, Any]) -> bool:
    """A BPE tokenizer.json converted from SentencePiece (byte fallback, '▁' for spaces)."""
    model = tj.get("model") or {}
    return model.get("type") == "BPE" and bool(model.get("byte_fallback"))


def _spm_bpe_vocab(tj: dict[str, Any], n_vocab: int | None) -> Vocab:
    """SentencePiece-style vocab from a byte-fallback BPE tokenizer.json.

    llama.cpp's SPM tokenizer merges the adjacent pair whose result has the highest score, so
    scores are minus the rank of the merge that first produces a token (0 for non-merged tokens).
    """
    model = tj["model"]
    base = model.get("vocab")
    if not isinstance(base, dict):
        raise ConvertError("tokenizer.json BPE model has no vocab")
    rank: dict[str, int] = {}
    for r, m in enumerate(_merges(model)):
        left, _, right = m.partition(" ")
        rank.setdefault(left + right, r)
    unk = model.get("unk_token")
    tokens: dict[int, tuple[str, int]] = {}
    scores: dict[int, float] = {}
    for text, i in base.items():
        typ = BYTE if _BYTE_TOKEN.fullmatch(text) else UNKNOWN if text == unk else NORMAL
        tokens[int(i)] = (text, typ)
        scores[int(i)] = -float(rank[text]) if text in rank else 0.0
    for a in _added_tokens(tj):
        text = str(a["content"])
        if tokens.get(a["id"], ("", NORMAL))[1] == UNKNOWN:
            continue
        tokens[a["id"]] = (text, CONTROL if a.get("special") else USER_DEFINED)
        scores[a["id"]] = 0.0
    texts, types = _fit(tokens, n_vocab, "tokenizer.json")
    score_list = [scores.get(i, -1000.0) for i in range(len(texts))]
    return Vocab("llama", texts, types, scores=score_list, add_space_prefix=_metaspace_prefix(tj))


def _metaspace_prefix(tj: dict[str, Any]) -> bool:
    """Whether the tokenizer prepends '▁' to the input (Metaspace pre-tokenizer or Prepend normalizer)."""
    for key in ("pre_tokenizer", "normalizer"):
        node = tj.get(key) or {}
        nodes = node.get("pretokenizers") or node.get("normalizers") or [node]
        for n in nodes:
            if not isinstance(n, dict):
                continue
            if n.get("type") == "Metaspace":
                return n.get("prepend_scheme", "always") != "never" and bool(n.get("add_prefix_space", True))
            if n.get("type") == "Prepend":
                return True
    return False


# A tiny protobuf reader: just enough of sentencepiece's ModelProto.
def _varint(buf: bytes, pos: int) -> tuple[int, int]:
    result = shift = 0
    while True:
        if pos >= len(buf):
            raise ConvertError("tokenizer.model is truncated")
        b = buf[pos]
        pos += 1
        result |= (b & 0x7F) << shift
        if not b & 0x80:
            return result, pos
        shift += 7


def _fields(buf: bytes) -> list[tuple[int, int, Any]]:
    out: list[tuple[int, int, Any]] = []
    pos = 0
    while pos < len(buf):
        key, pos = _varint(buf, pos)
        num, wire = key >> 3, key & 7
        if wire == 0:
            value, pos = _varint(buf, pos)
        elif wire == 1:
            value, pos = buf[pos:pos + 8], pos + 8
        elif wire == 2:
            n, pos = _varint(buf, pos)
            value, pos = buf[pos:pos + n], pos + n
        elif wire == 5:
            value, pos = buf[pos:pos + 4], pos + 4
        else:
            raise ConvertError(f"tokenizer.model: unsupported protobuf wire type {wire}")
        if pos > len(buf):
            raise ConvertError("tokenizer.model is truncated")
        out.append((num, wire, value))
    return out


def parse_sentencepiece(data: bytes) -> tuple[list[tuple[str, float, int]], bool, int]:
    """(piece, score, type) list, normalizer add_dummy_prefix and trainer model_type of a ModelProto."""
    pieces: list[tuple[str, float, int]] = []
    add_prefix = True
    model_type = 1  # UNIGRAM
    for num, wire, value in _fields(data):
        if num == 1 and wire == 2:
            text, score, typ = "", 0.0, NORMAL
            for n2, w2, v2 in _fields(value):
                if n2 == 1 and w2 == 2:
                    text = v2.decode("utf-8")
                elif n2 == 2 and w2 == 5:
                    (score,) = struct.unpack("<f", v2)
                elif n2 == 3 and w2 == 0:
                    typ = v2
            pieces.append((text, score, typ))
        elif num == 2 and wire == 2:
            for n2, w2, v2 in _fields(value):
                if n2 == 3 and w2 == 0:
                    model_type = v2
        elif num == 3 and wire == 2:
            for n2, w2, v2 in _fields(value):
                if n2 == 3 and w2 == 0:
                    add_prefix = bool(v2)
    if not pieces:
        raise ConvertError("tokenizer.model holds no pieces")
    return pieces, add_prefix, model_type


def _sentencepiece_vocab(src: Path, n_vocab: int | None) -> Vocab:
    pieces, add_prefix, _ = parse_sentencepiece((src / "tokenizer.model").read_bytes())
    tokens: dict[int, tuple[str, int]] = {}
    scores: dict[int, float] = {}
    for i, (text, score, typ) in enumerate(pieces):
        tokens[i] = (text, typ if typ in (NORMAL, UNKNOWN, CONTROL, USER_DEFINED, UNUSED, BYTE) else NORMAL)
        scores[i] = score
    extra = _load_optional(src / "added_tokens.json")
    if isinstance(extra, dict):
        for text, i in extra.items():
            if isinstance(i, int) and i >= len(pieces):
                tokens[i] = (str(text), USER_DEFINED)
                scores[i] = -1000.0
    tc = _load_optional(src / "tokenizer_config.json")
    decoder = tc.get("added_tokens_decoder") if isinstance(tc, dict) else None
    if isinstance(decoder, dict):
        for key, entry in decoder.items():
            if not (isinstance(entry, dict) and isinstance(entry.get("content"), str) and key.isdigit()):
                continue
            i = int(key)
            if tokens.get(i, ("", NORMAL))[1] == UNKNOWN:
                continue
            tokens[i] = (entry["content"], CONTROL if entry.get("special") else USER_DEFINED)
            scores.setdefault(i, -1000.0)
    texts, types = _fit(tokens, n_vocab, "tokenizer.model")
    return Vocab("llama", texts, types, scores=[scores.get(i, -1000.0) for i in range(len(texts))],
                 add_space_prefix=add_prefix)


def load_causal_vocab(src: Path, config: dict[str, Any], n_vocab: int | None) -> Vocab:
    """The vocabulary of a decoder model: tokenizer.model if present, else tokenizer.json."""
    tj = _tokenizer_json(src)
    if (src / "tokenizer.model").is_file():
        vocab = _sentencepiece_vocab(src, n_vocab)
    elif tj is not None:
        mtype = (tj.get("model") or {}).get("type")
        if mtype != "BPE":
            raise ConvertError(f"unsupported tokenizer.json model type {mtype!r} (expected BPE)")
        vocab = _spm_bpe_vocab(tj, n_vocab) if _is_spm_bpe(tj) else _bpe_vocab(tj, n_vocab)
    else:
        raise ConvertError("missing tokenizer: need tokenizer.json or tokenizer.model")
    _resolve_specials(src, vocab, tj, config)
    return vocab


def _phantom(text: str, typ: int) -> str:
    """llama.cpp's WordPiece spelling: '##' continuations lose it, word starts gain U+2581."""
    if typ == CONTROL:
        return text
    return text[2:] if text.startswith("##") else "\u2581" + text


def load_wordpiece_vocab(src: Path, config: dict[str, Any], n_vocab: int | None) -> Vocab:
    """A BERT WordPiece vocabulary from tokenizer.json (model type WordPiece) or vocab.txt."""
    tj = _tokenizer_json(src)
    tokens: dict[int, tuple[str, int]] = {}
    if tj is not None and (tj.get("model") or {}).get("type") == "WordPiece":
        base = tj["model"].get("vocab")
        if not isinstance(base, dict):
            raise ConvertError("tokenizer.json WordPiece model has no vocab")
        tokens = {int(i): (str(t), NORMAL) for t, i in base.items()}
        for a in _added_tokens(tj):
            tokens[a["id"]] = (str(a["content"]), CONTROL if a.get("special") else USER_DEFINED)
    elif (src / "vocab.txt").is_file():
        lines = (src / "vocab.txt").read_text(encoding="utf-8").split("\n")
        if lines and lines[-1] == "":
            lines.pop()
        tokens = {i: (t, NORMAL) for i, t in enumerate(lines)}
        tc = _load_optional(src / "tokenizer_config.json")
        smap = _load_optional(src / "special_tokens_map.json")
        specials = {
            _token_content(d.get(f"{typ}_token"))
            for d in (tc, smap) if isinstance(d, dict) for typ in SPECIAL_TYPES
        }
        tokens = {i: (t, CONTROL if t in specials else typ) for i, (t, typ) in tokens.items()}
    else:
        raise ConvertError("missing tokenizer: need tokenizer.json (WordPiece) or vocab.txt")
    texts, types = _fit(tokens, n_vocab, "the WordPiece vocabulary")
    vocab = Vocab("bert", texts, types)
    _resolve_specials(src, vocab, tj, config)
    vocab.tokens = [_phantom(t, typ) for t, typ in zip(texts, types, strict=True)]
    vocab.pre = "default"
    return vocab


# --------------------------------------------------------------------------------------------- writer


def write_vocab(vocab: Vocab, w: gguf.GGUFWriter) -> None:
    """Add every tokenizer.* key of `vocab` to the writer."""
    w.add_tokenizer_model(vocab.model)
    if vocab.pre is not None:
        w.add_tokenizer_pre(vocab.pre)
    w.add_token_list(vocab.tokens)
    if vocab.scores is not None:
        w.add_token_scores(vocab.scores)
    w.add_token_types(vocab.types)
    if vocab.merges:
        w.add_token_merges(vocab.merges)
    setters = {
        "bos": w.add_bos_token_id, "eos": w.add_eos_token_id, "unk": w.add_unk_token_id,
        "sep": w.add_sep_token_id, "pad": w.add_pad_token_id, "mask": w.add_mask_token_id,
    }
    for typ, tid in vocab.special.items():
        if typ in setters:
            setters[typ](tid)
        elif typ == "cls":  # not read by llama.cpp (it uses bos), but Ollama's converter writes it
            w.add_uint32("tokenizer.ggml.cls_token_id", tid)
    if "bos" in vocab.add:
        w.add_add_bos_token(vocab.add["bos"])
    if "eos" in vocab.add:
        w.add_add_eos_token(vocab.add["eos"])
    if "sep" in vocab.add:
        w.add_add_sep_token(vocab.add["sep"])
    if vocab.add_space_prefix is not None:
        w.add_add_space_prefix(vocab.add_space_prefix)
    if vocab.chat_templates:
        default = vocab.chat_templates.get("default")
        named = {k: v for k, v in vocab.chat_templates.items() if k != "default"}
        if default is not None:
            w.add_string(gguf.Keys.Tokenizer.CHAT_TEMPLATE, default)
        for name, text in named.items():
            w.add_string(gguf.Keys.Tokenizer.CHAT_TEMPLATE_N.format(name=name), text)
        if named:
            w.add_array(gguf.Keys.Tokenizer.CHAT_TEMPLATES, list(named))

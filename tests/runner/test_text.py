"""Pure text handling: UTF-8 completion and stop strings that span token pieces."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from pollama.runner.text import TextStream, split_utf8


def test_split_utf8_holds_incomplete_tail() -> None:
    data = "aé€😀".encode()
    assert split_utf8(data) == ("aé€😀", b"")
    assert split_utf8(data[:-1]) == ("aé€", data[-4:-1])
    assert split_utf8(data[:-4] + data[-4:-2]) == ("aé€", data[-4:-2])
    assert split_utf8(b"a\xff") == ("a\ufffd", b"")  # invalid byte: replaced, not held


def test_stream_waits_for_complete_characters() -> None:
    s = TextStream()
    euro = "€".encode()
    assert s.push(euro[:1]) == ("", False)
    assert s.push(euro[1:2]) == ("", False)
    assert s.push(euro[2:] + b"!") == ("€!", False)


def test_stop_across_pieces_is_never_emitted() -> None:
    s = TextStream(["STOP"])
    out = []
    for piece in [b"hello S", b"T", b"OP and more"]:
        text, stopped = s.push(piece)
        out.append(text)
        if stopped:
            break
    assert out == ["hello ", "", ""]
    assert stopped


def test_held_prefix_is_released_when_it_stops_matching() -> None:
    s = TextStream(["<end>"])
    assert s.push(b"a <e") == ("a ", False)
    assert s.push(b"nx") == ("<enx", False)
    assert s.push(b" <en") == (" ", False)
    assert s.flush() == "<en"


def test_earliest_stop_wins() -> None:
    s = TextStream(["bb", "ab"])
    assert s.push(b"xxabb") == ("xx", True)


@given(st.text(max_size=40), st.lists(st.integers(1, 6), max_size=20), st.sampled_from(["ab", "\n\n", "é!", "x"]))
def test_stream_equals_cut_text(text: str, cuts: list[int], stop: str) -> None:
    data = text.encode()
    pieces, i = [], 0
    for c in cuts:
        pieces.append(data[i:i + c])
        i += c
    pieces.append(data[i:])
    s = TextStream([stop])
    out, stopped = "", False
    for p in pieces:
        if not p:
            continue
        t, stopped = s.push(p)
        out += t
        if stopped:
            break
    if not stopped:
        out += s.flush()
    expect = text.split(stop)[0] if stop in text else text
    assert out == expect
    assert stopped == (stop in text)


def test_the_stop_string_that_matched_is_named() -> None:
    ts = TextStream(["STOP", "END"])
    assert ts.push(b"one EN") == ("one ", False) and ts.matched is None
    assert ts.push(b"D two") == ("", True) and ts.matched == "END"

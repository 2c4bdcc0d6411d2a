"""The web chat page in headless chromium against the real server with SmolLM2: it loads without console
errors and lists the models, streams an answer with its stats, keeps the conversation over a reload, Stop
aborts the fetch and the server frees the slot, edit/regenerate resend the right messages, the sidebar
renames and deletes, and the Models window unloads a model and shows its details."""

from __future__ import annotations

import base64
import json
import os
import re
from pathlib import Path

import httpx
import pytest
from fixtures.tiny_gguf import make_tiny_llama
from model_upload import create_from_gguf, upload_blob
from selenium import webdriver
from selenium.webdriver.common.keys import Keys
from server_proc import Server, ServerFactory
from uipage import Page, wait_for

# answers stay short on a busy machine; the question gets "Paris" at temperature 0
SMOLLM2 = {"num_predict": 24}
# a tiny random model's greedy text: it never ends by itself (sampled, it can meet an end token within seconds)
ENDLESS = {"temperature": 0, "num_predict": 1_000_000}
QUESTION = "What is the capital of France?"


@pytest.fixture(scope="module")
def srv(module_server: ServerFactory, smollm2: Path, vision_pair: Path,
        tmp_path_factory: pytest.TempPathFactory) -> Server:
    tiny = make_tiny_llama(tmp_path_factory.mktemp("tiny") / "tiny.gguf", ctx=32768)
    s = module_server({"OLLAMA_NUM_PARALLEL": "1", "OLLAMA_KEEP_ALIVE": "10m"})
    with s.client() as http:
        create_from_gguf(http, "smollm2", smollm2, parameters=SMOLLM2)
        create_from_gguf(http, "endless", tiny, parameters=ENDLESS)
        files = {name: upload_blob(http, vision_pair / name) for name in ("model.gguf", "mmproj.gguf")}
        r = http.post("/api/create", json={"model": "seer", "files": files, "parameters": {"num_predict": 8},
                                           "stream": False})
        assert r.status_code == 200, r.text
    return s


@pytest.fixture(scope="module")
def page(browser: webdriver.Chrome, srv: Server) -> Page:
    return Page(browser, srv.url)


def chat_bodies(page: Page) -> list[dict]:
    return [json.loads(r["postData"]) for r in page.requests("/api/chat")]


def metric(srv: Server, name: str) -> float:
    text = httpx.get(srv.url + "/metrics").text
    return float(re.search(rf"^{name} (\S+)$", text, re.M).group(1))


def test_the_page_loads_without_errors_and_lists_the_models(page: Page, srv: Server) -> None:
    page.open().wait_ready()
    assert sorted(page.models()) == ["endless:latest", "seer:latest", "smollm2:latest"]
    assert page.console_errors() == []
    page.pick_model("smollm2:latest")
    wait_for(lambda: not page.find("#attach").is_displayed(), 5, "no image button: smollm2 has no vision")
    served = httpx.get(srv.url + "/ui")
    assert served.status_code == 200 and "script-src 'self'" in served.headers["content-security-policy"]
    assert "unsafe-inline" not in served.headers["content-security-policy"]
    assert httpx.get(srv.url + "/").text == "Ollama is running"
    assert f"web chat at {srv.url}/ui" in srv.logs()


def test_an_answer_streams_with_its_stats_and_a_reload_keeps_it(page: Page, tmp_path: Path) -> None:
    page.open().wait_ready()
    page.pick_model("smollm2:latest")
    page.set_options(temperature=0, seed=42)
    page.send(QUESTION)
    page.wait_idle()
    (answer,) = page.answers()
    assert "Paris" in answer.find_element("css selector", ".content").text, answer.text
    assert re.fullmatch(r"\d+ tokens · [\d.]+ tokens/s · prompt \d+ tokens",
                        answer.find_element("css selector", ".stats").text)
    (body,) = chat_bodies(page)
    assert body["model"] == "smollm2:latest" and body["stream"] is True
    assert body["options"] == {"temperature": 0, "seed": 42}
    assert body["messages"] == [{"role": "user", "content": QUESTION}]

    page.open(fresh=False).wait_ready()
    assert [t.text for t in page.all("#conversations .title")] == [QUESTION]
    assert [m.text for m in page.all(".message.user .content")] == [QUESTION]
    assert "Paris" in page.answers()[0].find_element("css selector", ".content").text
    shot = Path(os.environ.get("POLLAMA_UI_SCREENSHOT") or tmp_path / "chat.png")  # docs/ui.png comes from here
    assert page.driver.save_screenshot(str(shot)) and shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert page.console_errors() == []


def test_edit_and_regenerate_resend_the_conversation(page: Page) -> None:
    page.open().wait_ready()
    page.pick_model("smollm2:latest")
    page.set_options(temperature=0)
    page.send("Say hi")
    page.wait_idle()
    page.drain_logs()
    page.find(".message.user .edit").click()
    editor = page.find(".message.user .editor")
    editor.clear()
    editor.send_keys(QUESTION)
    page.find(".message.user .actions button").click()  # Save & send
    page.wait_idle()
    assert [m.text for m in page.all(".message.user .content")] == [QUESTION]
    assert len(page.answers()) == 1
    page.find(".regenerate").click()
    page.wait_idle()
    assert len(page.answers()) == 1 and "Paris" in page.answers()[0].text
    edited, regenerated = chat_bodies(page)
    assert edited["messages"] == regenerated["messages"] == [{"role": "user", "content": QUESTION}]


def test_stop_aborts_the_answer_and_frees_the_slot(page: Page, srv: Server) -> None:
    page.open().wait_ready()
    page.pick_model("endless:latest")
    page.send("go on")
    # the answer shows while it is still streaming
    wait_for(lambda: page.busy() and page.answers()[0].find_element("css selector", ".content").text,
             60, "streamed text")
    assert metric(srv, "pollama_requests_running") == 1
    page.find("#stop").click()
    page.wait_idle(5)
    answer = page.answers()[0]
    assert answer.find_element("css selector", ".note").text == "Stopped"
    assert answer.find_element("css selector", ".content").text  # what came before Stop is kept
    wait_for(lambda: metric(srv, "pollama_requests_running") == 0, 5, "the server to free the slot")
    page.open(fresh=False).wait_ready()  # the stopped answer was saved
    assert page.answers()[0].find_element("css selector", ".note").text == "Stopped"


def test_the_sidebar_renames_and_deletes_conversations(page: Page) -> None:
    page.open().wait_ready()
    page.pick_model("endless:latest")
    for text in ("first", "second"):
        page.find("#new-chat").click()
        page.send(text)
        wait_for(lambda: page.busy(), 10, "the answer to start")
        if text == "first":
            page.find("#stop").click()
        else:
            page.find("#prompt").send_keys(Keys.ESCAPE)  # Esc stops too
        page.wait_idle(5)
    assert [t.text for t in page.all("#conversations .title")] == ["second", "first"]
    page.all("#conversations button[title=Rename]")[1].click()
    field = page.find("#conversations input")
    field.send_keys("renamed")  # replaces the selected title (clear() would blur the field: a rename)
    field.send_keys(Keys.ENTER)
    page.open(fresh=False).wait_ready()
    assert [t.text for t in page.all("#conversations .title")] == ["second", "renamed"]
    delete = page.all("#conversations button[title=Delete]")[0]
    delete.click()
    delete.click()  # asks twice
    assert [t.text for t in page.all("#conversations .title")] == ["renamed"]
    stored = page.driver.execute_script("return JSON.parse(localStorage['pollama.conversations'])")
    assert [c["title"] for c in stored] == ["renamed"]


def test_the_models_window_unloads_and_shows_details(page: Page, srv: Server) -> None:
    with srv.client() as http:  # load smollm2
        assert http.post("/api/generate", json={"model": "smollm2", "keep_alive": "10m"}).status_code == 200
    page.open().wait_ready()
    page.find("#open-models").click()
    row = wait_for(lambda: [li for li in page.all("#loaded li") if li.text.startswith("smollm2:latest")],
                   10, "smollm2 among the loaded models")[0]
    row.find_element("css selector", "button").click()  # Unload
    with srv.client() as http:
        wait_for(lambda: "smollm2:latest" not in [m["name"] for m in http.get("/api/ps").json()["models"]], 10,
                 "smollm2 to unload")
    (installed,) = [li for li in page.all("#installed li") if li.text.startswith("smollm2:latest")]
    installed.find_element("css selector", "button").click()  # Details
    details = wait_for(lambda: page.find("#show-details").text, 10, "the details")
    assert "family\nllama" in details and "capabilities\ncompletion" in details
    assert "num_predict" in page.driver.execute_script("return document.getElementById('show-parameters')"
                                                       ".textContent")
    assert page.console_errors() == []


def test_a_phone_sized_window_slides_the_list_in(page: Page) -> None:
    page.open()
    page.driver.execute_script("localStorage.setItem('pollama.conversations', arguments[0])", json.dumps(
        [{"id": "c1", "title": "kept", "model": "smollm2:latest", "options": {}, "messages": []}]))
    page.driver.set_window_size(500, 800)  # headless chromium's narrowest
    try:
        page.open(fresh=False).wait_ready()
        sidebar = page.find("#sidebar")
        assert sidebar.rect["x"] + sidebar.rect["width"] <= 0  # off screen
        page.find("#toggle-sidebar").click()
        wait_for(lambda: sidebar.rect["x"] == 0, 5, "the list to slide in")
        page.find("#conversations .title").click()
        wait_for(lambda: sidebar.rect["x"] + sidebar.rect["width"] <= 0, 5, "the list to slide out")
        assert page.find("#prompt").rect["width"] > 250
    finally:
        page.driver.set_window_size(1100, 800)


def test_an_image_goes_with_the_message_to_a_vision_model(page: Page, tmp_path: Path) -> None:
    from PIL import Image

    picture = tmp_path / "red.png"
    Image.new("RGB", (40, 30), (220, 30, 30)).save(picture)
    page.open().wait_ready()
    page.pick_model("endless:latest")
    wait_for(lambda: not page.find("#attach").is_displayed(), 5, "no image button for a text model")
    page.pick_model("seer:latest")
    wait_for(lambda: page.find("#attach").is_displayed(), 10, "the image button")
    page.find("#attach-file").send_keys(str(picture))
    wait_for(lambda: page.all("#attachments img"), 10, "the thumbnail")
    page.send("What is in the picture?")
    page.wait_idle()
    (body,) = chat_bodies(page)
    assert body["messages"] == [{"role": "user", "content": "What is in the picture?",
                                 "images": [base64.b64encode(picture.read_bytes()).decode()]}]
    answer = page.answers()[0]
    assert answer.find_element("css selector", ".note").text == ""  # no error
    assert re.match(r"\d+ tokens", answer.find_element("css selector", ".stats").text)
    assert page.all(".message.user .images img") and page.all("#attachments img") == []
    assert page.console_errors() == []

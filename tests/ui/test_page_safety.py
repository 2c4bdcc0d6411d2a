"""The chat page against a server with API keys whose runner says what a test wants (the app in this process,
tests/scripted_runner.py): the page asks for a key once and sends it as a Bearer header, never in a URL;
model output carrying script renders as text and runs nothing; the Content-Security-Policy blocks inline
script even when something puts it in the page; thinking shows folded; code is highlighted; a pull from a
loopback registry drives the progress bar to its end."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from app_thread import AppThread
from model_upload import create_from_gguf
from registry_harness import Registry
from scripted_runner import Script
from selenium import webdriver
from selenium.common.exceptions import NoAlertPresentException
from selenium.webdriver.common.keys import Keys
from uipage import Page, wait_for

from pollama.runner.client import RunnerProcess

KEY = "sekret-key-123"
AUTH = {"Authorization": f"Bearer {KEY}"}
PAYLOAD = ("<img src=x onerror=alert(1)> [click me](javascript:alert(2)) <script>alert(3)</script> "
           "![pic](javascript:alert(4))")


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory, tiny_llama: Path) -> Iterator[tuple[AppThread, Script]]:
    script = Script()
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(RunnerProcess, "start", script.start)
        patch.setenv("POLLAMA_API_KEYS", f"other-key,{KEY}")
        with AppThread(tmp_path_factory.mktemp("models")) as app, \
                httpx.Client(base_url=app.url, headers=AUTH, timeout=60) as http:
            create_from_gguf(http, "echo", tiny_llama)
            create_from_gguf(http, "thinker", tiny_llama, renderer="qwen3.5", parser="qwen3.5")
            yield app, script


@pytest.fixture(scope="module")
def page(browser: webdriver.Chrome, served: tuple[AppThread, Script]) -> Page:
    return Page(browser, served[0].url)


def open_with_key(page: Page) -> None:
    page.open()
    page.driver.execute_script("localStorage.setItem('pollama.apiKey', arguments[0])", KEY)
    page.open(fresh=False).wait_ready()


def ask(page: Page, script: Script, model: str, output: str) -> str:
    """Send a question to `model`, whose runner answers `output`; the answer's .content element's HTML."""
    script.output = output
    page.pick_model(model)
    page.send("hi")
    page.wait_idle(30)
    return page.answers()[-1].find_element("css selector", ".content").get_attribute("innerHTML") or ""


def enter_key(page: Page, key: str) -> None:
    field = wait_for(lambda: page.find("#key-dialog").is_displayed() and page.find("#key-dialog input"), 10,
                     "the key dialog")
    field.send_keys(key, Keys.ENTER)


def test_the_page_asks_for_a_key_once_and_then_works(page: Page, served: tuple[AppThread, Script]) -> None:
    app, script = served
    assert httpx.get(app.url + "/api/tags").status_code == 401  # the API stays protected
    for path in ("/ui", "/ui/app.js", "/ui/vendor/marked/marked.esm.js"):
        assert httpx.get(app.url + path).status_code == 200
    page.open()
    wait_for(lambda: page.find("#key-dialog").is_displayed(), 10, "the key dialog")
    page.find("#key-dialog input").send_keys(Keys.ESCAPE)  # closed without a key: the page offers it again
    wait_for(lambda: page.all("#enter-key"), 10, "the offer")[0].click()
    enter_key(page, "wrong")
    wait_for(lambda: page.find("#key-error").is_displayed(), 10, "the refusal")
    enter_key(page, KEY)
    page.wait_ready()
    wait_for(lambda: not page.find("#banner").is_displayed(), 5, "the banner to go")
    assert sorted(page.models()) == ["echo:latest", "thinker:latest"]
    assert "Hello there." in ask(page, script, "echo:latest", "Hello there.")
    sent = page.all_requests()
    chats = [r for r in sent if r["url"] == app.url + "/api/chat"]
    assert [r["headers"].get("Authorization") for r in chats] == [f"Bearer {KEY}"]
    assert len(sent) >= 4 and not [r for r in sent if KEY in r["url"]]  # the key is never in a URL
    page.open(fresh=False).wait_ready()  # asked once: kept in this browser
    assert not page.find("#key-dialog").is_displayed()


def test_model_output_renders_as_text_and_runs_nothing(page: Page, served: tuple[AppThread, Script]) -> None:
    open_with_key(page)
    html = ask(page, served[1], "echo:latest", PAYLOAD)
    content = page.answers()[-1].find_element("css selector", ".content")
    assert "<img src=x onerror=alert(1)>" in content.text and "<script>alert(3)</script>" in content.text
    assert content.find_elements("css selector", "img, script, [onerror]") == []
    links = content.find_elements("css selector", "a")
    assert [a.text for a in links] == ["click me", "pic"]
    assert all(a.get_attribute("href") is None for a in links), html
    with pytest.raises(NoAlertPresentException):
        page.driver.switch_to.alert.text  # noqa: B018
    assert page.console_errors() == []  # nothing even tried to run (the CSP would have logged it)


def test_the_csp_blocks_inline_script_put_in_the_page(page: Page) -> None:
    open_with_key(page)
    page.driver.execute_script("""
        const img = document.createElement('img');
        img.setAttribute('onerror', "document.title = 'ran'");
        img.src = 'data:,not-an-image';
        document.body.append(img);""")
    errors = wait_for(page.console_errors, 10, "the CSP report")
    assert "Content Security Policy" in errors[0]["message"]
    assert page.driver.title == "pollama"


def test_thinking_is_folded_and_code_highlighted(page: Page, served: tuple[AppThread, Script]) -> None:
    open_with_key(page)
    page.pick_model("thinker:latest")
    page.set_options(system="Answer in code.", num_ctx=2048)
    ask(page, served[1], "thinker:latest", "Let me think...</think>Here:\n```python\ndef f():\n    return 1\n```")
    answer = page.answers()[-1]
    thinking = answer.find_element("css selector", "details.thinking")
    assert thinking.is_displayed() and thinking.get_attribute("open") is None
    assert thinking.find_element("css selector", ".thinking-text").get_attribute("textContent") == "Let me think..."
    keyword = answer.find_element("css selector", "pre code.hljs .hljs-keyword")
    assert keyword.text == "def"
    (body,) = [json.loads(r["postData"]) for r in page.requests("/api/chat")]
    assert body["think"] is True and body["options"] == {"num_ctx": 2048}
    assert body["messages"] == [{"role": "system", "content": "Answer in code."}, {"role": "user", "content": "hi"}]
    assert "Answer in code." in served[1].prompt()  # the conversation's system prompt reached the model


@pytest.fixture(scope="module")
def registry(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Registry]:
    reg = Registry(tmp_path_factory.mktemp("registry")).start()
    yield reg
    reg.stop()


def test_a_pull_fills_the_progress_bar(page: Page, served: tuple[AppThread, Script], registry: Registry,
                                       tiny_llama: Path) -> None:
    app, _ = served
    name = f"{registry.host}/library/tiny:latest"
    with httpx.Client(base_url=app.url, headers=AUTH, timeout=60) as http:
        assert http.post("/api/copy", json={"source": "echo", "destination": name}).status_code == 200
        r = http.post("/api/push", json={"model": name, "insecure": True, "stream": False})
        assert r.status_code == 200, r.text
        assert http.request("DELETE", "/api/delete", json={"model": name}).status_code == 200
    open_with_key(page)
    page.find("#open-models").click()
    form = page.find("#pull-form")
    form.find_element("name", "model").send_keys(name)
    form.find_element("name", "insecure").click()
    form.find_element("css selector", "button").click()
    wait_for(lambda: page.find("#pull-text").text.startswith("success"), 30, "the pull")
    bar = page.find("#pull-progress")
    assert bar.get_attribute("value") == bar.get_attribute("max")
    # every layer's bytes: the GGUF and the small ones (params, template, ...)
    assert tiny_llama.stat().st_size < float(bar.get_attribute("max") or 0) < tiny_llama.stat().st_size + 65536
    assert page.find("#pull-text").text == "success · 100%"
    wait_for(lambda: name in [li.text.split("\n")[0] for li in page.all("#installed li")], 10, "the model listed")
    assert name in page.models()


def test_shift_enter_is_a_new_line_and_enter_sends(page: Page, served: tuple[AppThread, Script]) -> None:
    open_with_key(page)
    served[1].output = "ok"
    page.pick_model("echo:latest")
    page.find("#prompt").send_keys("line one", Keys.SHIFT, Keys.ENTER, Keys.SHIFT, "line two")
    assert not page.requests("/api/chat")  # not sent yet
    page.find("#prompt").send_keys(Keys.ENTER)
    page.wait_idle(30)
    (body,) = [json.loads(r["postData"]) for r in page.requests("/api/chat")]
    assert body["messages"] == [{"role": "user", "content": "line one\nline two"}]

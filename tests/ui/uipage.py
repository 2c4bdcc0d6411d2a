"""Debian's chromium, headless, driven through Selenium and chromium-driver (Selenium Manager is never asked to
download anything: both paths are given). The page's console and network are read from Chrome's logs."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import Any, TypeVar

from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webelement import WebElement

__all__ = ["start_browser", "wait_for", "Page"]

CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"
T = TypeVar("T")


def start_browser(width: int = 1100, height: int = 800) -> webdriver.Chrome:
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for arg in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu",
                "--no-first-run", "--disable-extensions", f"--window-size={width},{height}"):
        options.add_argument(arg)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL", "performance": "ALL"})
    driver = webdriver.Chrome(options=options, service=Service(CHROMEDRIVER))
    driver.set_page_load_timeout(30)
    driver.set_script_timeout(30)
    return driver


def wait_for(condition: Callable[[], T], timeout: float = 30.0, what: str = "the condition") -> T:
    """Poll `condition` until it returns something truthy; fail after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        time.sleep(0.05)


class Page:
    """The chat page at `url` in `driver`, with what the tests do on it."""

    def __init__(self, driver: webdriver.Chrome, url: str) -> None:
        self.driver = driver
        self.url = url

    def open(self, fresh: bool = True) -> Page:
        """Load the page (a `fresh` one: this origin's localStorage emptied) and wait for its model list."""
        self.driver.get(self.url + "/ui")
        if fresh:
            self.driver.execute_script("localStorage.clear()")
            self.driver.get(self.url + "/ui")
        self.drain_logs()
        return self

    def wait_ready(self, timeout: float = 30.0) -> None:
        wait_for(lambda: self.driver.execute_script("return document.body.dataset.ready === '1'"), timeout,
                 "the model list")

    def find(self, css: str) -> WebElement:
        return self.driver.find_element(By.CSS_SELECTOR, css)

    def all(self, css: str) -> list[WebElement]:
        return self.driver.find_elements(By.CSS_SELECTOR, css)

    def models(self) -> list[str]:
        return [o.get_attribute("value") or "" for o in self.all("#model option")]

    def pick_model(self, name: str) -> None:
        self.driver.execute_script(
            "const s = document.getElementById('model'); s.value = arguments[0];"
            "s.dispatchEvent(new Event('change'));", name)

    def send(self, text: str) -> None:
        box = self.find("#prompt")
        box.send_keys(text)
        box.send_keys("\n")  # Enter sends

    def set_options(self, **values: object) -> None:
        """Fill the conversation's settings dialog (system, temperature, num_ctx, seed) and save."""
        self.find("#open-settings").click()
        form = self.find("#settings-form")
        for name, value in values.items():
            field = form.find_element(By.NAME, name)
            field.clear()
            field.send_keys(str(value))
        self.find("#settings-save").click()

    def answers(self) -> list[WebElement]:
        return self.all(".message.assistant")

    def busy(self) -> bool:
        return self.find("#stop").is_displayed()

    def wait_idle(self, timeout: float = 60.0) -> None:
        wait_for(lambda: not self.busy(), timeout, "the answer to finish")

    def console_errors(self) -> list[dict[str, Any]]:
        return [e for e in self.driver.get_log("browser") if e["level"] == "SEVERE"]

    def drain_logs(self) -> None:
        self.driver.get_log("browser")
        self.driver.get_log("performance")

    def all_requests(self) -> list[dict[str, Any]]:
        """The requests the page sent since the last look (Chrome's Network events)."""
        messages = (json.loads(entry["message"])["message"] for entry in self.driver.get_log("performance"))
        return [m["params"]["request"] for m in messages if m["method"] == "Network.requestWillBeSent"]

    def requests(self, path: str) -> list[dict[str, Any]]:
        """The requests the page sent to `path` since the last look."""
        return [r for r in self.all_requests() if r["url"].split("?", 1)[0] == self.url + path]

from __future__ import annotations

from collections.abc import Iterator

import pytest
from selenium import webdriver
from uipage import start_browser


@pytest.fixture(scope="module")
def browser() -> Iterator[webdriver.Chrome]:
    """One headless chromium per test module."""
    driver = start_browser()
    yield driver
    driver.quit()

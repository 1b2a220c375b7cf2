"""A real browser (headless Chromium through Selenium) at the window: walk-in to receipt, online acceptance."""

from __future__ import annotations

import asyncio
import os
import shutil
import time
from pathlib import Path

import pytest
from pypdf import PdfReader
from sqlalchemy import select

from storage.models import Application
from tests.web.conftest import CLERK_HRSS, PASSWORD, WINDOW, Web, online_application, photo
from tests.web.test_walkin import HEBEI

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
DRIVER = shutil.which("chromedriver")
pytestmark = pytest.mark.skipif(
    not (CHROMIUM and DRIVER),
    reason="needs Debian's chromium and chromium-driver (apt-get install -y chromium chromium-driver)",
)


class Browser:
    """Blocking Selenium calls; the test runs them in a thread while the event loop serves the app."""

    def __init__(self, base: str, downloads: Path, shots: Path, profile: Path):
        from selenium import webdriver
        from selenium.webdriver.chrome.service import Service

        opts = webdriver.ChromeOptions()
        opts.binary_location = CHROMIUM
        for arg in (
            "--headless=new",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-dev-shm-usage",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
            "--lang=zh-CN",
            f"--user-data-dir={profile}",
            "--window-size=1280,900",
        ):
            opts.add_argument(arg)
        opts.add_experimental_option(
            "prefs",
            {
                "download.default_directory": str(downloads),
                "download.prompt_for_download": False,
                "plugins.always_open_pdf_externally": True,
            },
        )
        self.driver = webdriver.Chrome(service=Service(DRIVER), options=opts)
        self.driver.execute_cdp_cmd("Page.setDownloadBehavior", {"behavior": "allow", "downloadPath": str(downloads)})
        self.base, self.downloads, self.shots = base.rstrip("/"), downloads, shots

    def go(self, path: str) -> None:
        self.driver.get(self.base + path)

    def el(self, css: str):
        from selenium.webdriver.common.by import By

        return self.driver.find_element(By.CSS_SELECTOR, css)

    def click(self, css: str) -> None:
        """Press a button or link and wait for the next page to load."""
        from selenium.common.exceptions import WebDriverException
        from selenium.webdriver.support import expected_conditions as ec
        from selenium.webdriver.support.ui import WebDriverWait

        old = self.el("html")
        self.el(css).click()

        def gone(_driver) -> bool:
            try:
                return ec.staleness_of(old)(_driver)
            except WebDriverException as exc:  # Chromium reports a node of the unloaded page this way
                if "does not belong to the document" in str(exc):
                    return True
                raise

        WebDriverWait(self.driver, 40).until(gone)

    def text(self) -> str:
        return self.el("body").text

    def fill(self, key: str, value: str) -> None:
        field = self.el(f"#{key.replace('|', '_')}")
        field.clear()
        field.send_keys(value)

    def choose(self, key: str, value: str) -> None:
        from selenium.webdriver.support.ui import Select

        Select(self.el(f"#{key}")).select_by_value(value)

    def shot(self, name: str) -> None:
        height = self.driver.execute_script("return document.documentElement.scrollHeight")
        self.driver.set_window_size(1280, min(max(height, 900), 6000))
        self.driver.save_screenshot(str(self.shots / f"{name}.png"))
        self.driver.set_window_size(1280, 900)

    def login(self, account: int) -> None:
        from selenium.webdriver.common.keys import Keys

        self.go("/desk/")
        self.shot("01-login")
        self.el("#account").send_keys(str(account), Keys.TAB)  # keyboard only: tab to the password, Enter
        old = self.el("html")
        self.driver.switch_to.active_element.send_keys(PASSWORD, Keys.ENTER)
        from selenium.webdriver.support import expected_conditions as ec
        from selenium.webdriver.support.ui import WebDriverWait

        WebDriverWait(self.driver, 40).until(ec.staleness_of(old))
        assert "您好" in self.text()

    def wait_for_download(self, timeout: float = 40) -> Path:
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            done = [p for p in self.downloads.iterdir() if p.suffix == ".pdf" and p.stat().st_size > 0]
            if done:  # Chromium writes *.crdownload and renames it when complete
                return done[0]
            time.sleep(0.2)
        raise AssertionError(f"no PDF downloaded: {list(self.downloads.iterdir())}")

    def close(self) -> None:
        self.driver.quit()


@pytest.fixture
async def db_engine(tmp_path, sqlite_template):
    """One database kind is enough for the browser: SQLite."""
    from storage.db import make_engine, sqlite_url

    shutil.copy(sqlite_template, tmp_path / "browser.db")
    eng = make_engine(sqlite_url(tmp_path / "browser.db"))
    yield eng
    await eng.dispose()


@pytest.fixture
def shots(tmp_path) -> Path:
    folder = Path(os.environ.get("DESK_SCREENSHOTS") or tmp_path / "shots")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _browser(web: Web, tmp_path: Path, shots: Path) -> Browser:
    downloads = tmp_path / "downloads"
    downloads.mkdir()
    return Browser(str(web.client.make_url("/")), downloads, shots, tmp_path / "profile")


def walk_in_in_browser(b: Browser, files: dict[str, Path]) -> str:
    b.login(WINDOW)
    b.shot("02-home")
    b.go("/desk/walkin")
    b.choose("id_type", "resident")
    b.fill("id_number", "130102199001011237")
    b.choose("archive", "yes")
    b.choose("situation", "new_forms")
    b.fill("name", "张三丰")
    b.choose("ethnic", "01")
    b.fill("phone", "0311-8888888")  # a landline: the bot's message comes back, nothing else is lost
    b.choose("hukou_type", "10")
    b.choose("hukou_address", HEBEI)
    b.fill("hukou_address__detail", "户籍路1号")
    b.choose("home_address", HEBEI)
    b.fill("home_address__detail", "常住街2号")
    b.fill("employed_on", "2026-03-01")
    b.choose("registration_type", "register")
    b.choose("work_place", HEBEI)
    b.choose("archive_agency_code", "130100")
    b.click("button.primary")
    assert "这里需要手机号码，不能填写座机号码" in b.text()
    assert b.el("#home_address__detail").get_attribute("value") == "常住街2号"
    b.shot("03-walkin-form-errors")
    b.fill("phone", "13812345678")
    b.click("button.primary")
    assert "第2步" in b.text()
    b.shot("04-walkin-materials")
    b.el("#file_doc").send_keys(str(files["doc"]))
    b.el("#file_id_front").send_keys(str(files["front"]))
    b.el("#file_id_back").send_keys(str(files["back"]))
    b.click("button[value=review]")
    assert "第3步" in b.text() and "张三丰" in b.text()
    b.click("button.primary")  # without the in-person confirmations
    assert "请确认已向申请人一次性告知" in b.text()
    b.shot("05-walkin-review")
    for name in ("notice", "consent", "commitment"):
        b.el(f"input[name={name}]").click()
    b.click("button.primary")
    assert "已提交并受理" in b.text(), b.text()
    ref = b.driver.current_url.rsplit("/", 1)[1].split("?")[0]
    b.shot("06-case")
    b.el("form[action$='/receipt'] button").click()  # a new tab; the PDF is downloaded
    return ref


async def test_a_window_clerk_enters_a_walk_in_and_prints_the_receipt(web: Web, sm, tmp_path, shots):
    files = {}
    for name, color in (("doc", "red"), ("front", "blue"), ("back", "green")):
        files[name] = tmp_path / f"{name}.jpg"
        files[name].write_bytes(photo(color))
    b = await asyncio.to_thread(_browser, web, tmp_path, shots)
    try:
        ref = await asyncio.to_thread(walk_in_in_browser, b, files)
        pdf = await asyncio.to_thread(b.wait_for_download)
    finally:
        await asyncio.to_thread(b.close)
    text = "".join(p.extract_text() for p in PdfReader(pdf).pages).replace("\x00", "").replace(" ", "")
    assert "受理回执" in text and ref in text and "绑定码" in text
    async with sm() as db:
        app = await db.scalar(select(Application).where(Application.ref == ref))
    assert app.status == "accepted" and len(app.data["materials"]["household"]["files"]) == 1


def accept_in_browser(b: Browser, ref: str) -> None:
    b.login(WINDOW)
    b.go("/desk/queue")
    assert ref in b.text()
    b.shot("07-queue")
    b.click(f"a[href='/desk/queue/{ref}']")
    assert "申报材料（表1）" in b.text()
    b.shot("08-application")
    b.click("form[action$='/accept'] button")
    assert "已受理，办结时限" in b.text()
    b.go("/desk/lookup")
    b.fill("q", ref)
    b.shot("09-lookup")
    b.click("form.search button")
    assert "各部门办理情况" in b.text() and "窗口受理" in b.text()
    b.click("form.logout button")
    b.login(CLERK_HRSS)
    b.go("/desk/dept/hrss")
    b.shot("10-dept-queue")
    assert ref in b.text()
    b.click("td a")
    b.shot("11-dept-case")


async def test_a_window_clerk_accepts_an_online_submission(web: Web, sm, blobs, tmp_path, shots):
    ref = await online_application(sm, blobs)
    b = await asyncio.to_thread(_browser, web, tmp_path, shots)
    try:
        await asyncio.to_thread(accept_in_browser, b, ref)
    finally:
        await asyncio.to_thread(b.close)
    async with sm() as db:
        assert (await db.scalar(select(Application.status))) == "accepted"

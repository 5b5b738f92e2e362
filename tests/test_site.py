"""The offline docs site in a real browser.

`.ci/site.py` builds `_site/` from the notebooks; here it is served on 127.0.0.1 and opened in Debian's headless
Chromium (driven by selenium through Debian's chromedriver; no browser is downloaded). Every chapter page must load
with its title, its paper-section line, its API entries and its images, and no link between pages may be broken.
What a page must show is read from the notebooks themselves (nbs/*.ipynb), not from the builder's output.
Screenshots of the home page and of the JOSH chapter go to `_site/screenshots/`.
Needs `bash .ci/site_deps.sh` (chromium, chromium-driver, selenium); skipped, saying so, where chromium is missing."""
import ast, functools, importlib.util, json, os, re, shutil, threading, urllib.request
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urldefrag, urlsplit
import pytest
from conftest import ROOT

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
DRIVER = shutil.which("chromedriver")
needs_browser = pytest.mark.skipif(not (CHROMIUM and DRIVER), reason="headless browser check needs Debian's chromium and "
                                   "chromium-driver (/usr/bin/chromium, /usr/bin/chromedriver): run `bash .ci/site_deps.sh`")

SITE = ROOT/"_site"
NBS = sorted((p for p in (ROOT/"nbs").glob("*.ipynb") if not p.name.startswith("_")), key=lambda p: (p.stem != "index", p.name))
NO_PAPER_SECTION = {"00_core.ipynb", "05c_registry.ipynb"}  # shared utilities and the commands' registry: the paper has no section for them
spec = importlib.util.spec_from_file_location("site_builder", ROOT/".ci"/"site.py")
site = importlib.util.module_from_spec(spec); spec.loader.exec_module(site)

# ---------------------------------------------------------------- what each notebook promises
def _cells(nb:Path) -> list: return json.loads(nb.read_text(encoding="utf-8"))["cells"]
def _src(c) -> str: return "".join(c.get("source", ""))

def expected_title(nb:Path) -> str:
    "The `# Title` of the notebook's first markdown cell."
    md = next(_src(c) for c in _cells(nb) if c["cell_type"] == "markdown")
    return re.search(r"^#\s+(.+?)\s*$", md, flags=re.M).group(1)

def expected_api(nb:Path) -> list:
    "Public functions and classes of the notebook's exported cells: each must have an API entry on the page."
    names = []
    for c in _cells(nb):
        opts, code = site.split_directives(_src(c)) if c["cell_type"] == "code" else ({}, "")
        if not ({"export", "exports", "exec_doc"} & set(opts)) or "hide" in opts or opts.get("include") == "false": continue
        for node in ast.parse(code).body:
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) and (node.name[0] != "_" or node.name[:2] == "__"):
                names.append(node.name)
    return names

def expected_images(nb:Path) -> int:
    "Images among the outputs of the notebook's visible cells."
    n = 0
    for c in _cells(nb):
        opts, _ = site.split_directives(_src(c))
        if "hide" in opts or opts.get("include") == "false" or opts.get("output") == "false": continue
        n += sum(any(k.startswith("image/") for k in o.get("data", {})) for o in c.get("outputs", []))
    return n

def page_of(nb:Path) -> str: return "index.html" if nb.stem == "index" else site.html_name(nb.name)

# ---------------------------------------------------------------- the site, a server, a browser
def _stale() -> bool:
    built = SITE/"site.json"
    if not built.exists(): return True
    inputs = [*(ROOT/"nbs").glob("*"), ROOT/".ci"/"site.py", ROOT/"settings.ini"]
    return max(p.stat().st_mtime for p in inputs if p.is_file()) > built.stat().st_mtime

@pytest.fixture(scope="module")
def built():
    "Build `_site/` unless it is newer than every notebook and the builder."
    if _stale(): site.build(SITE)
    return json.loads((SITE/"site.json").read_text(encoding="utf-8"))

class _Quiet(SimpleHTTPRequestHandler):
    def log_message(self, *a): pass

@pytest.fixture(scope="module")
def base(built):
    "`_site/` served on 127.0.0.1 (a free port)."
    srv = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(_Quiet, directory=str(SITE)))
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{srv.server_address[1]}/"
    srv.shutdown(); srv.server_close()

@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    "Headless Debian Chromium with a fresh profile, no network besides the local server."
    try:
        from selenium import webdriver
        from selenium.webdriver.chrome.service import Service
    except ImportError: pytest.fail("chromium is installed but selenium is not: run `bash .ci/site_deps.sh` (or pip install selenium)")
    opts = webdriver.ChromeOptions()
    opts.binary_location = CHROMIUM
    for f in ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-dev-shm-usage",
              "--disable-background-networking", "--disable-component-update", "--disable-sync", "--window-size=1400,1000",
              f"--user-data-dir={tmp_path_factory.mktemp('chromium-profile')}"]: opts.add_argument(f)
    opts.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    drv = webdriver.Chrome(service=Service(DRIVER), options=opts)
    drv.set_page_load_timeout(60)
    yield drv
    drv.quit()

def load(browser, url:str) -> dict:
    "Open `url`; return what the checks need, read from the live page."
    with urllib.request.urlopen(url) as r: assert r.status == 200 and r.read(), f"{url}: HTTP {r.status}"
    browser.get(url)
    return browser.execute_script("""
      const q = s => document.querySelector(s);
      return {ready: document.readyState, title: q('h1.title') && q('h1.title').innerText,
        description: q('#title-block-header .description') ? q('#title-block-header .description').innerText : '',
        nav: [...document.querySelectorAll('#site-nav li')].map(li => ({text: li.innerText, active: li.classList.contains('active')})),
        ids: [...document.querySelectorAll('[id]')].map(e => e.id),
        images: [...document.querySelectorAll('img')].map(i => ({src: i.src.slice(0, 60), ok: i.complete && i.naturalWidth > 0})),
        links: [...document.querySelectorAll('a[href]')].map(a => a.href),
        code: document.querySelectorAll('.jp-CodeCell .jp-InputArea').length,
        outputs: document.querySelectorAll('.jp-OutputArea-output').length};""")

def severe_console(browser) -> list:
    return [e["message"] for e in browser.get_log("browser") if e["level"] == "SEVERE"]

# ---------------------------------------------------------------- checks without a browser
def test_docs_processing_can_run_its_cells():
    """nbdev's docs processing (nbdev_docs, and .ci/site.py) runs only exported cells, show_doc cells and cells that
    import something, in a fresh kernel: none of those may need a name that only the skipped cells define."""
    problems = site.docs_exec_problems(ROOT/"nbs")
    assert not problems, "these cells fail `nbdev_docs`: put their imports in a cell of their own\n  " + "\n  ".join(problems)

def test_sidebar_is_current():
    "nbs/sidebar.yml (Quarto's sidebar) lists every chapter, in order, with its paper section."
    cwd = Path.cwd()
    try:
        os.chdir(ROOT)
        want = site.sidebar_yml(site.chapters(ROOT/"nbs"))
    finally: os.chdir(cwd)
    assert (ROOT/"nbs"/"sidebar.yml").read_text(encoding="utf-8") == want, "nbs/sidebar.yml is stale: run `python .ci/site.py --sidebar`"

# ---------------------------------------------------------------- checks in the browser
@needs_browser
@pytest.mark.parametrize("nb", NBS, ids=[p.stem for p in NBS])
def test_chapter_page(nb, base, browser):
    "The chapter's page loads with its title, paper section, sidebar, API entries and images, and no console error."
    browser.get_log("browser")  # drop earlier pages' messages
    p = load(browser, base + page_of(nb))
    assert p["ready"] == "complete"
    assert p["title"] == expected_title(nb), f"{page_of(nb)}: title {p['title']!r}"
    if nb.stem != "index":
        assert p["description"].strip(), f"{page_of(nb)}: no summary line under the title"
        if nb.name not in NO_PAPER_SECTION:
            assert p["description"].startswith("Paper §"), f"{page_of(nb)}: summary should name the paper section: {p['description']!r}"
    titles = [expected_title(n) for n in NBS]
    assert len(p["nav"]) == len(NBS), f"sidebar lists {len(p['nav'])} chapters, nbs/ has {len(NBS)}"
    for item, t in zip(p["nav"][1:], titles[1:]): assert item["text"].endswith(t), f"sidebar order: {item['text']!r} vs {t!r}"
    assert [i for i, it in enumerate(p["nav"]) if it["active"]] == [NBS.index(nb)]
    ids = set(p["ids"])
    key = lambda n: n.lower().strip("_")   # a heading's id drops a dunder's underscores: ToolWOZData.__getitem__ -> toolwozdata.getitem
    missing = [n for n in expected_api(nb) if key(n) not in ids and not any(i.endswith("." + key(n)) for i in ids)]
    assert not missing, f"{page_of(nb)}: no API entry for {missing}"
    assert len(p["images"]) >= expected_images(nb), f"{page_of(nb)}: {len(p['images'])} images, the notebook has {expected_images(nb)}"
    assert all(i["ok"] for i in p["images"]), f"{page_of(nb)}: images that did not load: {[i for i in p['images'] if not i['ok']]}"
    errors = severe_console(browser)
    assert not errors, f"{page_of(nb)}: browser console errors: {errors}"

@needs_browser
def test_api_entries_found(built):
    "nbdev inserted show_doc entries: the chapters that export code document it (guards the check above from passing on nothing)."
    exporting = [nb for nb in NBS if expected_api(nb)]
    assert exporting, "no notebook exports a function or class?"
    by_source = {c["source"]: c for c in built}
    for nb in exporting: assert by_source[nb.name]["api"], f"{nb.name}: nbdev added no show_doc entries"

@needs_browser
def test_links_between_pages(base, browser):
    "Every link from one page of the site to another (or to a place in one) resolves in the browser."
    pages, targets, bad = [base + page_of(nb) for nb in NBS], {}, []
    for url in pages:
        for href in load(browser, url)["links"]:
            if href.startswith(site.get_config().doc_host) or urldefrag(href)[0].endswith(".ipynb"):
                bad.append(f"{url}: {href} (should be a relative link to a page)")
            if href.startswith(base): targets.setdefault(urldefrag(href)[0], set()).add((url, urldefrag(href)[1]))
    assert len(targets) >= len(pages) - 1, "pages hardly link to each other: is the sidebar there?"
    for target, refs in targets.items():
        try: ids = set(load(browser, target)["ids"])
        except Exception as e: bad += [f"{src}: {target} ({e})" for src, _ in refs]; continue
        bad += [f"{src}: {target}#{frag} (no such id)" for src, frag in refs if frag and frag not in ids]
    assert not bad, "broken links:\n" + "\n".join(sorted(bad))

@needs_browser
def test_screenshots(base, browser):
    """Screenshots of the home page and of the JOSH chapter (the environment chapter until JOSH lands): the top of
    each page, and for the chapter also its first code cell with a figure (else with any output) in view."""
    out = SITE/"screenshots"; out.mkdir(exist_ok=True)
    josh = next((nb for nb in NBS if nb.name.endswith("_josh.ipynb")), None) or next(nb for nb in NBS if nb.name.endswith("_toolwoz_env.ipynb"))
    browser.set_window_size(1400, 1600)
    shots = []
    for nb in (NBS[0], josh):
        p = load(browser, base + page_of(nb))
        assert p["code"] and p["outputs"], f"{page_of(nb)}: a chapter page should show code and its outputs"
        shots.append(out/f"{Path(page_of(nb)).stem}.png"); browser.save_screenshot(str(shots[-1]))
    found = browser.execute_script("""
      const cells = [...document.querySelectorAll('.jp-CodeCell')].filter(c => c.querySelector('.jp-InputArea'));
      const cell = cells.find(c => c.querySelector('.jp-RenderedImage')) || cells.find(c => c.querySelector('.jp-OutputArea-output'));
      if (!cell) return false;
      cell.scrollIntoView(); window.scrollBy(0, -80); return true;""")
    assert found, f"{page_of(josh)}: no code cell with an output"
    shots.append(out/f"{Path(page_of(josh)).stem}-outputs.png"); browser.save_screenshot(str(shots[-1]))
    for f in shots: assert f.stat().st_size > 20_000, f"screenshot {f} is blank"

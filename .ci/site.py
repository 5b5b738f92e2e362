"""The docs site without Quarto: the pages `nbdev_docs` builds, rendered offline into `_site/`.

    python .ci/site.py            # update nbs/sidebar.yml, process the notebooks, render _site/, check its links
    python .ci/site.py --check    # the same, but fail (instead of rewriting) when nbs/sidebar.yml is out of date
    python .ci/site.py --sidebar  # only update nbs/sidebar.yml (after adding or renaming a chapter)

1. nbdev processes the notebooks exactly as it does for Quarto (`proc_nbs`, the work of `nbdev_proc_nbs`):
   front matter from each `# Title` / `> summary` cell, a `show_doc` cell after every exported symbol (the API
   entries), hidden and exported cells emptied, symbol names linked. Output: `_proc/`.
   `nbdev_proc_nbs` itself is not called: without Quarto on the PATH it first tries to install Quarto (curl +
   sudo dpkg, then `pip install -e .[dev]`), which an offline CI must not do; the steps after that are the same.
2. The chapters, in file order (index first), give the sidebar: `nbs/sidebar.yml` for Quarto, the same list for
   the offline pages. Each entry reads "§N title", the paper section taken from the chapter's `> Paper §N: ...`.
3. Each processed notebook becomes one HTML page through nbconvert's HTML exporter (the Jupyter project's
   maintained renderer, already installed with the notebook tools; it renders every output type a notebook
   holds: tables, images as embedded data, markdown, tracebacks). A small template adds the sidebar, the chapter
   header and previous/next links. mkdocs-jupyter would put mkdocs, a theme and a config on top of the same
   nbconvert, for nothing these pages need. Before rendering, the few Quarto constructs nbconvert does not know
   are translated: cell options (`#| echo: false`, `#| include: false`, `#| output: false`), link attributes
   (`[source](url){target="_blank"}`), links to the published site (made relative, so they work offline and
   are checked), links to `NN_name.ipynb` (to `name.html`, as Quarto does) and fenced-div markers (`:::`).
   Heading ids follow Quarto's (lower case), so nbdev's links `page.html#symbol` land on the API entry.
4. Every local link and image of every page is checked: the file exists and the `#fragment` is an id on it.
   (nbdev links every backticked name it knows, private helpers too; those get no API entry, so such a link
   with no target anchor is turned back into plain code, and the build says so.)
   `_site/site.json` lists the pages, their titles, paper sections and API entries for the browser check
   (tests/test_site.py), which loads every page in headless Chromium.
5. Before any of that, every figure a chapter states must come from a cell: a markdown table of measurements (a
   table with a number in its body) fails the build, and so does a notebook with code to run but no stored output.
   A table is produced by a cell that computes it, or that reads the log a benchmark wrote (`data/bench/*.json`).
   The one narrow exception is a table of facts that no run measures (`FACT_TABLES`: named by notebook and header
   row, each with its reason). Tested on synthetic notebooks by tests/test_typed_tables.py.
"""
from __future__ import annotations
import argparse, ast, html, json, os, re, shutil, sys
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urldefrag, urlsplit

import nbformat, yaml
from nbconvert import HTMLExporter
from nbformat.v4.rwbase import rejoin_lines
from nbdev.config import get_config

ROOT = Path(__file__).resolve().parents[1]
SITE = ROOT/"_site"

class SiteError(Exception): "A problem that stops the site from building (message says what to fix)."

# ---------------------------------------------------------------- 1. nbdev's processing
def process(force:bool=True, n_workers:int=2) -> Path:
    "Process the notebooks for the docs into `_proc/` (what `nbdev_proc_nbs` does after its Quarto set-up)."
    from nbdev.quarto import refresh_quarto_yml
    from nbdev.serve import proc_nbs
    cfg = get_config()
    refresh_quarto_yml()  # nbs/nbdev.yml from settings.ini; keeps nbs/_quarto.yml
    env, cwd = dict(os.environ), os.getcwd()
    # nbdev warns, cell by cell, about cells that mix imports and code; the error below says what matters
    os.environ.setdefault("PYTHONWARNINGS", "ignore:Found cells containing imports:UserWarning")
    # ... and runs those cells: let them find the reference data the way the tests do, from where notebooks run
    shared = ROOT.parent/"shared"/"data"
    if "JOSH_NB_DATA" not in os.environ and (shared/"multiwoz").is_dir(): os.environ["JOSH_NB_DATA"] = str(shared)
    os.chdir(cfg.nbs_path)
    try: return proc_nbs(cfg.nbs_path, n_workers=n_workers, force=force)
    except Exception as e:
        cells = docs_exec_problems(cfg.nbs_path)
        # the first error in the worker's traceback is the cell's own (nbdev re-raises it as "Error in notebook")
        root = re.search(r"^(\w+(?:Error|Exception|Exit)\b.*)$", str(e.__cause__ or ""), flags=re.M)
        c = e.__cause__
        cause = f"\n  -> {root.group(1)}" if root else f"\n  -> {type(c).__name__}: {c}" if c else ""
        raise SiteError(f"nbdev could not process the notebooks for the docs: {e}{cause}\n\nnbdev runs, in a fresh kernel, only "
                        "the exported cells, the show_doc cells and every cell with an import statement (even one inside "
                        "a function); such a cell that also uses names only skipped cells define, or does slow work, "
                        "fails or costs time there. Put its imports in a cell of their own (or at the top of the "
                        "notebook). " +
                        (f"Cells that will fail this way:\n  " + "\n  ".join(cells) if cells else "")) from e
    finally: os.chdir(cwd); os.environ.clear(); os.environ.update(env)

def _docs_runs(opts:dict, tree) -> bool:
    "Does nbdev's docs processing run this cell? (exported cells, cells with an import, show_doc calls; not `eval: false`)"
    if opts.get("eval", "").lower() == "false": return False
    if {"export", "exports", "exporti", "exec_doc"} & set(opts): return True
    if any(isinstance(n, (ast.Import, ast.ImportFrom)) for n in ast.walk(tree)): return True
    return any(isinstance(n, ast.Call) and getattr(n.func, "id", None) == "show_doc" for n in ast.walk(tree))

def _bound_and_used(tree) -> tuple:
    "Names a cell binds, and names it reads while it runs (function and class bodies only run when called)."
    bound, used = set(), set()
    def visit(node, top=True):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            bound.add(node.name)
            for d in node.decorator_list: visit(d)
            if not isinstance(node, ast.ClassDef):
                for d in node.args.defaults + node.args.kw_defaults:
                    if d is not None: visit(d)
            else:
                for b in node.bases: visit(b)
            return
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            bound.update((a.asname or a.name).split(".")[0] for a in node.names if a.name != "*"); return
        if isinstance(node, ast.Name): (used if isinstance(node.ctx, ast.Load) else bound).add(node.id)
        elif isinstance(node, ast.arg): bound.add(node.arg)
        elif isinstance(node, ast.ExceptHandler) and node.name: bound.add(node.name)
        for child in ast.iter_child_nodes(node): visit(child)
    visit(tree)
    return bound, used - bound

def docs_exec_problems(nbs:Path) -> list:
    "The cells nbdev's docs processing runs that read names only the cells it skips define (each fails the build)."
    import builtins, importlib
    from nbdev.doclinks import nbglob
    problems = []
    for p in nbglob(nbs, file_glob="*.ipynb", func=Path):
        avail = set(dir(builtins)) | {"show_doc", "display", "get_ipython", "In", "Out"}
        for c in json.loads(p.read_text(encoding="utf-8"))["cells"]:
            if c["cell_type"] != "code": continue
            opts, code = split_directives("".join(c.get("source", "")))
            try: tree = ast.parse(code)
            except SyntaxError: continue  # IPython magics: nbdev's shell runs them, this check cannot read them
            if not _docs_runs(opts, tree): continue
            for n in ast.walk(tree):
                if isinstance(n, ast.ImportFrom) and any(a.name == "*" for a in n.names) and n.module:
                    try: m = importlib.import_module(n.module)
                    except Exception: avail.add("*")  # cannot tell what it defines: stop judging this notebook
                    else: avail.update(getattr(m, "__all__", [k for k in dir(m) if not k.startswith("_")]))
            bound, used = _bound_and_used(tree)
            missing = sorted(used - avail)
            if missing and "*" not in avail:
                first = next((l for l in code.splitlines() if l.strip() and not l.lstrip().startswith("#")), "")
                problems.append(f"{p.relative_to(nbs)}: the cell starting {first.strip()[:70]!r} uses {', '.join(missing)}")
            avail |= bound
    return problems

# ---------------------------------------------------------------- 2. chapters and the sidebar
def paper_section(description:str) -> str:
    "The paper section a chapter names in its summary (`Paper §3.1–3.2: ...` -> `§3.1–3.2`), else ''."
    m = re.match(r"\s*Paper\s+(§[^:]+?)\s*:", description or "")
    return m.group(1) if m else ""

_re_showdoc = re.compile(r"^\s*show_doc\(\s*([\w.]+)", flags=re.M)

def chapters(nbs:Path) -> list:
    "Every notebook nbdev renders as a page, in reading order (index first, then by path), with its front matter."
    from nbdev.doclinks import nbglob
    from nbdev.frontmatter import FrontmatterProc
    from nbdev.process import NBProcessor
    files = sorted(nbglob(nbs, file_glob="*.ipynb", func=Path), key=lambda p: (p.stem != "index", p.relative_to(nbs).as_posix()))
    res = []
    for p in files:
        fm = getattr(NBProcessor(p, procs=FrontmatterProc, process=True).nb, "frontmatter_", {})  # as nbdev_docs reads it
        rel = p.relative_to(nbs)
        if "title" not in fm: raise SiteError(f"nbs/{rel.as_posix()} has no title: its first cell must be '# Title' then '> summary'")
        desc = str(fm.get("description", ""))
        res.append(dict(source=rel.as_posix(), page=rel.with_name(fm["output-file"]).as_posix(), title=str(fm["title"]),
                        description=desc, section=paper_section(desc), api=[]))
    if not res or res[0]["source"] != "index.ipynb": raise SiteError("nbs/index.ipynb is missing: it is the site's home page")
    return res

def api_entries(proc_nb:Path) -> list:
    "The API entries (show_doc cells) nbdev put in a processed notebook: name and the id of its heading."
    nb = json.loads(proc_nb.read_text(encoding="utf-8"))
    names = [m.group(1) for c in nb["cells"] if c["cell_type"] == "code" for m in _re_showdoc.finditer("".join(c.get("source") or ""))]
    return [dict(name=n, id=slug(n)) for n in names]

def nav_text(ch:dict) -> str:
    "A chapter's sidebar entry: the paper section, then the title."
    if ch["source"] == "index.ipynb": return "Overview"
    return f"{ch['section']} {ch['title']}" if ch["section"] else ch["title"]

def sidebar_yml(chs:list) -> str:
    "nbs/sidebar.yml for Quarto: the chapters in reading order, each titled with its paper section."
    contents = [dict(text=nav_text(c), href=c["source"]) for c in chs]
    head = ("# Generated by `python .ci/site.py` from the notebooks' titles and `> Paper §N: ...` summaries; do not edit.\n"
            "# settings.ini `custom_sidebar = True` keeps nbdev_docs from replacing it with a plain list of files.\n")
    return head + yaml.safe_dump({"website": {"sidebar": {"contents": contents}}}, sort_keys=False, allow_unicode=True, width=200)

# ---------------------------------------------------------------- 3. rendering
_re_dir = re.compile(r"^\s*#\|\s*([\w-]+)\s*:?\s*(.*?)\s*$")

def split_directives(src:str) -> tuple:
    "Quarto/nbdev cell options (`#| key: value` lines at the top of a code cell) and the code after them."
    lines, opts = src.splitlines(), {}
    while lines and _re_dir.match(lines[0]):
        k, v = _re_dir.match(lines.pop(0)).groups()
        opts[k] = v.strip().strip("\"'")
    return opts, "\n".join(lines).strip("\n")

def _attrs(spec:str) -> str:
    "Quarto attribute syntax `{.cls #id key=\"v\"}` as HTML attributes."
    out, classes = [], []
    for tok in re.findall(r'[\w-]+="[^"]*"|[\w-]+=\S+|[.#][\w-]+', spec):
        if tok[0] == ".": classes.append(tok[1:])
        elif tok[0] == "#": out.append(f'id="{tok[1:]}"')
        else:
            k, v = tok.split("=", 1)
            out.append(f'{k}="{html.escape(v.strip(chr(34)), quote=True)}"')
    if classes: out.append(f'class="{" ".join(classes)}"')
    return " ".join(out)

def html_name(path:str) -> str:
    "The page Quarto/nbdev make of a notebook path: numeric prefix dropped, lower case (`02_Env.ipynb` -> `env.html`)."
    p = Path(path)
    return p.with_name(re.sub(r"^\d+[a-zA-Z0-9]*_", "", p.name.lower())).with_suffix(".html").as_posix()

def fix_markdown(md:str, site_url:str) -> str:
    "Markdown written for Quarto, readable by nbconvert: relative site links, `.ipynb` links as pages, no `{attrs}` or `:::`."
    if site_url: md = md.replace(site_url.rstrip("/") + "/", "")
    def nb_link(m):
        url, frag = urldefrag(m.group(2))
        if urlsplit(url).scheme or not url.endswith(".ipynb"): return m.group(0)
        return f"]({html_name(url)}{'#' + frag if frag else ''})"
    md = re.sub(r"\]\((\s*)([^)\s]+)\)", nb_link, md)
    md = re.sub(r"\[([^\]]*)\]\(([^)\s]+)\)\{([^}]*)\}", lambda m: f'<a href="{m[2]}" {_attrs(m[3])}>{m[1]}</a>', md)
    return re.sub(r"^:::.*$\n?", "", md, flags=re.M)

def web_notebook(nb:dict, site_url:str):
    "The processed notebook as nbconvert should render it: Quarto cell options applied, hidden cells gone."
    cells = []
    for c in nb["cells"]:
        src = "".join(c.get("source") or "")
        if c["cell_type"] == "raw":
            if src.lstrip().startswith("---"): continue  # front matter: rendered as the page header
            c = dict(c, cell_type="markdown")
        if c["cell_type"] == "markdown":
            if src.strip(): cells.append(nbformat.v4.new_markdown_cell(fix_markdown(src, site_url)))
            continue
        if "source" not in c or c["cell_type"] != "code": continue  # nbdev empties hidden and exported cells
        opts, code = split_directives(src)
        if opts.get("include") == "false": continue
        outs = [] if opts.get("output") == "false" else c.get("outputs", [])
        for o in outs:
            md = o.get("data", {}).get("text/markdown")
            if md is not None: o["data"]["text/markdown"] = fix_markdown("".join(md), site_url)
        hide_code = opts.get("echo") == "false" or not code.strip()
        if hide_code and not outs: continue
        cell = nbformat.v4.new_code_cell(code, outputs=[nbformat.from_dict(o) for o in outs])
        if hide_code: cell.metadata["transient"] = {"remove_source": True}
        cells.append(cell)
    nb = nbformat.v4.new_notebook(cells=cells, metadata={"language_info": {"name": "python"}})
    return rejoin_lines(nb)  # outputs stored as lists of lines, as nbformat.read would join them

TEMPLATE = r"""{%- extends 'index.html.j2' -%}
{#- the lab template, offline: no require.js / MathJax / mermaid from a CDN (nothing here needs them) -#}
{%- block html_head_js -%}{%- endblock html_head_js -%}
{%- block html_head_js_mathjax -%}{%- endblock html_head_js_mathjax -%}
{%- block html_head_js_mermaidjs -%}{%- endblock html_head_js_mermaidjs -%}
{%- block html_head_css -%}<link rel="icon" href="data:,">
<style type="text/css">{{ resources.site.css }}</style>{%- endblock html_head_css -%}
{%- block body_header -%}
<body class="jp-Notebook site" data-jp-theme-light="true" data-jp-theme-name="JupyterLab Light">
<nav id="site-nav" aria-label="Chapters">
<a class="site-title" href="{{ resources.site.home }}">{{ resources.site.name | e }}</a>
<p class="site-tagline">{{ resources.site.tagline | e }}</p>
<ol>
{%- for c in resources.site.nav %}
<li{% if c.current %} class="active"{% endif %}><a href="{{ c.href }}">{% if c.section %}<span class="sec">{{ c.section | e }}</span>{% endif %}<span class="ttl">{{ c.title | e }}</span></a></li>
{%- endfor %}
</ol>
</nav>
<main id="site-main">
<header id="title-block-header">
<h1 class="title">{{ resources.site.title | e }}</h1>
{%- if resources.site.description %}
<div class="description">{{ resources.site.description | markdown2html }}</div>
{%- endif %}
</header>
{%- endblock body_header -%}
{% block body_footer %}
<nav class="page-navigation">
{%- if resources.site.prev %}<a class="prev" href="{{ resources.site.prev.href }}">← {{ resources.site.prev.title | e }}</a>{% endif %}
{%- if resources.site.next %}<a class="next" href="{{ resources.site.next.href }}">{{ resources.site.next.title | e }} →</a>{% endif %}
</nav>
</main>
</body>
{% endblock body_footer %}
"""

LAYOUT_CSS = """
body.jp-Notebook.site { margin: 0; padding: 0; overflow: visible; }
#site-nav { position: fixed; top: 0; left: 0; bottom: 0; width: 17rem; overflow-y: auto; box-sizing: border-box;
  padding: 1.2rem .8rem; background: #f5f7fa; border-right: 1px solid #dde3ea; font: 14px/1.4 system-ui, sans-serif; }
#site-nav .site-title { font-size: 1.35rem; font-weight: 700; color: #1f3b63; text-decoration: none; }
#site-nav .site-tagline { color: #5b6b7d; font-size: .8rem; margin: .3rem 0 1rem; }
#site-nav ol { list-style: none; margin: 0; padding: 0; }
#site-nav li a { display: block; padding: .35rem .55rem; margin-bottom: .1rem; border-radius: 5px; color: #24292f; text-decoration: none; }
#site-nav li a:hover { background: #e6edf5; }
#site-nav li.active a { background: #d6e6fa; font-weight: 600; }
#site-nav .sec { display: block; color: #5b6b7d; font-size: .75rem; font-weight: 500; }
#site-main { margin-left: 17rem; padding: 1.5rem 2.5rem 4rem; max-width: 64rem; }
#title-block-header, .page-navigation { font-family: system-ui, -apple-system, "Segoe UI", sans-serif; }
#title-block-header { border-bottom: 1px solid #dde3ea; margin-bottom: 1.2rem; padding-bottom: .6rem; }
#title-block-header h1.title { font-size: 2.2rem; margin: .2rem 0 .4rem; }
#title-block-header .description p { margin: 0; }
.jp-RenderedHTMLCommon pre, .jp-RenderedHTMLCommon code { font-family: var(--jp-code-font-family, monospace), monospace; }
.jp-RenderedHTMLCommon pre { background: #f6f8fa; border: 1px solid #e4e8ee; border-radius: 5px; padding: .55rem .8rem; margin: .4rem 0 .9rem; }
.jp-RenderedMarkdown.jp-OutputArea-output h3, .jp-RenderedMarkdown.jp-OutputArea-output h4 { color: #1f3b63; }
.page-navigation { display: flex; justify-content: space-between; border-top: 1px solid #dde3ea; margin-top: 2rem; padding-top: 1rem; font: 15px system-ui, sans-serif; }
.page-navigation .next { margin-left: auto; }
@media (max-width: 900px) { #site-nav { position: static; width: auto; } #site-main { margin-left: 0; padding: 1rem; } }
"""

def slug(text:str) -> str:
    "A heading's id as Quarto (pandoc) makes it: lower case, spaces to '-', only letters, digits, '_', '-', '.'."
    s = html.unescape(re.sub(r"<[^>]+>", "", text)).strip().lower()
    s = re.sub(r"[^\w\s.-]", "", s)
    s = re.sub(r"\s+", "-", s)
    return re.sub(r"^[^a-z_]+", "", s) or "section"

def quarto_ids(body:str) -> str:
    "Give headings Quarto's ids (nbconvert keeps the heading's case; nbdev links to `page.html#symbol` in lower case)."
    seen = set()
    def fix(m):
        lvl, old, inner = m.group(1), m.group(2), m.group(3)
        base = slug(re.sub(r'<a class="anchor-link".*?</a>', "", inner)); new, i = base, 0
        while new in seen: i += 1; new = f"{base}-{i}"
        seen.add(new)
        inner = inner.replace(f'href="#{old}"', f'href="#{new}"')
        return f'<h{lvl} id="{new}">{inner}</h{lvl}>'
    return re.sub(r'<h([1-6]) id="([^"]*)">(.*?)</h\1>', fix, body, flags=re.S)

def render(chs:list, proc:Path, cfg) -> dict:
    "One HTML page per chapter: {page path: html}."
    site_url = f"{cfg.get('doc_host', '')}{cfg.get('doc_baseurl', '')}"
    css = LAYOUT_CSS + ((cfg.nbs_path/"styles.css").read_text() if (cfg.nbs_path/"styles.css").exists() else "")
    exporter = HTMLExporter(template_name="lab", raw_template=TEMPLATE, exclude_input_prompt=True,
                            exclude_output_prompt=True, anchor_link_text="¶")
    pages = {}
    for i, ch in enumerate(chs):
        up = "../" * (len(Path(ch["page"]).parts) - 1)
        nav = [dict(href=up + c["page"], title=c["title"] if c is not chs[0] else "Overview",
                    section=c["section"] or "", current=c is ch) for c in chs]
        site = dict(name=cfg.get("title", cfg.lib_name), home=up + "index.html", tagline=cfg.get("description", ""), nav=nav, css=css,
                    title=ch["title"], description=ch["description"],
                    prev=dict(href=up + chs[i-1]["page"], title=nav_text(chs[i-1])) if i else None,
                    next=dict(href=up + chs[i+1]["page"], title=nav_text(chs[i+1])) if i + 1 < len(chs) else None)
        nb = web_notebook(json.loads((proc/ch["source"]).read_text(encoding="utf-8")), site_url)
        nb.metadata["title"] = ch["title"] if i == 0 else f"{ch['title']} – {site['name']}"
        body, _ = exporter.from_notebook_node(nb, resources={"site": site})
        pages[ch["page"]] = quarto_ids(body)
    return pages

_re_symlink = re.compile(r'<a href="([^"#:]*)#([^"]+)"\s*>(<code>[^<]*</code>)</a>')

def unlink_missing_symbols(pages:dict) -> list:
    """nbdev links every backticked name it knows to `page.html#name`, private helpers too, which get no API
    entry and so no anchor: such a link (a lone `code` link to an id the page lacks) is turned back into code."""
    ids = {p: _Refs.of(h).ids for p, h in pages.items()}
    dropped = []
    for p in pages:
        def fix(m):
            target = (Path(p).parent/m.group(1)).as_posix() if m.group(1) else p
            if target in ids and m.group(2) not in ids[target]:
                dropped.append(f"{p}: {m.group(1)}#{m.group(2)}"); return m.group(3)
            return m.group(0)
        pages[p] = _re_symlink.sub(fix, pages[p])
    return dropped

def copy_assets(proc:Path, out:Path) -> None:
    "Files beside the notebooks (images a notebook links to) go beside the pages."
    for p in proc.rglob("*"):
        rel = p.relative_to(proc)
        if p.is_file() and p.suffix not in (".ipynb", ".yml", ".yaml") and not any(s.startswith((".", "_")) for s in rel.parts):
            (out/rel).parent.mkdir(parents=True, exist_ok=True); shutil.copy2(p, out/rel)

# ---------------------------------------------------------------- 4. link check
class _Refs(HTMLParser):
    "The ids a page defines and the links and images it refers to."
    def __init__(self):
        super().__init__(); self.ids, self.refs = set(), []
    @classmethod
    def of(cls, text:str):
        r = cls(); r.feed(text); return r
    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if a.get("id"): self.ids.add(a["id"])
        if tag == "a" and a.get("name"): self.ids.add(a["name"])
        if tag == "a" and a.get("href"): self.refs.append(("link", a["href"]))
        if tag == "img" and a.get("src"): self.refs.append(("image", a["src"]))

def broken_links(out:Path) -> list:
    "Every local link or image in the site that points to a missing file or a missing `#id`."
    pages = {p: _Refs() for p in out.rglob("*.html")}
    for p, r in pages.items(): r.feed(p.read_text(encoding="utf-8"))
    bad = []
    for p, r in pages.items():
        for kind, ref in r.refs:
            u = urlsplit(ref)
            if u.scheme or ref.startswith("//"): continue  # external (source links on GitHub) or data: images
            target = (p.parent/u.path).resolve() if u.path else p
            where = f"{p.relative_to(out)}: {kind} {ref!r}"
            if not target.is_file(): bad.append(f"{where} -> no such file"); continue
            if u.fragment and target in pages and u.fragment not in pages[target].ids: bad.append(f"{where} -> no id {u.fragment!r} there")
    return bad

# ---------------------------------------------------------------- 5. figures come from cells
# Markdown tables with numbers that are facts, not measurements: notebook -> {header row: why it may be typed}.
# Keep it narrow: a header names one table; a measured figure (a time, a rate, a reward, a count of a run) never goes here.
FACT_TABLES = {
    "03_models.ipynb": {
        "| spec | model | part distributions | GGUF file | GGUF `general.name`, blocks |":
            "the published model files' sizes and GGUF headers: pinned, and checked by the chapter's code on every use",
    },
}

_re_sep = re.compile(r"^\s*\|?\s*:?-{3,}:?\s*(\|\s*:?-{3,}:?\s*)*\|?\s*$")
_re_number = re.compile(r"^[~≈<>±+−-]?\$?\d[\d,]*(\.\d+)?(%|x|×|[kMGT]?B|GiB|MiB|KiB|s|ms|µs|min|h)?$")

def table_cells(line:str) -> list:
    "The cells of a markdown table row (`|` escaped with a backslash stays in its cell), stripped."
    parts = re.split(r"(?<!\\)\|", line.strip())
    if parts and not parts[0].strip(): parts = parts[1:]
    if parts and not parts[-1].strip(): parts = parts[:-1]
    return [c.strip() for c in parts]

def is_number(cell:str) -> bool:
    "Does a table cell state a number (its first word, emphasis and code marks removed: `1,425.7`, `**0.0104**`, `8.76 GB`, `132x`)?"
    words = re.sub(r"[*_`]", "", cell).split()
    return bool(words) and bool(_re_number.match(words[0]))

def markdown_tables(md:str) -> list:
    "The tables of a markdown text, outside fenced code: (header row as written, body rows as lists of cells)."
    lines, out, fenced, i = md.splitlines(), [], False, 0
    while i < len(lines):
        if lines[i].lstrip().startswith(("```", "~~~")): fenced = not fenced; i += 1; continue
        if not fenced and "|" in lines[i] and i + 1 < len(lines) and _re_sep.match(lines[i + 1]):
            head, body, i = lines[i].strip(), [], i + 2
            while i < len(lines) and lines[i].strip().startswith("|"): body.append(table_cells(lines[i])); i += 1
            out.append((head, body)); continue
        i += 1
    return out

def typed_measurements(nb_path:Path, facts:dict=None) -> list:
    "Markdown tables of a notebook that state numbers no cell computes (allowed: its `facts` headers); one line each."
    facts = (FACT_TABLES if facts is None else facts).get(Path(nb_path).name, {})
    bad = []
    for n, c in enumerate(json.loads(Path(nb_path).read_text(encoding="utf-8"))["cells"]):
        if c["cell_type"] != "markdown": continue
        for head, body in markdown_tables("".join(c.get("source", ""))):
            nums = [x for row in body for x in row if is_number(x)]
            if nums and head not in facts:
                bad.append(f"{Path(nb_path).name}, cell {n}: the table {head[:80]!r} types in {len(nums)} numbers "
                           f"(e.g. {nums[0]!r})")
    return bad

def missing_outputs(nb_path:Path) -> list:
    "A notebook with code cells a reader sees (not hidden, exported or skipped) but no stored output at all: why, or []."
    cells = json.loads(Path(nb_path).read_text(encoding="utf-8"))["cells"]
    visible = 0
    for c in cells:
        if c["cell_type"] != "code": continue
        opts, code = split_directives("".join(c.get("source", "")))
        if {"hide", "export", "exports", "exporti", "default_exp"} & set(opts) or opts.get("include") == "false": continue
        if code.strip(): visible += 1
    if visible and not any(c.get("outputs") for c in cells if c["cell_type"] == "code"):
        return [f"{Path(nb_path).name}: {visible} code cells and no stored output: execute it (and commit its outputs)"]
    return []

def unproduced_figures(nbs:Path, facts:dict=None) -> list:
    "Every chapter's typed-in measurement tables and every notebook without stored outputs (each fails the build)."
    from nbdev.doclinks import nbglob
    out = []
    for p in sorted(nbglob(nbs, file_glob="*.ipynb", func=Path)): out += typed_measurements(p, facts) + missing_outputs(p)
    return out

def check_figures(nbs:Path) -> None:
    "Fail when a chapter states a figure that no cell produced."
    bad = unproduced_figures(nbs)
    if bad: raise SiteError("figures no cell produced (a chapter's tables of measurements must be a cell's output, computed "
                            "live or read from the log a benchmark wrote under data/bench/; a table of facts may be allowed, "
                            "narrowly, in FACT_TABLES in .ci/site.py):\n  " + "\n  ".join(bad))

# ---------------------------------------------------------------- the build
def build(out:Path=SITE, check_sidebar:bool=False, force:bool=True, sidebar_only:bool=False) -> list:
    "Build the offline site into `out`; return the chapters (also written to `out/site.json`)."
    cwd = os.getcwd(); os.chdir(ROOT)  # nbdev finds settings.ini from the working directory
    try: return _build(out, check_sidebar, force, sidebar_only)
    finally: os.chdir(cwd)

def update_sidebar(chs:list, check:bool=False) -> bool:
    "Write nbs/sidebar.yml from the chapters; with `check`, fail instead when it is out of date. True if rewritten."
    sb, want = get_config().nbs_path/"sidebar.yml", sidebar_yml(chs)
    if sb.exists() and sb.read_text(encoding="utf-8") == want: return False
    if check: raise SiteError("nbs/sidebar.yml is out of date with the notebooks: run `python .ci/site.py --sidebar`")
    sb.write_text(want, encoding="utf-8"); print("updated nbs/sidebar.yml")
    return True

def _build(out, check_sidebar, force, sidebar_only=False):
    cfg = get_config()
    chs = chapters(cfg.nbs_path)
    update_sidebar(chs, check=check_sidebar)
    if sidebar_only: return chs
    check_figures(cfg.nbs_path)
    proc = process(force=force)
    for p in proc.rglob("*.ipynb"):  # with --reuse: a notebook deleted since is no chapter
        if not (cfg.nbs_path/p.relative_to(proc)).exists(): p.unlink()
    for ch in chs: ch["api"] = api_entries(proc/ch["source"])
    if out.exists(): shutil.rmtree(out)
    out.mkdir(parents=True)
    copy_assets(proc, out)
    pages = render(chs, proc, cfg)
    for d in unlink_missing_symbols(pages): print(f"  note: no API entry for {d.split('#')[-1]!r} (private?): its link is plain code ({d})")
    for p, text in pages.items(): (out/p).parent.mkdir(parents=True, exist_ok=True); (out/p).write_text(text, encoding="utf-8")
    (out/"site.json").write_text(json.dumps(chs, indent=1, ensure_ascii=False), encoding="utf-8")
    bad = broken_links(out)
    if bad: raise SiteError("broken links in the site:\n  " + "\n  ".join(bad))
    return chs

if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--check", action="store_true", help="fail if nbs/sidebar.yml is out of date instead of rewriting it")
    ap.add_argument("--out", default=str(SITE), help="output folder (default: _site)")
    ap.add_argument("--reuse", action="store_true", help="reprocess only notebooks changed since the last build (nbdev's cache)")
    ap.add_argument("--sidebar", action="store_true", help="only update nbs/sidebar.yml (with --check: only check it)")
    a = ap.parse_args()
    try: chs = build(Path(a.out).resolve(), check_sidebar=a.check, force=not a.reuse, sidebar_only=a.sidebar)
    except SiteError as e: sys.exit(f"site: error: {e}")
    if a.sidebar: sys.exit(print("nbs/sidebar.yml is current") or 0)
    for c in chs: print(f"  {c['page']:<22} {nav_text(c):<40} {len(c['api']):>3} API entries")
    print(f"site: {len(chs)} pages in {Path(a.out).resolve().relative_to(ROOT) if Path(a.out).resolve().is_relative_to(ROOT) else a.out}, links checked")

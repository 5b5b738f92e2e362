"""The book's order is the package's: a chapter's module imports only the modules of chapters numbered before it, and
the small core (JOSH, the conversation loop) loads no environment."""
import re, subprocess, sys
from conftest import ROOT

PKG = ROOT/"josh_nb"

def chapters() -> dict:
    "Each exported module's notebook stem (its first `# %% ../nbs/X.ipynb` marker), by module name."
    out = {}
    for f in PKG.glob("*.py"):
        if (m := re.search(r"^# %% \.\./nbs/(\S+)\.ipynb", f.read_text(), re.M)): out[f.stem] = m.group(1)
    return out

def test_chapters_import_only_earlier_chapters():
    ch = chapters()
    assert {"core", "backends", "registry", "loop"} <= set(ch)
    later = [(ch[m], ch[d]) for m in ch for d in re.findall(r"^from \.(\w+) import", (PKG/f"{m}.py").read_text(), re.M)
             if d in ch and ch[d] > ch[m]]
    assert later == [], f"chapters importing later chapters: {later}"

def test_josh_loads_no_environment():
    code = "import josh_nb.josh, josh_nb.registry, sys; print(sorted(m for m in sys.modules if m.startswith('josh_nb')))"
    mods = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert "josh_nb.josh" in mods and "josh_nb.registry" in mods
    for env in ("taubench", "tau_env", "tau_sim", "tau_tools"): assert f"josh_nb.{env}'" not in mods, mods
    only_josh = subprocess.run([sys.executable, "-c", code.replace(", josh_nb.registry", "")], capture_output=True, text=True,
                               check=True).stdout
    for env in ("toolwoz_env", "toolwoz_data", "taubench"): assert f"josh_nb.{env}'" not in only_josh, only_josh

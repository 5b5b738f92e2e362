"""README.md from nbs/index.ipynb (Quarto, which `nbdev_readme` needs, is not available offline).

`python .ci/readme.py` writes README.md; `--check` fails if README.md differs from what it would write;
`--test-command` prints the README's test command (the second ```sh block of the Install section)."""
import json, re, sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

def render(nb_path=ROOT/"nbs"/"index.ipynb") -> str:
    nb = json.loads(Path(nb_path).read_text())
    out = []
    for c in nb["cells"]:
        src = "".join(c["source"])
        if c["cell_type"] == "markdown": out.append(src.strip()); continue
        lines = src.splitlines()
        if any(re.match(r"#\|\s*hide\s*$", l) for l in lines): continue
        code = "\n".join(l for l in lines if not l.startswith("#|")).strip()
        out.append(f"```python\n{code}\n```")
        for o in c.get("outputs", []):
            txt = "".join(o.get("text", "")) or "".join(o.get("data", {}).get("text/plain", ""))
            if txt.strip(): out.append(f"```\n{txt.rstrip()}\n```")
    return "<!-- generated from nbs/index.ipynb by .ci/readme.py: do not edit -->\n\n" + "\n\n".join(out) + "\n"

def test_command(text:str) -> str:
    blocks = re.findall(r"```sh\n(.*?)\n```", text, flags=re.S)
    return blocks[1].strip()

if __name__ == "__main__":
    txt = render()
    if "--test-command" in sys.argv: print(test_command(txt))
    elif "--check" in sys.argv:
        if (ROOT/"README.md").read_text() != txt: sys.exit("README.md is not what nbs/index.ipynb generates: run `python .ci/readme.py`")
        print("README.md matches nbs/index.ipynb")
    else: (ROOT/"README.md").write_text(txt); print("wrote README.md")

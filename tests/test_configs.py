"Every console script of settings.ini is a typed config: its --help is generated from the config's fields."
import argparse, dataclasses, importlib
from configparser import ConfigParser
import pytest
from conftest import ROOT
from josh_nb.core import config_fields, parse_config

cfg = ConfigParser(); cfg.read(ROOT/"settings.ini")
SCRIPTS = dict(line.split("=") for line in cfg["DEFAULT"]["console_scripts"].split())   # name -> module:function

def config_of(script:str):
    "The config dataclass of console script `script`: the one in its module whose `prog` is the script's name."
    mod = importlib.import_module(SCRIPTS[script].split(":")[0])
    found = [v for v in vars(mod).values() if dataclasses.is_dataclass(v) and getattr(v, "prog", None) == script]
    assert len(found) == 1, f"{script}: {len(found)} configs name it"
    return found[0]

@pytest.mark.parametrize("script", sorted(SCRIPTS))
def test_help_is_the_config(script, capsys, monkeypatch):
    "Every field of the config shows in the command's --help with its own help text; the description is the config's docstring."
    monkeypatch.setenv("COLUMNS", "10000")   # one line per option: help texts are not wrapped
    cls, (mod, fn) = config_of(script), SCRIPTS[script].split(":")
    with pytest.raises(SystemExit) as e: getattr(importlib.import_module(mod), fn)(["--help"])
    assert e.value.code == 0
    out = capsys.readouterr().out
    assert out.startswith(f"usage: {script} ") and cls.__doc__ in out
    for f in config_fields(cls):
        if f.metadata["help"] != argparse.SUPPRESS: assert f.metadata["help"] in out, (script, f.name)

def test_defaults_are_the_config():
    "A command line that gives only what is required parses to the config's own defaults."
    required = {"josh_harvest": ["--out", "R"], "josh_train": ["--run", "R"], "josh_merge": ["A", "--out", "R"], "josh_compare": ["A", "B"]}
    for script in SCRIPTS:
        cls = config_of(script)
        c = parse_config(cls, required.get(script, []))
        given = {f.name: getattr(c, f.name) for f in dataclasses.fields(cls) if f.default is dataclasses.MISSING}
        assert c == cls(**given), script

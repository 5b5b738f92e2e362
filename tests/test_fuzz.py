"1,000 random and malformed calls: the environment never raises, and answers each with an error string or a valid result."
import json, random
import pytest
from josh_nb.toolwoz_data import ToolWOZData, DOMAINS
from josh_nb.toolwoz_env import ToolWOZEnv

@pytest.fixture(scope="module")
def env(shared_data): return ToolWOZEnv(ToolWOZData(shared_data, quiet=True))

def random_call(rng, env):
    "A call that is well formed, slightly wrong, or garbage."
    names = list(env.allowed) + ["search_taxi", "book", "", "SEARCH_HOTEL", None, 3]
    name = rng.choice(names)
    allowed = env.allowed.get(name, ["area", "name"])
    vals = ["centre", "north", "cheap", "Cheap", "dontcare", "", "08:00", "24:00", "rosa's bed and breakfast", "TR7075",
            "4", 4, None, True, 1.5, ["a"], {"x": 1}, "' OR 1=1 --", "\u00e9\u00e8", "x" * 300]
    params = {rng.choice(allowed + ["food", "bogus", ""]): rng.choice(vals) for _ in range(rng.randint(0, 5))}
    kind = rng.random()
    if kind < 0.6: return {"name": name, "parameters": params}
    if kind < 0.7: return json.dumps({"name": name, "parameters": params})
    if kind < 0.8: return json.dumps({"name": name, "parameters": params})[: rng.randint(0, 30)]
    if kind < 0.9: return rng.choice([None, 42, [], "", "APICALL", {"parameters": {}}, {"name": "book_hotel"}, b"\xff\xfe"])
    return {"name": name, "parameters": rng.choice([[], "area=north", None, 7])}

def valid_result(r):
    if isinstance(r, str): return r.startswith("ERROR")
    if isinstance(r, list): return len(r) <= 1 and all(isinstance(e, dict) for e in r)
    return isinstance(r, dict) and set(r) == {"success", "return"} and isinstance(r["return"], dict)

def test_thousand_random_calls(env):
    rng = random.Random(0)
    tasks = [env.data[i] for i in env.data.split("test")]
    kinds = {"error": 0, "search": 0, "book": 0}
    for k in range(1000):
        state = env.reset(rng.choice(tasks))
        call = random_call(rng, env)
        r = env.execute(state, call)          # must not raise
        assert valid_result(r), (call, r)
        assert len(state.calls) == 1          # every call is recorded exactly once
        env.reward(state)                      # scoring a malformed record must not raise either
        kinds["error" if isinstance(r, str) else "search" if isinstance(r, list) else "book"] += 1
    assert all(v > 50 for v in kinds.values()), kinds

"tau-bench environments: each write stays in its conversation, branches never leak, oracle 1.0 / silent 0.0, 1,000 random calls never raise, pass^k, the downloader's parsing, the user simulators."
import hashlib, itertools, json, math, random, re, shutil
from pathlib import Path
import pytest
from josh_nb.core import Conversation, Completion, END, FunctionBackend, DataError
from josh_nb.users import ScriptUser
from josh_nb.agents import OracleAgent
from josh_nb.taubench import *
from josh_nb.tau_tools import *
from josh_nb.tau_env import *
from josh_nb.tau_sim import *
from josh_nb.core import oracle_state

WRITES = {"retail": {"cancel_pending_order", "exchange_delivered_order_items", "modify_pending_order_address",
                     "modify_pending_order_items", "modify_pending_order_payment", "modify_user_address",
                     "return_delivered_order_items"},
          "airline": {"book_reservation", "cancel_reservation", "update_reservation_baggages", "update_reservation_flights",
                      "update_reservation_passengers", "send_certificate"}}

def digest(db) -> str: return hashlib.sha256(json.dumps(db, sort_keys=True).encode()).hexdigest()

@pytest.fixture(scope="module")
def envs(shared_data):
    es = {d: TauEnv(d, shared_data) for d in ("retail", "airline")}
    for e in es.values(): e.base_digest = digest(e.data.db)
    yield es
    for e in es.values(): assert digest(e.data.db) == e.base_digest, "a conversation wrote into the shared tables"

# --- data ---------------------------------------------------------------------------------------------------------

def test_splits_and_errors(envs, shared_data, tmp_path):
    r, a = envs["retail"].data, envs["airline"].data
    assert [len(r.split(s)) for s in ("test", "train", "dev")] == [115, 500, 20] and len(a.split("test")) == 50
    t = r["test_0"]
    assert t.id == "test_0" and t.user_id == "yusuf_rossi_9620" and t.gold[-1]["name"] == "exchange_delivered_order_items"
    assert all(set(g) == {"name", "parameters"} for g in t.gold) and t.instruction in t.user_turns[0]
    with pytest.raises(DataError, match="unknown split 'train'"): a.split("train")
    with pytest.raises(DataError, match="no tau-bench retail task 'test_999'"): r["test_999"]
    with pytest.raises(DataError, match="choose one of retail, airline"): TauData("telecom", shared_data)
    with pytest.raises(DataError, match="josh_tau download"): TauData("retail", tmp_path)
    (tmp_path/"tau_bench"/"retail").mkdir(parents=True)
    for f in ("orders", "products", "users", "tools"): (tmp_path/"tau_bench"/"retail"/f"{f}.json").write_text("{}" if f != "tools" else "[]")
    (tmp_path/"tau_bench"/"retail"/"wiki.md").write_text("policy")
    (tmp_path/"tau_bench"/"retail"/"tasks_test.json").write_text('[{"user_id": "x"}]')
    with pytest.raises(DataError, match="task 0 lacks a field"): TauData("retail", tmp_path)
    (tmp_path/"tau_bench"/"retail"/"tasks_test.json").write_text("[{")
    with pytest.raises(DataError, match="not valid JSON"): TauData("retail", tmp_path)

def test_env_interface(envs):
    for d, e in envs.items():
        assert [t["function"]["name"] for t in e.tools] == [x["name"] for x in e.api_examples]
        assert e.instructions(e.data[e.data.split("test")[0]]).startswith("#") and len(e.tools) == len(TOOLS[d])
        s = e.reset(e.data.split("test")[0]); c = s.copy()
        assert c.calls == [] and c.replies == [] and c.db is not s.db
        e.respond(s, "hello"); assert s.replies == ["hello"] and c.replies == []

# --- writes stay in their conversation ----------------------------------------------------------------------------

def _first_successful_use(env, tool):
    "A (task, gold prefix state, call) where `tool` succeeds after replaying the gold actions before it."
    for tid in env.data.split("test") + env.data.splits.get("train", []):
        t = env.data[tid]
        for j, g in enumerate(t.gold):
            if g["name"] != tool: continue
            s = env.reset(t)
            for h in t.gold[:j]: env.execute(s, h)
            probe = s.copy()
            if not env.execute(probe, g).startswith("Error"): return t, s, g
    raise AssertionError(f"no gold use of {tool} succeeds")

@pytest.mark.parametrize("domain", ["retail", "airline"])
def test_each_write_tool_changes_only_its_copy(envs, domain):
    env = envs[domain]
    for tool in sorted(WRITES[domain]):
        t, parent, call = _first_successful_use(env, tool)
        before, snapshot = parent.db.copy(), json.loads(json.dumps(call))
        a, b = parent.copy(), parent.copy()
        out = env.execute(a, call)
        assert not out.startswith("Error"), (tool, out)
        assert not a.db.same_as(parent.db), f"{tool} changed nothing"
        assert a.db.diff(parent.db), tool
        assert parent.db.same_as(before) and b.db.same_as(before), f"{tool} leaked into the parent or a sibling"
        assert not parent.db.diff(before) and not b.db.diff(before)
        assert call == snapshot and a.calls[-1]["parameters"] is not call["parameters"]   # the task's gold is never touched
    # and the read tools never write
    reads = set(TOOLS[domain]) - WRITES[domain]
    for tid in env.data.split("test"):
        s = env.reset(tid)
        for g in env.data[tid].gold:
            if g["name"] in reads: env.execute(s, g)
        assert not s.db.changes, tid

@pytest.mark.parametrize("domain", ["retail", "airline"])
def test_branches_never_leak(envs, domain):
    "A JOSH-like tree: every node's database equals a fresh replay of its own path, whatever its relatives did."
    env, rng = envs[domain], random.Random(1)
    pool = [g for tid in env.data.split("test") for g in env.data[tid].gold if g["name"] in WRITES[domain]]
    task = env.data[env.data.split("test")[0]]
    root = Conversation(task, env.reset(task)); paths = {id(root): []}
    nodes, frontier = [root], [root]
    for depth in range(3):
        new = []
        for conv in frontier:
            kids = [conv.copy() for _ in range(3)]
            for k in kids: paths[id(k)] = list(paths[id(conv)])
            call = rng.choice(pool); paths[id(conv)].append((call, env.execute(conv.state, call)))  # the parent writes after branching
            for k in kids:
                for _ in range(2):
                    call = rng.choice(pool); paths[id(k)].append((call, env.execute(k.state, call)))
            new += kids
        nodes += new; frontier = new
    ok = 0
    for conv in nodes:
        ref = env.reset(task)
        outs = [env.execute(ref, c) for c, _ in paths[id(conv)]]
        assert outs == [o for _, o in paths[id(conv)]]
        assert conv.state.db.same_as(ref.db) and not conv.state.db.diff(ref.db)
        assert [c["returned"] for c in conv.state.calls] == outs
        ok += sum(not o.startswith("Error") for o in outs)
    assert len(nodes) == 40 and ok > 40   # the tree really wrote

# --- oracle ceiling, silent floor ---------------------------------------------------------------------------------

@pytest.mark.parametrize("domain,split,n", [("retail", "test", 115), ("retail", "train", 500), ("retail", "dev", 20), ("airline", "test", 50)])
def test_oracle_and_silent(envs, domain, split, n):
    env = envs[domain]
    ids = env.data.split(split)
    assert len(ids) == n
    writing = 0
    for tid in ids:
        t = env.data[tid]
        s = oracle_state(env, t)
        assert env.reward(s) == 1.0, tid
        assert env.satisfied(s) == set(range(len(t.gold))), tid
        if not gold_db(t, env.data.db).same_as(TauDB(env.data.db)):
            writing += 1
            assert env.reward(env.reset(t)) == 0.0, tid        # silent agent
        if t.outputs:                                           # the answer is needed too
            s2 = env.reset(t)
            for g in t.gold: env.execute(s2, g)
            assert env.reward(s2) == 0.0, tid
    assert writing >= {"retail": 0.85, "airline": 0.55}[domain]*n, writing

def test_airline_prices_agree_with_the_task_authors(envs):
    "Test task 2 downgrades five reservations; the customer must hear the total saved, 23553: our refunds add up to it."
    env = envs["airline"]; t = env.data["test_2"]
    s = oracle_state(env, t)
    assert sum(json.loads(c["returned"])["payment_history"][-1]["amount"] for c in s.calls) == -int(t.outputs[0])
    books = [(tid, g) for tid in env.data.split("test") for g in env.data[tid].gold if g["name"] == "book_reservation"]
    refused = [tid for tid in {tid for tid, _ in books} for c in oracle_state(env, env.data[tid]).calls
               if c["name"] == "book_reservation" and c["returned"].startswith("Error")]
    assert len(books) == 9 and refused == []   # each booking's payments add up to the price we compute

def test_reward_details(envs):
    env = envs["retail"]
    t = next(env.data[i] for i in env.data.split("test") if env.data[i].outputs and len(env.data[i].outputs) == 1)
    s = env.reset(t)
    for g in t.gold: env.execute(s, g)
    env.respond(s, f"The answer is {t.outputs[0][:1]},{t.outputs[0][1:]}.".upper())   # case and commas do not matter
    assert env.reward(s) == 1.0
    s = oracle_state(env, env.data["test_0"])
    env.execute(s, {"name": "modify_user_address", "parameters": {"user_id": "yusuf_rossi_9620", "address1": "1 A St",
                    "address2": "", "city": "X", "state": "NY", "country": "USA", "zip": "10001"}})
    assert env.reward(s) == 0.0                                 # an extra write costs the reward
    # JOSH units: in order, free text ignored
    t = env.data["test_0"]; s = env.reset(t)
    env.execute(s, t.gold[1]); assert env.satisfied(s) == set()
    env.execute(s, t.gold[0]); env.execute(s, t.gold[1]); assert env.satisfied(s) == {0, 1}
    tr = next(env.data[i] for i in env.data.split("test") if env.data[i].gold[-1]["name"] == "transfer_to_human_agents")
    s = env.reset(tr)
    for g in tr.gold[:-1]: env.execute(s, g)
    env.execute(s, {"name": "transfer_to_human_agents", "parameters": {"summary": "in other words"}})
    assert env.satisfied(s) == set(range(len(tr.gold))) and s.transferred

# --- robustness -----------------------------------------------------------------------------------------------------

GARBAGE = [None, True, 0, -3, 1.5, float("nan"), "", " ", "#W0000000", "x" * 500, [], ["a"], [None], {}, {"a": 1},
           [{"flight_number": "HAT001"}], "' OR 1=1 --", "\u00e9\u00e8", "1e9", "2024-13-45", "2 ** 2", "(((1)))/0"]

def _pools(env):
    "Per parameter name: values seen in gold calls and ids from the database."
    pool = {}
    for t in env.data.tasks.values():
        for g in t.gold:
            for k, v in g["parameters"].items(): pool.setdefault(k, []).append(v)
    db = env.data.db
    for k, table in (("order_id", "orders"), ("user_id", "users"), ("product_id", "products"), ("reservation_id", "reservations")):
        if table in db: pool.setdefault(k, []).extend(list(db[table])[:60])
    return pool

def random_call(rng, env, pool):
    names = list(env.schemas) + ["cancel_order", "", "GET_ORDER_DETAILS", None, 3, "respond"]
    name = rng.choice(names)
    props = env.schemas.get(name, {}).get("properties", {"order_id": {}, "user_id": {}})
    args = {}
    for k in props:
        r = rng.random()
        if r < 0.75 and pool.get(k): args[k] = rng.choice(pool[k])
        elif r < 0.9: args[k] = rng.choice(GARBAGE)
    if rng.random() < 0.15: args[rng.choice(["bogus", "order", "", "amount"])] = rng.choice(GARBAGE)
    kind = rng.random()
    if kind < 0.6: return {"name": name, "parameters": args}
    if kind < 0.7: return {"name": name, "arguments": json.dumps(args)}
    if kind < 0.8: return json.dumps({"name": name, "arguments": args})[: rng.randint(0, 60)]
    if kind < 0.9: return rng.choice([None, 42, [], "", "CALL", {"arguments": {}}, {"name": "get_user_details"}, b"\xff\xfe",
                                      {"name": "calculate", "arguments": "{bad json"}, {"name": "think", "parameters": None}])
    return {"name": name, "parameters": rng.choice([[], "order_id=1", 7, {"nested": {"deep": [1, {"x": None}]}}])}

@pytest.mark.parametrize("domain", ["retail", "airline"])
def test_thousand_random_calls(envs, domain):
    env, rng = envs[domain], random.Random(0)
    pool, ids = _pools(env), env.data.split("test")
    states = [env.reset(rng.choice(ids)) for _ in range(8)]
    ok = {}
    for k in range(1000):
        i = rng.randrange(len(states))
        if rng.random() < 0.1: states[i] = states[rng.randrange(len(states))].copy()   # branch now and then
        if states[i].over: states[i] = env.reset(rng.choice(ids))   # tau-bench ends the episode at a transfer
        s, n = states[i], len(states[i].calls)
        call = random_call(rng, env, pool)
        out = env.execute(s, call)                      # must not raise
        assert isinstance(out, str) and len(s.calls) == n + 1, call
        assert "internal error" not in out, (call, out)
        json.dumps(s.calls[-1])                          # every record can be written out
        env.reward(s); env.satisfied(s)                  # scoring must not raise either
        if not out.startswith(("Error", "Unknown action")): ok[s.calls[-1]["name"]] = ok.get(s.calls[-1]["name"], 0) + 1
    assert sum(ok.values()) > 100 and len(set(ok) & WRITES[domain]) >= 3, ok

def test_error_messages(envs):
    "The strict variant checks arguments against the schemas and hints at a misspelt tool; the default answers as tau-bench."
    env = TauEnv("airline", envs["airline"].data, strict=True); s = env.reset("test_0")
    cases = [({"name": "book_reservation", "parameters": {}}, "missing required argument(s): user_id"),
             ({"name": "cancel_reservation", "parameters": {"reservation_id": "ZZZZZZ"}}, "Error: reservation not found"),
             ({"name": "update_reservation_baggages", "parameters": {"reservation_id": "4WQ150", "total_baggages": "2",
               "nonfree_baggages": 0, "payment_id": "x"}}, "total_baggages must be an integer"),
             ({"name": "search_direct_flight", "arguments": '{"origin": "JFK"'}, "not valid JSON"),
             ({"name": "serch_direct_flight", "parameters": {}}, "did you mean 'search_direct_flight'"),
             ({"name": "calculate", "parameters": {"expression": "__import__('os')"}}, "invalid characters")]
    for call, msg in cases: assert msg in env.execute(s, call), call
    book = json.loads(json.dumps(env.data["test_0"].gold[0]))
    book["parameters"]["passengers"][0].pop("dob")
    assert "missing required argument(s) in passengers[0]: dob" in env.execute(s, book)
    book["parameters"]["passengers"][0]["dob"] = "1990-04-05"; book["parameters"]["payment_methods"][1]["amount"] = 6
    assert "payment amount does not add up, total price is 255" in env.execute(s, book)
    assert s.db.same_as(TauDB(env.data.db))              # refused calls change nothing
    plain = envs["airline"]; s = plain.reset("test_0")
    outs = [plain.execute(s, call) for call, _ in cases]
    assert outs[0].startswith("Error: BookReservation.invoke() missing 11 required positional arguments: 'user_id'")
    assert outs[1] == "Error: reservation not found" and outs[4] == "Unknown action serch_direct_flight"
    assert outs[5] == "Error: invalid characters in expression" and "not valid JSON" in outs[3]

# --- pass^k -----------------------------------------------------------------------------------------------------

def test_pass_hat_k():
    "pass^k as josh_eval reports it from the records of repeated trials (the evaluation's `pass_hat_k`), against brute force."
    from josh_nb.eval import pass_hat_k
    rng = random.Random(3)
    trials = {f"t{i}": [float(rng.random() < p) for _ in range(6)] for i, p in enumerate([0, .3, .5, .8, 1])}
    recs = [{"id": tid, "reward": r} for tid, rs in trials.items() for r in rs]
    for k in range(1, 7):   # C(c,k)/C(n,k) is the share of k-subsets of trials that all succeed
        brute = sum(sum(all(rs[j] == 1 for j in sub) for sub in itertools.combinations(range(6), k))/math.comb(6, k)
                    for rs in trials.values())/len(trials)
        assert math.isclose(pass_hat_k(recs, k), brute)
    assert pass_hat_k([{"id": "a", "reward": r} for r in (1, 1, 0, 0)], 2) == 1/6
    with pytest.raises(DataError, match="at least 3 trials"): pass_hat_k([{"id": "a", "reward": 1.0}] * 2, 3)

# --- the downloader, on local files -------------------------------------------------------------------------------

def _as_python(tasks):
    act = lambda a: f"Action(\n                name={a['name']!r},\n                kwargs={a['kwargs']!r},\n            )"
    body = ",\n".join(f"    Task(\n        annotator={t['annotator']!r},\n        user_id={t['user_id']!r},\n"
                      f"        instruction=(\n            {t['instruction'][:20]!r}\n            {t['instruction'][20:]!r}\n        ),\n"
                      f"        actions=[\n            {', '.join(map(act, t['actions']))}\n        ],\n        outputs={t['outputs']!r},\n    )"
                      for t in tasks)
    return f"from tau_bench.types import Action, Task\n\nTASKS_X = [\n{body}\n]\n"

def fake_repo(root, domain, src):
    "tau-bench's layout for `domain`, written from the converted files in `src`."
    r = Path(root)/domain; (r/"data").mkdir(parents=True); (r/"tools").mkdir()
    for t in TAU_DOMAINS[domain]["tables"]: shutil.copy(src/f"{t}.json", r/"data"/f"{t}.json")
    shutil.copy(src/"wiki.md", r/"wiki.md")
    (r/"rules.py").write_text(f"# Copyright\n\nrules = {json.loads((src/'rules.json').read_text())!r}\n")
    for s in TAU_DOMAINS[domain]["splits"]: (r/f"tasks_{s}.py").write_text(_as_python(json.loads((src/f"tasks_{s}.json").read_text())))
    tools = json.loads((src/"tools.json").read_text())
    cls = lambda n: "".join(w.title() for w in n.split("_"))
    for t in tools:
        n = t["function"]["name"]
        (r/"tools"/f"{n}.py").write_text(f"import json\n\nclass {cls(n)}:\n    @staticmethod\n    def invoke(data, **kw):\n"
                                          f"        return json.dumps(kw)\n\n    @staticmethod\n    def get_info():\n        return {t!r}\n")
    (r/"tools"/"extra_unused_tool.py").write_text("class Unused:\n    pass\n")   # not in ALL_TOOLS: must be ignored
    names = [t["function"]["name"] for t in reversed(tools)]
    (r/"tools"/"__init__.py").write_text("".join(f"from .{n} import {cls(n)}\n" for n in names)
                                         + "\n\nALL_TOOLS = [\n" + "".join(f"    {cls(n)},\n" for n in names) + "]\n")

def test_download_parses_local_files(shared_data, tmp_path):
    fetched = []
    def fetch(url, dest):
        fetched.append(url)
        assert url.startswith("https://raw.githubusercontent.com/sierra-research/tau-bench/")
        shutil.copy(tmp_path/"repo"/url.split("/tau_bench/envs/")[1], dest)
    for d in TAU_DOMAINS: fake_repo(tmp_path/"repo", d, shared_data/"tau_bench"/d)
    out = download_tau(tmp_path/"out", fetch=fetch)
    for d in TAU_DOMAINS:
        src, got = shared_data/"tau_bench"/d, out/"tau_bench"/d
        for f in ["tools.json", "rules.json"] + [f"tasks_{s}.json" for s in TAU_DOMAINS[d]["splits"]]:
            assert json.loads((got/f).read_text()) == json.loads((src/f).read_text()), (d, f)
        assert (got/"wiki.md").read_text() == (src/"wiki.md").read_text()
        e = TauEnv(d, tmp_path/"out")
        assert e.reward(oracle_state(e, e.data[e.data.split("test")[0]])) == 1.0
    assert not any("extra_unused_tool" in u for u in fetched)

def test_download_rejects_bad_files():
    with pytest.raises(DataError, match="not valid Python"): parse_tasks_py("TASKS = [", "x.py")
    with pytest.raises(DataError, match="holds no list of tasks"): parse_tasks_py("TASKS = load()", "x.py")
    with pytest.raises(DataError, match="expected a literal"): parse_tasks_py("TASKS = [Task(user_id=f(x))]", "x.py")
    with pytest.raises(DataError, match="no get_info"): parse_tool_py("class A: pass", "t.py")
    with pytest.raises(DataError, match="ALL_TOOLS"): tool_modules("from .a import A\n")
    assert parse_tasks_py("T = [{'user_id': 'u', 'instruction': 'i', 'actions': [{'name': 'a', 'arguments': {'x': 1}}], 'outputs': []}]") \
        == [{"annotator": "", "user_id": "u", "instruction": "i", "actions": [{"name": "a", "kwargs": {"x": 1}}], "outputs": []}]

# --- users and the evaluation loop ----------------------------------------------------------------------------------

def test_llm_user(envs):
    env = envs["retail"]; t = env.data["test_0"]
    seen = []
    def model(msgs, **kw):
        seen.append(msgs)
        return Completion(text="" if len(msgs) > 5 else "Bye! ###STOP###" if len(msgs) > 3 else " I want to exchange. ", cost=0.5)
    u = TauLLMUser(FunctionBackend(model), temperature=0.0)
    c = Conversation(t, env.reset(t))
    first = u.respond([c])[0]; c.say("user", first)
    assert first == "I want to exchange." and t.instruction in seen[0][0]["content"] and seen[0][1] == {"role": "user", "content": TAU_GREETING}
    c.say("agent", "Done.")
    assert u.respond([c]) == ["Bye! " + END]
    assert [m["role"] for m in seen[-1]] == ["system", "user", "assistant", "user"] and seen[-1][-1]["content"] == "Done."
    c.say("user", "more"); c.say("agent", "ok")
    assert u.respond([c]) == [END] and c.stats["user_cost"] == 1.5    # an empty reply ends the chat
    assert u.respond([]) == []

def test_hint_user_and_eval_loop(envs):
    from josh_nb.conversation import simulate
    from josh_nb.agents import SilentAgent
    env = envs["airline"]
    tasks = [env.data[i] for i in env.data.split("test")[:10]]
    for user in (TauHintUser(), TauInstructionUser(), ScriptUser()):
        convs = list(simulate(env, tasks, OracleAgent(), user, progress=False))
        for c in convs:
            c.state.replies += [x["text"] for x in c.turns if x["role"] == "agent"]   # what the loop's env.respond would record
            assert env.reward(c.state) == 1.0, (type(user).__name__, c.task.id)
        assert all(len(c.state.calls) == len(c.task.gold) for c in convs)
    convs = list(simulate(env, tasks[:3], SilentAgent(), TauHintUser(max_turns=4), progress=False))
    for c in convs:
        users = [x["text"] for x in c.turns if x["role"] == "user"]
        assert len(users) == 5 and users[-1] == END and c.task.gold[0]["name"] in users[1]   # it names the gold action

QUESTIONS = ["Hello! Could you give me your email, or your name and zip code?", "What is the order id or reservation number?",
             "Which payment method should I use?", "Shall I proceed? (yes/no)", "Anything else I can help with?", "What do you mean?"]

def _asking_agent():
    from josh_nb.core import Agent, Action
    from josh_nb.agents import react_speak
    class AskingAgent(Agent):   # asks every kind of question the customer answers, calls nothing
        max_rounds = None
        def act(self, convs):
            return [Action("speak", text=q, content=react_speak(q)) for c in convs
                    for q in [QUESTIONS[sum(t["role"] == "agent" for t in c.turns) % len(QUESTIONS)]]]
    return AskingAgent()

def _scalars(x):
    if isinstance(x, dict): yield from (s for v in x.values() for s in _scalars(v))
    elif isinstance(x, list): yield from (s for v in x for s in _scalars(v))
    elif x is not None: yield str(x)

def leaked(task, messages, tools) -> list:
    "The tool names and gold argument values the customer's `messages` contain but the task's instruction does not."
    said_in = lambda w, text: re.search(r"(?<![\w#])" + re.escape(w.lower()) + r"(?!\w)", text.lower())
    secrets = set(tools) | {g["name"] for g in task.gold} | {v for g in task.gold for v in _scalars(g["parameters"])}
    return sorted({w for w in secrets for m in messages if said_in(w, m) and not said_in(w, task.instruction)})

def test_instruction_user_never_leaks(envs):
    "Over whole test conversations of both domains, the default offline customer says no tool name and no gold argument its instruction lacks."
    from josh_nb.conversation import simulate
    from josh_nb.eval import default_user, make_eval_user
    assert default_user("tau-retail") == "tau-offline" and isinstance(make_eval_user("tau-offline"), TauInstructionUser)
    for d, env in envs.items():
        tasks = [env.data[i] for i in env.data.split("test")]
        tools = [t["function"]["name"] for t in env.tools]
        for agent in (_asking_agent(), OracleAgent()):
            convs = list(simulate(env, tasks, agent, TauInstructionUser(), progress=False))
            assert len(convs) == len(tasks) and all(len([t for t in c.turns if t["role"] == "user"]) >= 2 for c in convs)
            for c in convs:
                assert leaked(c.task, [t["text"] for t in c.turns if t["role"] == "user"], tools) == [], (d, c.task.id)
        # the check is not vacuous: the hinting customer fails it on most tasks
        hint = list(simulate(env, tasks, _asking_agent(), TauHintUser(), progress=False))
        assert sum(bool(leaked(c.task, [t["text"] for t in c.turns if t["role"] == "user"], tools)) for c in hint) > len(tasks) // 2

def test_instruction_user_answers(envs):
    from josh_nb.conversation import simulate
    env = envs["retail"]; t = env.data["test_5"]
    c = next(iter(simulate(env, [t], _asking_agent(), TauInstructionUser(), progress=False)))
    users = [x["text"] for x in c.turns if x["role"] == "user"]
    assert users[0].startswith("I want to exchange the water bottle")            # the goal first, not who it is
    assert "mei_kovacs_8020" in users[1] and "28236" in users[1]                 # identity, when asked
    assert users[2] == "Sorry, I don't have that with me."                        # no order id in the instruction
    assert users[4] == "Yes, please go ahead." and users[-1] == END               # confirms; hangs up when all is said
    assert not any("agent" in u for u in users)                                   # how-to-play directives are never said
    short = list(simulate(env, [t], _asking_agent(), TauInstructionUser(max_turns=2), progress=False))[0]
    assert [x["text"] for x in short.turns if x["role"] == "user"][-1] == END and len([x for x in short.turns if x["role"] == "user"]) == 3

def test_josh_tau_cli(shared_data, capsys, tmp_path):
    josh_tau(["info", "--data", str(shared_data)])
    out = capsys.readouterr().out
    assert "retail: train 500, dev 20, test 115 tasks; 16 tools" in out and "airline: test 50 tasks; 14 tools" in out
    with pytest.raises(SystemExit, match="josh_tau: error: .*has no tau_bench/retail"): josh_tau(["info", "--data", str(tmp_path)])

def test_user_strategies_by_name():
    "tau-bench's user strategies are users of their own name, each a model user."
    from josh_nb.registry import make_eval_user, MODEL_USERS
    fb = FunctionBackend(lambda msgs, **kw: "Thought: t\nUser Response: hello")
    for s in ("react", "verify", "reflection"):
        u = make_eval_user(f"tau-{s}", fb)
        assert isinstance(u, TauLLMUser) and u.strategy == s and f"tau-{s}" in MODEL_USERS
    with pytest.raises(DataError, match="needs a model"): make_eval_user("tau-react")

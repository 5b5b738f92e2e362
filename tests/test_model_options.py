"""The model-loading options on the backend side: --quantize/--dtype/--base-url/--api-key-env/--gen-batch as one set of options, checked
before a model loads; a key goes only to the server it belongs to and never into an error message; one-line errors."""
import json, os, threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
import pytest, torch
from josh_nb.core import BackendError
from josh_nb.core import config_parser
from josh_nb.backends import HFBackend, ModelOptions, BatchedModelOptions, auto_batch_size, backend_kwargs, make_backend, CPU_AUTO_ROWS
from josh_nb.openai_backend import OpenAIBackend, redact
from llama_server import chat_response

CUDA = torch.cuda.is_available()


class AuthServer:
    "A chat-completions server that records each request's Authorization header; with `echo_key`, it refuses (401) and echoes it back."
    def __init__(self, echo_key=False):
        self.auth, srv = [], self
        class H(BaseHTTPRequestHandler):
            def log_message(self, *a): pass
            def do_POST(self):
                self.rfile.read(int(self.headers.get("content-length", 0)))
                a = self.headers.get("authorization", ""); srv.auth.append(a)
                code, body = (401, {"error": {"message": f"Incorrect API key provided: {a.split()[-1]} ({a})", "type": "auth"}}) \
                    if echo_key else (200, chat_response("ok"))
                data = json.dumps(body).encode()
                self.send_response(code); self.send_header("content-type", "application/json")
                self.send_header("content-length", str(len(data))); self.end_headers(); self.wfile.write(data)
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), H); self.httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/v1"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()
    def __enter__(self): return self
    def __exit__(self, *a): self.httpd.shutdown(); self.httpd.server_close()

HI = [{"role": "user", "content": "hi"}]


def parser(cls=ModelOptions): return config_parser(cls)


def test_openai_key_stays_with_openai(monkeypatch):
    "$OPENAI_API_KEY is not sent to another --base-url (nor to $OPENAI_BASE_URL); a key named by --api-key-env is."
    monkeypatch.setenv("OPENAI_API_KEY", "sk-openai-secret-0123456789")
    monkeypatch.setenv("MY_SERVER_KEY", "local-secret-987654")
    with AuthServer() as srv:
        OpenAIBackend("m", base_url=srv.url).complete([HI])
        monkeypatch.setenv("OPENAI_BASE_URL", srv.url)
        OpenAIBackend("m").complete([HI])
        monkeypatch.delenv("OPENAI_BASE_URL")
        a = parser().parse_args(["--base-url", srv.url, "--api-key-env", "MY_SERVER_KEY"])
        make_backend("openai:m", quiet=True, **backend_kwargs("openai:m", a)).complete([HI])
    assert srv.auth == ["Bearer not-needed", "Bearer not-needed", "Bearer local-secret-987654"]
    assert a.api_key_env == "MY_SERVER_KEY" and "local-secret" not in json.dumps(vars(a))   # what a run records: the name


def test_an_echoed_key_never_reaches_the_error(monkeypatch):
    "A server that echoes the key in its error text: the BackendError holds *** instead, and no chained cause."
    with AuthServer(echo_key=True) as srv:
        b = OpenAIBackend("m", base_url=srv.url, api_key="local-secret-987654")
        with pytest.raises(BackendError) as e: b.complete([HI])
    assert "local-secret" not in str(e.value) and "401" in str(e.value) and e.value.__cause__ is None
    assert srv.auth == ["Bearer local-secret-987654"]


def test_redact_patterns():
    assert redact("Bearer abcdefgh12345678 and sk-abcdefghijkl") == "*** and ***"
    assert redact("token=abcdef123456&model=x") == "***&model=x"
    assert redact("plain 429 Too Many Requests") == "plain 429 Too Many Requests"


def test_help_lists_the_options():
    h = parser(BatchedModelOptions).format_help()
    for opt in ("--quantize {none,4bit,8bit}", "--dtype {auto,bfloat16,float16,float32}", "--base-url", "--api-key-env",
                "--user-model", "--user-base-url", "--gen-batch"): assert opt in h, opt


@pytest.mark.skipif(CUDA, reason="checks the refusal on a machine without CUDA")
def test_quantize_refused_without_cuda():
    "4-bit and 8-bit need CUDA: one line, before any model loads (backend_kwargs, HFBackend, make_backend)."
    for q in ("4bit", "8bit"):
        with pytest.raises(ValueError, match=f"^{q} quantisation \\(bitsandbytes\\) needs a CUDA GPU, and none is available here"):
            backend_kwargs("hf:Qwen/Qwen2.5-7B-Instruct", parser().parse_args(["--quantize", q]))
    with pytest.raises(ValueError, match="needs a CUDA GPU"): HFBackend("/nonexistent", quantize="4bit")   # refused before the path is read
    with pytest.raises(ValueError, match="needs a CUDA GPU"): make_backend("smollm2", quiet=True, quantize="4bit")


def test_one_line_errors(monkeypatch):
    monkeypatch.delenv("OPENAI_API_KEY", raising=False); monkeypatch.delenv("OPENAI_BASE_URL", raising=False)
    for spec, msg in [("foo", "unknown model spec 'foo'"), ("hf:/nonexistent", "hf:/nonexistent: no such folder"),
                      ("openai:gpt-4o", "openai:gpt-4o needs an API key: set OPENAI_API_KEY"), ("openai:", "unknown model spec")]:
        with pytest.raises(ValueError, match=msg) as e: make_backend(spec, quiet=True)
        assert "\n" not in str(e.value)
    with pytest.raises(ValueError, match="--api-key-env NOPE_X: the environment variable NOPE_X is not set"):
        backend_kwargs("openai:m", parser().parse_args(["--base-url", "http://h:1/v1", "--api-key-env", "NOPE_X"]))
    with pytest.raises(SystemExit): parser(BatchedModelOptions).parse_args(["--gen-batch", "0"])


def test_dtype_auto_and_explicit():
    "auto keeps the CPU default; an explicit dtype reaches the model; a non-float dtype is refused."
    from josh_nb.backends import _resolve_dtype, cpu_has_bf16
    assert _resolve_dtype("auto", "cpu") == _resolve_dtype(None, "cpu")
    assert _resolve_dtype("float16", "cpu") == torch.float16
    with pytest.raises(ValueError, match="unknown dtype 'int8'"): _resolve_dtype("int8", "cpu")
    kw = backend_kwargs("smollm2", parser(BatchedModelOptions).parse_args(["--dtype", "float32", "--gen-batch", "auto"]))
    assert kw == {"dtype": "float32", "batch_size": "auto"}


def test_gen_batch_auto_on_cpu():
    "batch_size='auto' sizes sub-batches from memory (capped on a CPU) and changes no greedy text."
    from transformers import LlamaConfig, LlamaForCausalLM
    from josh_nb.models import smollm2_checkpoint
    from transformers import AutoTokenizer
    tok = AutoTokenizer.from_pretrained(smollm2_checkpoint())
    torch.manual_seed(0)
    cfg = LlamaConfig(vocab_size=len(tok), hidden_size=64, intermediate_size=128, num_hidden_layers=2, num_attention_heads=4,
                      num_key_value_heads=2, bos_token_id=1, eos_token_id=2, pad_token_id=2)
    m = LlamaForCausalLM(cfg).eval()
    auto, fixed = HFBackend(m, tok, batch_size="auto"), HFBackend(m, tok, batch_size=1)
    prompts = [[{"role": "user", "content": "hi " * k}] for k in range(1, 6)]
    assert 1 <= auto._rows(auto.render(prompts[-1]), 16) <= CPU_AUTO_ROWS
    assert [c.text for c in auto.complete(prompts, max_tokens=6)] == [c.text for c in fixed.complete(prompts, max_tokens=6)]
    with pytest.raises(ValueError, match="batch_size must be a positive integer or 'auto'"): HFBackend(m, tok, batch_size=0)
    assert auto_batch_size(cfg, 100, 0) == 1

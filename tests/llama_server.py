"Test helpers: a real OpenAI-compatible server (llama-cpp-python running SmolLM2) and a scripted fake one."
import importlib.util, json, socket, subprocess, sys, tempfile, threading, time, urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
import pytest


def free_port() -> int:
    "A TCP port nobody listens on right now."
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0)); return s.getsockname()[1]


def _wait_ready(url:str, proc, log:Path, timeout:float):
    "Poll `url` until it answers 200; fail with the server's log if the process dies or time runs out."
    t0 = time.time()
    while time.time() - t0 < timeout:
        if proc.poll() is not None:
            pytest.fail(f"llama_cpp.server exited with {proc.returncode}:\n{log.read_text()[-3000:]}")
        try:
            with urllib.request.urlopen(url, timeout=2) as r:
                if r.status == 200: return
        except OSError: time.sleep(0.5)
    pytest.fail(f"llama_cpp.server did not answer {url} within {timeout:.0f}s:\n{log.read_text()[-3000:]}")


@pytest.fixture(scope="session")
def llama_server():
    "Base URL (…/v1) of `python -m llama_cpp.server` serving SmolLM2-135M-Instruct's GGUF file; stopped at the end."
    if importlib.util.find_spec("llama_cpp") is None:
        pytest.skip("llama-cpp-python is not installed: pip install 'llama-cpp-python[server]'")
    for mod in ("uvicorn", "fastapi", "sse_starlette"):
        if importlib.util.find_spec(mod) is None:
            pytest.skip(f"llama-cpp-python's server extra is missing ({mod}): pip install 'llama-cpp-python[server]'")
    from josh_nb.models import smollm2_gguf
    port, log = free_port(), Path(tempfile.mkdtemp())/"llama_server.log"
    cmd = [sys.executable, "-m", "llama_cpp.server", "--model", str(smollm2_gguf()), "--model_alias", "smollm2",
           "--host", "127.0.0.1", "--port", str(port), "--n_ctx", "2048", "--n_threads", "2"]
    with open(log, "w") as f:
        proc = subprocess.Popen(cmd, stdout=f, stderr=subprocess.STDOUT)
    try:
        _wait_ready(f"http://127.0.0.1:{port}/v1/models", proc, log, timeout=120)
        yield f"http://127.0.0.1:{port}/v1"
    finally:
        proc.terminate()
        try: proc.wait(timeout=10)
        except subprocess.TimeoutExpired: proc.kill(); proc.wait()


def chat_response(text:str="hello", prompt_tokens:int=7, completion_tokens:int=2) -> dict:
    "A minimal chat-completions response body."
    return {"id": "chatcmpl-1", "object": "chat.completion", "created": 0, "model": "fake",
            "choices": [{"index": 0, "finish_reason": "stop", "message": {"role": "assistant", "content": text}}],
            "usage": {"prompt_tokens": prompt_tokens, "completion_tokens": completion_tokens,
                      "total_tokens": prompt_tokens + completion_tokens}}


def echo(body:dict) -> str:
    "The content of the request's last message: what the scripted server answers."
    msgs = body.get("messages") or [{}]
    return str(msgs[-1].get("content", ""))


class ScriptedServer:
    """A local chat-completions endpoint that answers its n-th request with `script[n]`:
    an HTTP status code (an error), ('sleep', seconds) (then success), or 'ok'; 'ok' once the script runs out.
    Success echoes the last message's content, with 7 prompt and 2 completion tokens."""
    def __init__(self, script):
        self.script, self.requests, self.lock = list(script), [], threading.Lock()
        srv = self
        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *a): pass
            def do_POST(self):
                body = json.loads(self.rfile.read(int(self.headers.get("content-length", 0))) or b"{}")
                with srv.lock:
                    n = len(srv.requests); srv.requests.append(body)
                step = srv.script[n] if n < len(srv.script) else "ok"
                if isinstance(step, tuple) and step[0] == "sleep": time.sleep(step[1]); step = "ok"
                code, payload = (200, chat_response(echo(body))) if step == "ok" else (step, {"error": {"message": f"scripted {step}", "type": "test"}})
                data = json.dumps(payload).encode()
                try:
                    self.send_response(code)
                    self.send_header("content-type", "application/json"); self.send_header("content-length", str(len(data)))
                    self.end_headers(); self.wfile.write(data)
                except (BrokenPipeError, ConnectionResetError): pass  # the client gave up (timeout): nothing to answer
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/v1"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def close(self): self.httpd.shutdown(); self.httpd.server_close()
    def __enter__(self): return self
    def __exit__(self, *a): self.close()

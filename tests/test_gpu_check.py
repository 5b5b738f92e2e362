"bench/gpu_check.py on a machine without CUDA: one line saying it needs a GPU, exit code 0, nothing run."
import subprocess, sys
import pytest, torch
from conftest import ROOT

@pytest.mark.skipif(torch.cuda.is_available(), reason="on a GPU the script runs its checks instead")
def test_gpu_check_without_cuda():
    r = subprocess.run([sys.executable, str(ROOT/"bench"/"gpu_check.py")], capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr[-2000:]
    assert r.stdout.strip().splitlines() == ["gpu_check: needs a CUDA GPU (torch.cuda.is_available() is False): nothing was run"]

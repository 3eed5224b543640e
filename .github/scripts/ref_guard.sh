#!/usr/bin/env bash
# The hosted job every self-hosted job needs (docs/ci.md, "Refs and gates"): fails, naming the
# fix, unless the run's ref is one the team releases from.
#   ref_guard.sh main            refs/heads/main only                     (deploy.yml)
#   ref_guard.sh main 'hef-*'    main, or a tag hef-* whose commit is on main (hef.yml)
# A tag can point at any commit, also one no one reviewed: a release tag counts only when its
# commit is on main (GitHub's compare API: <sha>...main is "ahead" or "identical").
# Env: GITHUB_REF, GITHUB_SHA (set by the runner), GH_REPO and GH_TOKEN (for gh).
set -euo pipefail
: "${GITHUB_REF:?}" "${GITHUB_SHA:?}"
[ $# -gt 0 ] || { echo "usage: ref_guard.sh main ['TAG-PATTERN'...]" >&2; exit 2; }
ref=$GITHUB_REF
for allowed in "$@"; do
  if [ "$allowed" = main ]; then
    if [ "$ref" = refs/heads/main ]; then echo "ref_guard: $ref: a release ref"; exit 0; fi
    continue
  fi
  # shellcheck disable=SC2254  # $allowed is a glob on purpose (hef-*)
  case $ref in
    refs/tags/$allowed)
      status=$(gh api "repos/$GH_REPO/compare/$GITHUB_SHA...main" --jq .status) \
        || { echo "ref_guard: could not compare $GITHUB_SHA with main (GitHub API)" >&2; exit 1; }
      case $status in
        ahead | identical) echo "ref_guard: $ref ($GITHUB_SHA) is on main: a release ref"; exit 0 ;;
        *) echo "ref_guard: $ref points at $GITHUB_SHA, which is not on main ($status): tag a commit of main" >&2
           exit 1 ;;
      esac ;;
  esac
done
echo "ref_guard: $ref is not a release ref (allowed: $*, tags only on commits of main): run the workflow from main (Run workflow > Use workflow from: main) or push a release tag" >&2
exit 1

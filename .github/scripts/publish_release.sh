#!/usr/bin/env bash
# hef.yml's release job: publish <bundle>.tar.gz and its .sha256 as a NEW GitHub release.
# Releases are immutable once published: a fleet may already run a release's files, and
# deploy.yml's preview and rollout read them by tag. An existing release of the tag is never
# changed (no upload, no --clobber): the job fails naming it; build under a new tag instead.
# Run in the folder holding the bundle. Env: BUNDLE (<model>-<version>), SHA (commit to tag),
# REF_TYPE/REF_NAME (a tag push releases that tag), TAG_INPUT (a dispatch's tag; empty:
# hef-<bundle>), GH_TOKEN and GH_REPO (for gh).
set -euo pipefail
: "${BUNDLE:?}" "${SHA:?}" "${REF_TYPE:?}" "${REF_NAME:?}"
sha256sum -c "$BUNDLE.tar.gz.sha256"
if [ "$REF_TYPE" = tag ]; then tag=$REF_NAME; else tag=${TAG_INPUT:-hef-$BUNDLE}; fi
if gh release view "$tag" --json tagName >/dev/null 2>&1; then
  echo "publish_release: release $tag exists; releases are immutable once published (a fleet may run its files): nothing replaced. Build under a new tag (a new hef-* tag, or release_tag) instead" >&2
  exit 1
fi
# gh creates the tag at $SHA when it does not exist; `create` itself refuses an existing release
gh release create "$tag" "$BUNDLE.tar.gz" "$BUNDLE.tar.gz.sha256" --target "$SHA" \
  --title "HEF $BUNDLE" \
  --notes "Artifact folder $BUNDLE built by the hef workflow on GPUSrv (quantized parity gate passed)."
echo "publish_release: release $tag with $BUNDLE.tar.gz"
if [ -n "${GITHUB_STEP_SUMMARY:-}" ]; then echo "Release \`$tag\`: \`$BUNDLE.tar.gz\`" >>"$GITHUB_STEP_SUMMARY"; fi

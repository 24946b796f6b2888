#!/usr/bin/env bash
# Validates infra/docker-compose.yml: with `docker compose config` where the Compose plugin
# exists (as on developer machines and Docker CI), and always with dclint, which checks the
# file against the Compose Specification's JSON Schema plus the rules in .dclintrc (ports
# bound to an interface, no duplicate or unknown keys...). Machines without Docker, like this
# project's CI, still fail on an invalid compose file. .dclintrc turns off the key-order rules
# (style) and no-build-and-image: `migrate` builds and tags tandem:local once, and the other
# services run that same image — the pattern Compose documents for sharing one build.
set -euo pipefail
cd "$(dirname "$0")/.."
if docker compose version >/dev/null 2>&1; then
  docker compose -f infra/docker-compose.yml config --quiet
  echo "compose: docker compose config: valid"
fi
npx --no-install dclint infra/docker-compose.yml
echo "compose: dclint (Compose Specification schema + .dclintrc rules): valid"

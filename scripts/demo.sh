#!/usr/bin/env bash
# The README's first command: set up, build the extension, and run it in Chromium against a ComfyUI on
# 127.0.0.1:8188, or against the built-in simulator when none answers there. Headed when a display exists;
# otherwise headless, and it saves screenshots of the popup and the side panel to .tmp/demo/.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
npx wxt build
exec npx tsx scripts/demo.ts "$@"

#!/usr/bin/env bash
# Regenerates the web view's screenshots in docs/ui/ (PNG): runs the browser tests' screenshot
# theory against a real `gitorch up` with Debian's chromium, keeping the pictures here.
set -euo pipefail
cd "$(dirname "$0")/../.."
export PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1
export GITORCH_UI_SCREENSHOTS="$PWD/docs/ui"
dotnet build tests/GitOrch.EndToEnd.Tests
dotnet test tests/GitOrch.EndToEnd.Tests --no-build --filter "FullyQualifiedName~Ui.WebViewScreenshotTests"
ls -l docs/ui/*.png

#!/usr/bin/env bash
# Run ONDC's log validation utility on the catalogue logs of Haat's demo data (docs/ondc.md, "Checking the
# catalogue"). The utility is not part of Haat: fetch ONDC-Official/log-validation-utility yourself, run
# `npm install` in it (node 20), and point ONDC_VALIDATOR at that folder. Nothing here starts a server: its
# `validateLogs` is called directly through ts-node, for retail 1.2.0 flows 8 (search) and 1 (with an
# incremental refresh).
#
#   ONDC_VALIDATOR=/work/ondc-tools/log-validation-utility tools/ondc_validate.sh [OUT_DIR]
#
# Uses HAAT_DATABASE_URL if set (a database holding the demo data); otherwise makes one in OUT_DIR
# (migrate + seed-demo: about three minutes, the demo photos go through the real pipeline).
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
validator=${ONDC_VALIDATOR:?set ONDC_VALIDATOR to the folder of the log validation utility, npm installed}
out=$(realpath -m "${1:-/tmp/haat-ondc-logs}")
mkdir -p "$out"
cd "$here"
if [ -z "${HAAT_DATABASE_URL:-}" ]; then
    export HAAT_DATABASE_URL="sqlite:///$out/haat.db" HAAT_MEDIA_DIR="$out/media"
    if [ ! -f "$out/haat.db" ]; then
        .venv/bin/flask --app market db upgrade
        .venv/bin/flask --app market seed-demo >/dev/null
    fi
fi
PYTHONPATH=. .venv/bin/python tools/ondc_catalogue_logs.py "$out"

cat > "$validator/haat-run.ts" <<'TS'
import { readFileSync, writeFileSync } from 'fs'
import { validateLogs } from './shared/validateLogs'
const [file, domain, flow, out] = process.argv.slice(2)
validateLogs(JSON.parse(readFileSync(file, 'utf8')), domain, flow).then((report: any) => {
  writeFileSync(out, JSON.stringify(report, null, 1) + '\n')
})
TS
status=0
for domain in RET10 RET12 RET16; do
    for flow in 8 1; do
        report="$out/$domain/report-flow$flow.json"
        (cd "$validator" && npx ts-node -T haat-run.ts "$out/$domain/flow$flow.json" "ONDC:$domain" "$flow" \
            "$report" >/dev/null 2>&1)
        PYTHONPATH=. .venv/bin/python - "$report" "$domain" "$flow" <<'PY' || status=1
import json, re, sys
report = json.load(open(sys.argv[1]))
errors = {f"{api}: {key}": text for api, found in report.items()
          for key, text in (found.items() if isinstance(found, dict) else [("", found)])}
kinds: dict[str, int] = {}
for text in errors.values():
    kind = re.sub(r"\[\d+\]|\d+", "N", str(text).split("\n")[0])[:150]
    kinds[kind] = kinds.get(kind, 0) + 1
print(f"ONDC:{sys.argv[2]} flow {sys.argv[3]}: {len(errors)} errors")
for kind, n in sorted(kinds.items(), key=lambda kv: -kv[1]):
    print(f"  {n:4d} x {kind}")
sys.exit(1 if errors else 0)
PY
    done
done
exit $status

#!/bin/bash
# Lighthouse (mobile profile) over `guestlist up --demo` (PORT/AWS_PORT, default 3800/5300; DEMO= to skip
# the demo import): a booked guest page and the public registration page. Needs npm and /usr/bin/chromium.
set -u
cd "$(dirname "$0")/.."
export GUESTLIST_ADMIN_KEY=lh-$(head -c 8 /dev/urandom | xxd -p)
.venv/bin/guestlist up ${DEMO---demo} --port "${PORT:-3800}" --aws-port "${AWS_PORT:-5300}" > /tmp/guestlist-lighthouse-up.log 2>&1 &
UP=$!
mkdir -p /tmp/guestlist-lighthouse
for i in $(seq 1 120); do grep -q "guestlist is up" /tmp/guestlist-lighthouse-up.log && break; kill -0 $UP 2>/dev/null || break; sleep 1; done
if ! grep -q "guestlist is up" /tmp/guestlist-lighthouse-up.log; then
  echo "guestlist up did not start (run make install?); its log:" >&2; tail -20 /tmp/guestlist-lighthouse-up.log >&2
  kill -INT $UP 2>/dev/null; exit 1
fi
API=http://127.0.0.1:${PORT:-3800}; H="Authorization: Bearer $GUESTLIST_ADMIN_KEY"
EV=$(curl -s -H "$H" $API/events -d @bench/lighthouse_event.json | python3 -c "import sys,json; print(json.load(sys.stdin)['event_id'])")
LINK=$(curl -s -H "$H" $API/events/$EV/contacts -d '{"identifier": "anna@example.com", "firstname": "Anna", "lastname": "Muster", "email": "anna@example.com", "language": "de"}' | python3 -c "import sys,json; print(json.load(sys.stdin)['personal_link'])")
TOKEN=$(echo $LINK | sed 's#.*/e/##; s#?.*##')
curl -s -X POST $API/e/$TOKEN/bookings -H 'content-type: application/json' -d '{"consent": true, "diet": "vegan"}' > /dev/null
curl -s -o /tmp/guestlist-lighthouse/guest.html -w "guest page %{http_code} %{size_download} bytes\n" -H "accept: text/html" "$LINK"
curl -s -o /tmp/guestlist-lighthouse/public.html -w "public page %{http_code} %{size_download} bytes\n" -H "accept: text/html" "$API/r/$EV?lang=en"

for pair in "guest|$LINK" "public|$API/r/$EV?lang=en"; do
  name=${pair%%|*}; url=${pair#*|}
  CHROME_PATH=/usr/bin/chromium timeout 240 npx -y lighthouse@12.2.3 "$url" --quiet --output=json --output-path=/tmp/guestlist-lighthouse/$name.json \
    --only-categories=performance,accessibility,best-practices --form-factor=mobile \
    --chrome-flags="--headless=new --no-sandbox --disable-gpu" > /tmp/guestlist-lighthouse/$name.log 2>&1
  python3 - "$name" <<'PY'
import json, sys
name = sys.argv[1]
r = json.load(open(f"/tmp/guestlist-lighthouse/{name}.json"))
scores = {k: round(v["score"] * 100) for k, v in r["categories"].items()}
weight = r["audits"]["total-byte-weight"]["numericValue"]
fails = [a for a, v in r["audits"].items() if v.get("score") is not None and v["score"] < 1 and v.get("scoreDisplayMode") in ("binary", "numeric", "metricSavings")]
print(name, scores, "page weight", int(weight), "bytes", "not passed:", fails[:12])
PY
done
kill -INT $UP; wait $UP

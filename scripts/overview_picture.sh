#!/usr/bin/env sh
# The README's picture of the Overview (docs/overview.png): the demo workspace in the middle of a
# month's billing — October billed on 4 November, eight clients of November billed on 2 December,
# the others not yet — its workbook as of 9 December, printed by LibreOffice, the first page cut to
# the sheet. Needs soffice (make libreoffice) and pdftoppm (poppler-utils).
#   sh scripts/overview_picture.sh [auftakt-batch]
set -e
RUN=${1:-auftakt-batch}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
git -C "$ROOT" archive HEAD | tar -x -C "$WORK"
cd "$WORK"
AUFTAKT_TODAY=2026-11-04 $RUN bill --period 2026-10 >/dev/null
for client in hooli umbrella gringotts duff xenia zephyr yoyodyne vhs; do
  AUFTAKT_TODAY=2026-12-02 $RUN bill --period 2026-11 --client "$client" >/dev/null
done
AUFTAKT_TODAY=2026-12-09 $RUN report --period 2026-11 >/dev/null
soffice -env:UserInstallation="file://$WORK/lo" --headless --convert-to pdf --outdir "$WORK" \
  output/2026-11/profitability-2026-11.xlsx >/dev/null
# A4 landscape at 110 dpi is 1286 x 909 pixels; the sheet fills its top half
pdftoppm -r 110 -png -singlefile -f 1 -l 1 -x 60 -y 70 -W 1150 -H 470 profitability-2026-11.pdf "$WORK/overview"
mkdir -p "$ROOT/docs"
cp "$WORK/overview.png" "$ROOT/docs/overview.png"
echo "wrote docs/overview.png"

#!/usr/bin/env sh
# System libraries the invoice PDFs need (WeasyPrint uses Pango; fonts to render with), and one
# that makes them 2-3x faster (HarfBuzz's font subsetter; WeasyPrint falls back to fontTools).
# Installs them with apt-get when they are missing and we may; otherwise says what to install.
set -e
have_pango() { ldconfig -p 2>/dev/null | grep -q 'libpangoft2-1.0.so'; }
have_fonts() { fc-list 2>/dev/null | grep -qi 'DejaVu Sans'; }
have_subset() { ldconfig -p 2>/dev/null | grep -q 'libharfbuzz-subset.so'; }
if have_pango && have_fonts && have_subset; then exit 0; fi
PACKAGES="libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fontconfig fonts-dejavu-core"
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $PACKAGES >/dev/null
elif have_pango && have_fonts; then
  echo "note: invoices render 2-3x faster with HarfBuzz's subsetter: sudo apt-get install libharfbuzz-subset0" >&2
else
  echo "auftakt-batch needs Pango and the DejaVu fonts to render invoices. Install them, e.g.:" >&2
  echo "  sudo apt-get install $PACKAGES      (Debian/Ubuntu)" >&2
  echo "  brew install pango                  (macOS)" >&2
  exit 1
fi

#!/usr/bin/env sh
# System libraries the invoice PDFs need (WeasyPrint uses Pango; fonts to render with).
# Installs them with apt-get when they are missing and we may; otherwise says what to install.
set -e
have_pango() { ldconfig -p 2>/dev/null | grep -q 'libpangoft2-1.0.so'; }
have_fonts() { fc-list 2>/dev/null | grep -qi 'DejaVu Sans'; }
if have_pango && have_fonts; then exit 0; fi
PACKAGES="libpango-1.0-0 libpangoft2-1.0-0 fontconfig fonts-dejavu-core"
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $PACKAGES >/dev/null
else
  echo "auftakt-batch needs Pango and the DejaVu fonts to render invoices. Install them, e.g.:" >&2
  echo "  sudo apt-get install $PACKAGES      (Debian/Ubuntu)" >&2
  echo "  brew install pango                  (macOS)" >&2
  exit 1
fi

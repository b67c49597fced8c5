#!/usr/bin/env bash
# Vendor Gebiedsatlas' front-end assets from the npm registry into
# src/gebiedsatlas/web/static/vendor/ (the app must never load them from a CDN).
#
# Usage:  scripts/vendor-assets.sh            # uses the pinned versions below
#         VEGA_VERSION=5.33.1 scripts/vendor-assets.sh
#
# Needs: npm, tar, python3. Only the npm registry is contacted (`npm pack`).
# Regenerates vendor/README.md (versions, integrity, files, sizes).
set -euo pipefail

LEAFLET_VERSION="${LEAFLET_VERSION:-1.9.4}"
VEGA_VERSION="${VEGA_VERSION:-5.33.1}"
VEGA_LITE_VERSION="${VEGA_LITE_VERSION:-5.23.0}"
VEGA_EMBED_VERSION="${VEGA_EMBED_VERSION:-6.29.0}"
AXE_VERSION="${AXE_VERSION:-4.14.1}"
UTRECHT_CSS_VERSION="${UTRECHT_CSS_VERSION:-9.0.4}"
VOORBEELD_TOKENS_VERSION="${VOORBEELD_TOKENS_VERSION:-7.4.1}"
# API documentation at /docs (Swagger UI) and /redoc (ReDoc 2: the line FastAPI's own helper uses).
SWAGGER_UI_VERSION="${SWAGGER_UI_VERSION:-5.36.0}"
REDOC_VERSION="${REDOC_VERSION:-2.5.2}"

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
DEST="$ROOT/src/gebiedsatlas/web/static/vendor"
WORK="$(mktemp -d "${TMPDIR:-/tmp}/vendor-npm.XXXXXX")"
trap 'rm -rf "$WORK"' EXIT

PACKAGES=(
  "leaflet@$LEAFLET_VERSION"
  "vega@$VEGA_VERSION"
  "vega-lite@$VEGA_LITE_VERSION"
  "vega-embed@$VEGA_EMBED_VERSION"
  "axe-core@$AXE_VERSION"
  "@utrecht/component-library-css@$UTRECHT_CSS_VERSION"
  "@nl-design-system-unstable/voorbeeld-design-tokens@$VOORBEELD_TOKENS_VERSION"
  "swagger-ui-dist@$SWAGGER_UI_VERSION"
  "redoc@$REDOC_VERSION"
)

echo "vendor-assets: npm pack ${PACKAGES[*]}"
( cd "$WORK" && npm pack --json --silent "${PACKAGES[@]}" > pack.json )

# Unpack every tarball into $WORK/pkg/<npm name>/
python3 - "$WORK" <<'PY'
import json, os, sys, tarfile
work = sys.argv[1]
meta = {}
for entry in json.load(open(os.path.join(work, "pack.json"))):
    dest = os.path.join(work, "pkg", entry["name"])
    os.makedirs(dest, exist_ok=True)
    with tarfile.open(os.path.join(work, entry["filename"])) as tf:
        for m in tf.getmembers():
            if not m.name.startswith("package/") or ".." in m.name.split("/"):
                continue
            if not (m.isfile() or m.isdir()):
                continue
            m.name = m.name[len("package/"):]
            tf.extract(m, dest)
    meta[entry["name"]] = {"version": entry["version"], "integrity": entry["integrity"]}
json.dump(meta, open(os.path.join(work, "meta.json"), "w"), indent=1)
PY
P="$WORK/pkg"

rm -rf "$DEST/leaflet" "$DEST/vega" "$DEST/axe" "$DEST/utrecht" "$DEST/swagger-ui" "$DEST/redoc"
mkdir -p "$DEST/leaflet/images" "$DEST/vega" "$DEST/axe" "$DEST/utrecht" "$DEST/swagger-ui" "$DEST/redoc"

# Leaflet
cp "$P/leaflet/dist/leaflet.js" "$P/leaflet/dist/leaflet.css" "$DEST/leaflet/"
cp "$P/leaflet/dist/images/"*.png "$DEST/leaflet/images/"
cp "$P/leaflet/LICENSE" "$DEST/leaflet/LICENSE"

# Vega / Vega-Lite / Vega-Embed (UMD builds; load in this order: vega, vega-lite, vega-embed)
cp "$P/vega/build/vega.min.js" "$DEST/vega/"
cp "$P/vega-lite/build/vega-lite.min.js" "$DEST/vega/"
cp "$P/vega-embed/build/vega-embed.min.js" "$DEST/vega/"
cp "$P/vega-lite/LICENSE" "$DEST/vega/LICENSE-vega-lite"
cp "$P/vega-embed/LICENSE" "$DEST/vega/LICENSE-vega-embed"
if [[ -f "$P/vega/LICENSE" ]]; then
  cp "$P/vega/LICENSE" "$DEST/vega/LICENSE-vega"
else
  # The vega npm package ships no LICENSE file (package.json: BSD-3-Clause);
  # this is the LICENSE of the vega/vega repository.
  cat > "$DEST/vega/LICENSE-vega" <<'LIC'
Copyright (c) 2015-2023, University of Washington Interactive Data Lab
All rights reserved.

Redistribution and use in source and binary forms, with or without
modification, are permitted provided that the following conditions are met:

1. Redistributions of source code must retain the above copyright notice, this
   list of conditions and the following disclaimer.

2. Redistributions in binary form must reproduce the above copyright notice,
   this list of conditions and the following disclaimer in the documentation
   and/or other materials provided with the distribution.

3. Neither the name of the copyright holder nor the names of its contributors
  may be used to endorse or promote products derived from this software
  without specific prior written permission.

THIS SOFTWARE IS PROVIDED BY THE COPYRIGHT HOLDERS AND CONTRIBUTORS "AS IS"
AND ANY EXPRESS OR IMPLIED WARRANTIES, INCLUDING, BUT NOT LIMITED TO, THE
IMPLIED WARRANTIES OF MERCHANTABILITY AND FITNESS FOR A PARTICULAR PURPOSE ARE
DISCLAIMED. IN NO EVENT SHALL THE COPYRIGHT OWNER OR CONTRIBUTORS BE LIABLE
FOR ANY DIRECT, INDIRECT, INCIDENTAL, SPECIAL, EXEMPLARY, OR CONSEQUENTIAL
DAMAGES (INCLUDING, BUT NOT LIMITED TO, PROCUREMENT OF SUBSTITUTE GOODS OR
SERVICES; LOSS OF USE, DATA, OR PROFITS; OR BUSINESS INTERRUPTION) HOWEVER
CAUSED AND ON ANY THEORY OF LIABILITY, WHETHER IN CONTRACT, STRICT LIABILITY,
OR TORT (INCLUDING NEGLIGENCE OR OTHERWISE) ARISING IN ANY WAY OUT OF THE USE
OF THIS SOFTWARE, EVEN IF ADVISED OF THE POSSIBILITY OF SUCH DAMAGE.

-------------------------------------------------------------------------------
vega.min.js also bundles d3 modules (d3-array, d3-scale, d3-geo, ...), which are
distributed under the ISC License:

Copyright 2010-2023 Mike Bostock

Permission to use, copy, modify, and/or distribute this software for any purpose
with or without fee is hereby granted, provided that the above copyright notice
and this permission notice appear in all copies.

THE SOFTWARE IS PROVIDED "AS IS" AND THE AUTHOR DISCLAIMS ALL WARRANTIES WITH
REGARD TO THIS SOFTWARE INCLUDING ALL IMPLIED WARRANTIES OF MERCHANTABILITY AND
FITNESS. IN NO EVENT SHALL THE AUTHOR BE LIABLE FOR ANY SPECIAL, DIRECT,
INDIRECT, OR CONSEQUENTIAL DAMAGES OR ANY DAMAGES WHATSOEVER RESULTING FROM LOSS
OF USE, DATA OR PROFITS, WHETHER IN AN ACTION OF CONTRACT, NEGLIGENCE OR OTHER
TORTIOUS ACTION, ARISING OUT OF OR IN CONNECTION WITH THE USE OR PERFORMANCE OF
THIS SOFTWARE.
LIC
fi

# axe-core (used by the accessibility tests)
cp "$P/axe-core/axe.min.js" "$DEST/axe/"
cp "$P/axe-core/LICENSE" "$DEST/axe/LICENSE"
cp "$P/axe-core/LICENSE-3RD-PARTY.txt" "$DEST/axe/LICENSE-3RD-PARTY.txt"

# NL Design System: Utrecht component CSS + the NL Design System "Voorbeeld" theme.
# (@utrecht/design-tokens is NOT vendored: its LICENSE.md says the tokens are
#  proprietary assets of Gemeente Utrecht, not covered by the open source licence.)
cp "$P/@utrecht/component-library-css/dist/index.css" "$DEST/utrecht/component-library.css"
cp "$P/@utrecht/component-library-css/LICENSE.md" "$DEST/utrecht/LICENSE-component-library-css.md"
cp "$P/@nl-design-system-unstable/voorbeeld-design-tokens/dist/theme.css" "$DEST/utrecht/voorbeeld-theme.css"
cp "$P/@nl-design-system-unstable/voorbeeld-design-tokens/LICENSE.md" "$DEST/utrecht/LICENSE-voorbeeld-design-tokens.md"

# Swagger UI (/docs): the bundle (includes React and the standalone layout's needs) and its CSS.
# The page's init code is the app's own static/js/api-docs.js (no inline script).
cp "$P/swagger-ui-dist/swagger-ui-bundle.js" "$P/swagger-ui-dist/swagger-ui.css" "$DEST/swagger-ui/"
cp "$P/swagger-ui-dist/LICENSE" "$DEST/swagger-ui/LICENSE"
cp "$P/swagger-ui-dist/NOTICE" "$DEST/swagger-ui/NOTICE"
cp "$P/swagger-ui-dist/swagger-ui-bundle.js.LICENSE.txt" "$DEST/swagger-ui/"

# ReDoc (/redoc): the standalone bundle, which starts itself on a <redoc spec-url="..."> element.
cp "$P/redoc/bundles/redoc.standalone.js" "$DEST/redoc/"
cp "$P/redoc/LICENSE" "$DEST/redoc/LICENSE"
cp "$P/redoc/bundles/redoc.standalone.js.LICENSE.txt" "$DEST/redoc/"
# ReDoc 2 always shows the Redocly logo in its menu footer as an <img> from Redocly's CDN (there is no
# option to hide it). Empty its src so the page makes no remote request: the <img> then fails, and
# ReDoc's own onError handler removes it; the "API docs by Redocly" text link stays.
python3 - "$DEST/redoc/redoc.standalone.js" <<'PY'
import pathlib, sys
path = pathlib.Path(sys.argv[1])
text = path.read_text(encoding="utf-8")
logo = '"https://cdn.redoc.ly/redoc/logo-mini.svg"'
if text.count(logo) != 1:
    sys.exit(f"vendor-assets: {path}: expected the Redocly logo URL once, found {text.count(logo)}")
path.write_text(text.replace(logo, '""'), encoding="utf-8")
PY

# No vendored CSS may pull anything from the network: strip @import rules and
# @font-face blocks that reference remote (http:, https:, protocol-relative) URLs.
python3 - "$DEST" "$WORK/stripped.txt" <<'PY'
import pathlib, re, sys
dest, report = pathlib.Path(sys.argv[1]), pathlib.Path(sys.argv[2])
REMOTE = r"""(?:https?:)?//"""
import_re = re.compile(r"""@import\s+(?:url\(\s*)?["']?""" + REMOTE + r"""[^;]*;""", re.I)
fontface_re = re.compile(r"""@font-face\s*\{[^}]*url\(\s*["']?""" + REMOTE + r"""[^}]*\}""", re.I)
url_re = re.compile(r"""url\(\s*["']?""" + REMOTE, re.I)
lines = []
for css in sorted(dest.rglob("*.css")):
    text = css.read_text(encoding="utf-8")
    new, n1 = import_re.subn("/* remote @import removed by vendor-assets.sh */", text)
    new, n2 = fontface_re.subn("/* remote @font-face removed by vendor-assets.sh */", new)
    if n1 or n2:
        css.write_text(new, encoding="utf-8")
        lines.append(f"- `{css.relative_to(dest)}`: removed {n1} remote @import rule(s), {n2} remote @font-face rule(s)")
    left = url_re.findall(new)
    if left:
        sys.exit(f"vendor-assets: {css}: remote url() left after stripping: {left[:3]}")
report.write_text("\n".join(lines))
PY

# Regenerate vendor/README.md
python3 - "$DEST" "$WORK/meta.json" "$WORK/stripped.txt" \
  "leaflet@$LEAFLET_VERSION vega@$VEGA_VERSION vega-lite@$VEGA_LITE_VERSION vega-embed@$VEGA_EMBED_VERSION axe-core@$AXE_VERSION @utrecht/component-library-css@$UTRECHT_CSS_VERSION @nl-design-system-unstable/voorbeeld-design-tokens@$VOORBEELD_TOKENS_VERSION swagger-ui-dist@$SWAGGER_UI_VERSION redoc@$REDOC_VERSION" <<'PY'
import hashlib, json, pathlib, sys
dest = pathlib.Path(sys.argv[1])
meta = json.load(open(sys.argv[2]))
stripped = pathlib.Path(sys.argv[3]).read_text().strip()
pack_args = sys.argv[4]
rows = [
    ("leaflet", "BSD-2-Clause", "leaflet/"),
    ("vega", "BSD-3-Clause (bundles d3: ISC)", "vega/"),
    ("vega-lite", "BSD-3-Clause", "vega/"),
    ("vega-embed", "BSD-3-Clause", "vega/"),
    ("axe-core", "MPL-2.0", "axe/"),
    ("@utrecht/component-library-css", "EUPL-1.2", "utrecht/"),
    ("@nl-design-system-unstable/voorbeeld-design-tokens", "EUPL-1.2", "utrecht/"),
    ("swagger-ui-dist", "Apache-2.0 (bundled libraries: see LICENSE.txt)", "swagger-ui/"),
    ("redoc", "MIT (bundled libraries: see LICENSE.txt)", "redoc/"),
]
out = []
w = out.append
w("# Vendored front-end assets")
w("")
w("Served by the app from `/static/vendor/...`; nothing is loaded from a CDN at run time.")
w("**Do not edit these files by hand** — regenerate them (and this README) with:")
w("")
w("```sh")
w("scripts/vendor-assets.sh")
w("```")
w("")
w("which runs, in a temporary directory:")
w("")
w("```sh")
w(f"npm pack {pack_args}")
w("```")
w("")
w("and copies only the distribution files listed below (plus each package's licence).")
w("Versions are pinned at the top of `scripts/vendor-assets.sh` (overridable via env, e.g. `VEGA_VERSION=...`).")
w("")
w("## Packages")
w("")
w("| npm package | version | licence | vendored into | npm integrity |")
w("| --- | --- | --- | --- | --- |")
for name, lic, where in rows:
    m = meta[name]
    w(f"| `{name}` | {m['version']} | {lic} | `{where}` | `{m['integrity']}` |")
w("")
w("## Files")
w("")
w("| file | from | bytes | sha256 (first 16) |")
w("| --- | --- | ---: | --- |")
origin = {
    "leaflet/leaflet.js": "leaflet: dist/leaflet.js",
    "leaflet/leaflet.css": "leaflet: dist/leaflet.css",
    "leaflet/LICENSE": "leaflet: LICENSE",
    "vega/vega.min.js": "vega: build/vega.min.js",
    "vega/vega-lite.min.js": "vega-lite: build/vega-lite.min.js",
    "vega/vega-embed.min.js": "vega-embed: build/vega-embed.min.js",
    "vega/LICENSE-vega": "vega/vega repository LICENSE (the npm package ships none) + d3 ISC notice",
    "vega/LICENSE-vega-lite": "vega-lite: LICENSE",
    "vega/LICENSE-vega-embed": "vega-embed: LICENSE",
    "axe/axe.min.js": "axe-core: axe.min.js",
    "axe/LICENSE": "axe-core: LICENSE",
    "axe/LICENSE-3RD-PARTY.txt": "axe-core: LICENSE-3RD-PARTY.txt",
    "utrecht/component-library.css": "@utrecht/component-library-css: dist/index.css",
    "utrecht/LICENSE-component-library-css.md": "@utrecht/component-library-css: LICENSE.md",
    "utrecht/voorbeeld-theme.css": "@nl-design-system-unstable/voorbeeld-design-tokens: dist/theme.css",
    "utrecht/LICENSE-voorbeeld-design-tokens.md": "@nl-design-system-unstable/voorbeeld-design-tokens: LICENSE.md",
    "swagger-ui/swagger-ui-bundle.js": "swagger-ui-dist: swagger-ui-bundle.js",
    "swagger-ui/swagger-ui.css": "swagger-ui-dist: swagger-ui.css",
    "swagger-ui/LICENSE": "swagger-ui-dist: LICENSE",
    "swagger-ui/NOTICE": "swagger-ui-dist: NOTICE",
    "swagger-ui/swagger-ui-bundle.js.LICENSE.txt": "swagger-ui-dist: swagger-ui-bundle.js.LICENSE.txt",
    "redoc/redoc.standalone.js": "redoc: bundles/redoc.standalone.js (Redocly logo URL emptied, see below)",
    "redoc/LICENSE": "redoc: LICENSE",
    "redoc/redoc.standalone.js.LICENSE.txt": "redoc: bundles/redoc.standalone.js.LICENSE.txt",
}
for f in sorted(p for p in dest.rglob("*") if p.is_file() and p.name != "README.md"):
    rel = f.relative_to(dest).as_posix()
    src = origin.get(rel, "leaflet: dist/images/" + f.name if rel.startswith("leaflet/images/") else "?")
    digest = hashlib.sha256(f.read_bytes()).hexdigest()[:16]
    w(f"| `{rel}` | {src} | {f.stat().st_size} | `{digest}` |")
w("")
w("## Usage notes")
w("")
w("- **Leaflet**: `<link rel=\"stylesheet\" href=\"/static/vendor/leaflet/leaflet.css\">` and "
  "`<script src=\"/static/vendor/leaflet/leaflet.js\"></script>`. `leaflet.css` refers to `images/` relatively, "
  "and Leaflet derives the default marker icon path from it (verified in Chromium); set "
  "`L.Icon.Default.imagePath = '/static/vendor/leaflet/images/'` only if the CSS is served from elsewhere.")
w("- **Vega**: load `vega.min.js`, then `vega-lite.min.js`, then `vega-embed.min.js` (UMD globals "
  "`vega`, `vegaLite`, `vegaEmbed`). vega-embed 6 supports vega ^5.21 and any vega-lite; vega-lite 5.23 needs vega ^5.24. "
  "Pass `{actions: false}` (or at least `editor: false`) to `vegaEmbed` — the default action menu links to the online Vega editor.")
w("- **axe-core**: `axe/axe.min.js` is injected by the accessibility tests only (`page.add_script_tag(path=...)`).")
w("- **NL Design System**: include `utrecht/voorbeeld-theme.css` and `utrecht/component-library.css` and put the theme class "
  "`voorbeeld-theme` on `<body>` (or `<html>`), with `utrecht-document` etc. component classes. "
  "The theme defines the `--utrecht-*`, `--nl-*` and `--basis-*` design tokens used by the Utrecht components. "
  "Its font stacks are `'Noto Sans', sans-serif` for text and `'Noto Serif', serif` for headings (no web font is bundled or "
  "fetched; system fonts are used when Noto is absent). The theme does not set `--utrecht-document-font-family`, so the app's "
  "own CSS should set e.g. `.voorbeeld-theme { --utrecht-document-font-family: var(--basis-text-font-family-default); }` "
  "(otherwise `.utrecht-document` text falls back to the browser default serif).")
w("- **Why not `@utrecht/design-tokens` (`utrecht-theme`)?** Its `LICENSE.md` states: \"The open source license does NOT apply "
  "to files in this directory. These are proprietary assets to Gemeente Utrecht.\" It is Utrecht's house style, so it is "
  "not vendored; the openly licensed (EUPL-1.2) NL Design System *Voorbeeld* (example) theme is used instead.")
w("- **Swagger UI** (`/docs`, `web/api_docs.py` + `templates/api_docs_swagger.html`): `swagger-ui-bundle.js` and "
  "`swagger-ui.css`; started by the app's own `static/js/api-docs.js` (reads the OpenAPI URL from a `data-openapi-url` "
  "attribute, sets `validatorUrl: null` so no badge is fetched from the online validator). No inline script.")
w("- **ReDoc** (`/redoc`): `redoc.standalone.js` starts itself on `<redoc spec-url=\"...\">` (no inline script). "
  "It is ReDoc 2, the line FastAPI's own helper uses. Its menu footer always shows the Redocly logo from Redocly's CDN; "
  "`scripts/vendor-assets.sh` empties that one `<img>` URL, so the image is dropped by ReDoc's own error handler and "
  "nothing is fetched. ReDoc runs its search index in a Web Worker made from a `blob:` URL and styles with "
  "`<style>` elements it injects (a Content-Security-Policy must allow `worker-src blob:` and inline styles on `/redoc`).")
w("- Source maps are not vendored; the minified JS files still end with a `//# sourceMappingURL=` comment, "
  "which only makes browser dev tools log a 404.")
w("")
w("## Remote URLs in CSS")
w("")
if stripped:
    w("The following remote references were stripped by `scripts/vendor-assets.sh`:")
    w("")
    w(stripped)
else:
    w("Checked by `scripts/vendor-assets.sh`: no vendored CSS file contains `@import` or `url()` references to remote "
      "(http:, https:, //) URLs, so nothing was stripped. (The only `url()`s are relative `images/...` in `leaflet.css` "
      "and inline `data:` SVGs in the Utrecht CSS, the theme and `swagger-ui.css`.)")
w("")
(dest / "README.md").write_text("\n".join(out))
PY

echo "vendor-assets: done -> $DEST"

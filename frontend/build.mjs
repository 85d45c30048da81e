// Builds everything in static/vendor/ from the npm packages pinned in package.json (installed
// with `npm ci`): copies the libraries that ship a ready file, bundles the rest with esbuild,
// puts each library's licences beside it, and writes static/vendor/README.md.
//
//   node build.mjs            writes into ../static/vendor (what `make bundles` runs)
//   node build.mjs OUTDIR     writes into OUTDIR instead (`make bundles-check` diffs the two)
//
// The output depends only on the installed packages and this script: run twice, it gives the
// same bytes. Nothing here reads the clock, the machine or absolute paths into the output.

import * as esbuild from "esbuild";
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const HERE = path.dirname(fileURLToPath(import.meta.url));
const MODULES = path.join(HERE, "node_modules");
const OUT = path.resolve(process.argv[2] || path.join(HERE, "..", "static", "vendor"));
const MARKER = "<!-- Written by frontend/build.mjs (make bundles): edit that script, not this file. -->";

const pinned = JSON.parse(fs.readFileSync(path.join(HERE, "package.json"), "utf8")).devDependencies;

function installed(name) {
  const file = path.join(MODULES, name, "package.json");
  if (!fs.existsSync(file)) throw new Error(`${name} is not installed: run npm ci in frontend/`);
  return JSON.parse(fs.readFileSync(file, "utf8"));
}

// node_modules must hold exactly what package.json pins (npm ci guarantees it; a stale
// node_modules after a version bump does not).
for (const [name, version] of Object.entries(pinned)) {
  const found = installed(name).version;
  if (found !== version) {
    throw new Error(`${name} ${found} is installed but package.json pins ${version}: run npm ci`);
  }
}
const v = (name) => pinned[name];

// --- output folder ------------------------------------------------------------------------

// The build owns the folder: everything in it is generated. Refuse to empty a folder that does
// not look like one of ours.
function resetOutput() {
  if (fs.existsSync(OUT)) {
    const readme = path.join(OUT, "README.md");
    const ours = !fs.readdirSync(OUT).length ||
      (fs.existsSync(readme) && fs.readFileSync(readme, "utf8").includes("# Vendored front-end libraries"));
    if (!ours) throw new Error(`${OUT} is not empty and not a vendor folder; not touching it`);
    for (const entry of fs.readdirSync(OUT)) fs.rmSync(path.join(OUT, entry), { recursive: true });
  }
  fs.mkdirSync(OUT, { recursive: true });
}

function copy(from, to) {
  fs.mkdirSync(path.dirname(to), { recursive: true });
  fs.copyFileSync(from, to);
}

function copyTree(from, to, skip = () => false) {
  for (const entry of fs.readdirSync(from, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) {
    if (skip(entry.name)) continue;
    const source = path.join(from, entry.name);
    if (entry.isDirectory()) copyTree(source, path.join(to, entry.name), skip);
    else copy(source, path.join(to, entry.name));
  }
}

// --- licences -------------------------------------------------------------------------------

const LICENCE_FILE = /^(licen[cs]e|copying|notice)([.-].*)?$/i;
// Packages published without a licence file: the text comes from their repository (see
// frontend/licenses/README.md).
const LICENCE_FROM_REPOSITORY = [
  [/^@excalidraw\/excalidraw$/, "excalidraw-LICENSE"],
  [/^@radix-ui\//, "radix-ui-primitives-LICENSE"],
  [/^react-remove-scroll-bar$/, "react-remove-scroll-bar-LICENSE"],
];
const EXCALIDRAW_LICENCE = path.join(HERE, "licenses", "excalidraw-LICENSE");

function declaredLicence(meta) {
  if (typeof meta.license === "string") return meta.license;
  const old = meta.licenses || (meta.license && [meta.license]) || [];
  return old.map((l) => l.type || String(l)).join(" OR ") || "(none declared)";
}

function packageRoot(input) {
  // "node_modules/a/node_modules/@scope/b/dist/x.js" -> "node_modules/a/node_modules/@scope/b"
  const parts = input.split("/");
  const last = parts.lastIndexOf("node_modules");
  if (last < 0) return null;
  const take = parts[last + 1].startsWith("@") ? 3 : 2;
  return parts.slice(0, last + take).join("/");
}

function licenceFiles(root, name) {
  const files = fs.readdirSync(root).filter((f) => LICENCE_FILE.test(f)).sort();
  if (files.length) return files.map((f) => path.join(root, f));
  const known = LICENCE_FROM_REPOSITORY.find(([pattern]) => pattern.test(name));
  return known ? [path.join(HERE, "licenses", known[1])] : [];
}

// Every npm package esbuild put into a bundle, with its licence texts, in one file.
function thirdPartyLicences(metafile, title) {
  const roots = new Set();
  for (const input of Object.keys(metafile.inputs)) {
    const root = packageRoot(input);
    if (root) roots.add(root);
  }
  // The same name and version can sit in several node_modules folders: list it once.
  const byId = new Map();
  for (const root of [...roots].sort()) {
    const meta = JSON.parse(fs.readFileSync(path.join(HERE, root, "package.json"), "utf8"));
    const id = `${meta.name}@${meta.version}`;
    if (!byId.has(id)) byId.set(id, { root, name: meta.name, version: meta.version, license: declaredLicence(meta) });
  }
  const packages = [...byId.values()];
  packages.sort((a, b) => (a.name === b.name ? (a.version < b.version ? -1 : 1) : a.name < b.name ? -1 : 1));
  const missing = [];
  let text = `${title}\n${"=".repeat(title.length)}\n\nThe npm packages compiled into this bundle and their licences.\n\n`;
  for (const p of packages) text += `- ${p.name} ${p.version} (${p.license})\n`;
  for (const p of packages) {
    text += `\n\n${p.name} ${p.version}\n${"-".repeat(`${p.name} ${p.version}`.length)}\n\n`;
    const files = licenceFiles(path.join(HERE, p.root), p.name);
    if (!files.length) {
      missing.push(`${p.name}@${p.version}`);
      text += `The package ships no licence file; its package.json declares "${p.license}".\n`;
    }
    for (const file of files) text += fs.readFileSync(file, "utf8").replace(/\r\n/g, "\n").trimEnd() + "\n";
  }
  return { text, packages, missing };
}

// --- bundles --------------------------------------------------------------------------------

// Excalidraw imports every translation of its interface; the app is in English, so the others
// become an empty module (Excalidraw falls back to its built-in English strings).
const englishOnly = {
  name: "excalidraw-english-only",
  setup(build) {
    build.onResolve({ filter: /^\.\/locales\/[^/]+\.js$/ }, (args) => {
      if (!args.importer.includes(`${path.sep}@excalidraw${path.sep}excalidraw${path.sep}`)) return undefined;
      if (/\/(en|percentages)-[A-Z0-9]+\.js$/.test(args.path)) return undefined;
      return { path: args.path, namespace: "excalidraw-unused-locale" };
    });
    build.onLoad({ filter: /.*/, namespace: "excalidraw-unused-locale" }, () => ({
      contents: "export default {};",
      loader: "js",
    }));
  },
};

// Excalidraw lists a CDN (esm.sh) after the asset path as a second source of every font face.
// A page under a Content-Security-Policy (font-src 'self') reports each of those URLs as a
// violation as soon as the font face is created, and an offline install has no use for them:
// the fallback is taken out, so the fonts come from the vendored folder only.
let fallbackRemoved = 0;
const noFontCdn = {
  name: "excalidraw-no-font-cdn",
  setup(build) {
    build.onLoad({ filter: /[\\/]@excalidraw[\\/]excalidraw[\\/]dist[\\/]prod[\\/].*\.js$/ }, (args) => {
      const source = fs.readFileSync(args.path, "utf8");
      const pattern = /(\w+)\.push\(new URL\(\w+,\w+\.ASSETS_FALLBACK_URL\)\),/g;
      const contents = source.replace(pattern, () => {
        fallbackRemoved += 1;
        return "";
      });
      return { contents, loader: "js" };
    });
  },
};

async function bundle({ entry, outfile, versions, plugins = [] }) {
  const result = await esbuild.build({
    absWorkingDir: HERE,
    entryPoints: [path.join("src", entry)],
    outfile,
    bundle: true,
    format: "iife",
    platform: "browser",
    target: ["chrome111", "firefox111", "safari16"],
    minify: true,
    legalComments: "eof",
    charset: "utf8",
    conditions: ["production"],
    loader: { ".css": "text" },
    define: {
      "process.env.NODE_ENV": '"production"',
      // No module URL in a classic script: Excalidraw then subsets fonts on the main thread
      // instead of starting a worker from it.
      "import.meta.url": "undefined",
      __VERSIONS__: JSON.stringify(versions),
    },
    metafile: true,
    logLevel: "warning",
    plugins,
  });
  // METAFILE=/tmp/meta node build.mjs keeps esbuild's account of what went into each bundle
  // (https://esbuild.github.io/analyze/ reads it).
  if (process.env.METAFILE) fs.writeFileSync(process.env.METAFILE + "-" + entry + ".json", JSON.stringify(result.metafile));
  return result.metafile;
}

// --- the libraries --------------------------------------------------------------------------

const rows = [];

function row(fields) {
  rows.push(fields);
}

async function main() {
  resetOutput();

  // htmx: the file from the package, as published.
  const htmx = `htmx-${v("htmx.org")}`;
  copy(path.join(MODULES, "htmx.org/dist/htmx.min.js"), path.join(OUT, htmx, "htmx.min.js"));
  copy(path.join(MODULES, "htmx.org/LICENSE"), path.join(OUT, htmx, "LICENSE"));
  row({
    name: "htmx (`htmx.org`)", version: v("htmx.org"), licence: installed("htmx.org").license,
    files: [`${htmx}/htmx.min.js`], use: "every page (`templates/base.html`)",
    how: "`dist/htmx.min.js` copied from the package",
  });

  // Mermaid: its own self-contained bundle.
  const mermaid = `mermaid-${v("mermaid")}`;
  copy(path.join(MODULES, "mermaid/dist/mermaid.min.js"), path.join(OUT, mermaid, "mermaid.min.js"));
  copy(path.join(MODULES, "mermaid/LICENSE"), path.join(OUT, mermaid, "LICENSE"));
  row({
    name: "Mermaid (`mermaid`)", version: v("mermaid"), licence: installed("mermaid").license,
    files: [`${mermaid}/mermaid.min.js`],
    use: "diagram previews (`casestudies/_diagram_scripts.html`, `static/js/diagram.js`)",
    how: "`dist/mermaid.min.js` copied from the package",
  });

  // axe-core: for the accessibility tests only; never included by a page.
  const axe = `axe-core-${v("axe-core")}`;
  copy(path.join(MODULES, "axe-core/axe.min.js"), path.join(OUT, axe, "axe.min.js"));
  copy(path.join(MODULES, "axe-core/LICENSE"), path.join(OUT, axe, "LICENSE"));
  copy(path.join(MODULES, "axe-core/LICENSE-3RD-PARTY.txt"), path.join(OUT, axe, "LICENSE-3RD-PARTY.txt"));
  row({
    name: "axe-core", version: v("axe-core"), licence: installed("axe-core").license,
    files: [`${axe}/axe.min.js`], use: "accessibility checks in tests only; no page includes it",
    how: "`axe.min.js` copied from the package",
  });

  // Yjs and friends.
  const yjs = `yjs-${v("yjs")}`;
  const yjsVersions = { yjs: v("yjs"), "y-indexeddb": v("y-indexeddb"), "y-protocols": v("y-protocols"), lib0: installed("lib0").version };
  const yjsMeta = await bundle({ entry: "yjs.js", outfile: path.join(OUT, yjs, "sevensteps-yjs.min.js"), versions: yjsVersions });
  copy(path.join(MODULES, "yjs/LICENSE"), path.join(OUT, yjs, "LICENSE"));
  const yjsLicences = thirdPartyLicences(yjsMeta, `Third-party licences in sevensteps-yjs.min.js`);
  fs.writeFileSync(path.join(OUT, yjs, "THIRD-PARTY-LICENSES.txt"), yjsLicences.text);
  row({
    name: "Yjs (`yjs`, with `y-indexeddb`, `y-protocols`, `lib0`)",
    version: `${v("yjs")} (y-indexeddb ${v("y-indexeddb")}, y-protocols ${v("y-protocols")}, lib0 ${installed("lib0").version})`,
    licence: installed("yjs").license,
    files: [`${yjs}/sevensteps-yjs.min.js`],
    use: "shared text in the live room: `window.SevenstepsYjs` (`Y`, `IndexeddbPersistence`, awareness, the sync protocol); `static/js/ytextarea.js` binds a Y.Text to a `<textarea>`",
    how: "esbuild bundle (IIFE) of `frontend/src/yjs.js`",
  });

  // Excalidraw, React, ReactDOM, Mermaid-to-Excalidraw; the fonts beside it.
  const board = `excalidraw-${v("@excalidraw/excalidraw")}`;
  const boardVersions = {
    "@excalidraw/excalidraw": v("@excalidraw/excalidraw"),
    "@excalidraw/mermaid-to-excalidraw": v("@excalidraw/mermaid-to-excalidraw"),
    react: v("react"),
    "react-dom": v("react-dom"),
  };
  const boardMeta = await bundle({
    entry: "board.js", outfile: path.join(OUT, board, "sevensteps-board.min.js"), versions: boardVersions, plugins: [englishOnly, noFontCdn],
  });
  if (fallbackRemoved !== 1) throw new Error(`expected one font CDN fallback in Excalidraw, removed ${fallbackRemoved}`);
  // Liberation Sans only serves Excalidraw's server-side export (see licenses/excalidraw-fonts.txt).
  copyTree(path.join(MODULES, "@excalidraw/excalidraw/dist/prod/fonts"), path.join(OUT, board, "fonts"), (name) => name === "Liberation");
  // The stylesheet as a file beside the bundle, linked (a strict CSP refuses an inline <style>).
  copy(path.join(MODULES, "@excalidraw/excalidraw/dist/prod/index.css"), path.join(OUT, board, "excalidraw.css"));
  copy(EXCALIDRAW_LICENCE, path.join(OUT, board, "LICENSE"));
  copy(path.join(HERE, "licenses", "excalidraw-fonts.txt"), path.join(OUT, board, "fonts", "LICENSES.txt"));
  const boardLicences = thirdPartyLicences(boardMeta, `Third-party licences in sevensteps-board.min.js`);
  fs.writeFileSync(path.join(OUT, board, "THIRD-PARTY-LICENSES.txt"), boardLicences.text);
  row({
    name: "Excalidraw (`@excalidraw/excalidraw`, with `react`, `react-dom`, `@excalidraw/mermaid-to-excalidraw`)",
    version: `${v("@excalidraw/excalidraw")} (React ${v("react")}, mermaid-to-excalidraw ${v("@excalidraw/mermaid-to-excalidraw")})`,
    licence: installed("@excalidraw/excalidraw").license + "; fonts: OFL-1.1 and MIT (`fonts/LICENSES.txt`)",
    files: [`${board}/sevensteps-board.min.js`, `${board}/excalidraw.css`, `${board}/fonts/`],
    use: "the shared board, only on pages that show it: `window.SevenstepsBoard` (`mount`, `fromMermaid`, `exportSvg`, `exportPng`, `reconcileElements`, `restoreElements`, `sceneVersion`); `static/js/board.js` binds it to the room's shared document",
    how: "esbuild bundle (IIFE) of `frontend/src/board.js`, English only; the stylesheet `dist/prod/index.css` copied as `excalidraw.css` (the bundle links it: no inline style under the CSP); fonts copied from `dist/prod/fonts/` (without Liberation)",
  });

  for (const { missing } of [yjsLicences, boardLicences]) {
    if (missing.length) console.warn(`no licence file in: ${missing.join(", ")} (their declared licence is noted)`);
  }
  writeReadme();
  for (const r of rows) {
    for (const f of r.files) {
      const file = path.join(OUT, f);
      if (fs.statSync(file).isFile()) console.log(`${f}  ${fs.statSync(file).size.toLocaleString("en-GB")} bytes`);
    }
  }
}

function writeReadme() {
  const sizes = (files) =>
    files
      .map((f) => {
        const file = path.join(OUT, f);
        if (!fs.statSync(file).isFile()) return `\`${f}\``;
        return `\`${f}\` (${Math.round(fs.statSync(file).size / 1024).toLocaleString("en-GB")} KiB)`;
      })
      .join(", ");
  const table = rows
    .map((r) => `| ${r.name} | ${r.version} | ${r.licence} | ${sizes(r.files)} | ${r.use} | ${r.how} |`)
    .join("\n");
  const text = `# Vendored front-end libraries

${MARKER}

Everything in this folder is built by \`make bundles\` from the npm packages pinned (exact
versions, no ranges) in \`frontend/package.json\` and \`frontend/package-lock.json\`: it runs
\`npm ci\` and \`frontend/build.mjs\`, which copies the libraries that ship a ready file and
bundles the others with esbuild ${v("esbuild")}. The results are committed, so \`make run\` and
\`make test\` never need Node, and a self-hosted install works offline (no CDN). Running
\`make bundles\` twice gives the same bytes; \`make bundles-check\` rebuilds into a temporary
folder and compares (for developers with Node 20 or newer).

Each folder carries the library's licence (\`LICENSE\`); a bundle also carries
\`THIRD-PARTY-LICENSES.txt\` with every package compiled into it.

| library | version | licence | file | used by | how it is built |
|---|---|---|---|---|---|
${table}

## Notes

- **Yjs stays on v13** (${v("yjs")}): the editor bindings treat v14 as unfinished. Every script
  that works on a Y.Doc takes \`Y\` from \`window.SevenstepsYjs\`; a second copy of Yjs on a page
  breaks \`instanceof\` checks.
- **The board bundle is large**; include it only on pages that show a board, with \`defer\`.
  It sets \`window.EXCALIDRAW_ASSET_PATH\` to its own folder unless the page set it first, so
  the fonts come from \`fonts/\` beside it, never from Excalidraw's CDN. The build also takes the CDN (esm.sh) out of
  each font face's sources, where Excalidraw lists it as a fallback: under the site's CSP every
  such URL was reported as a violation. Excalidraw's interface
  is English only (other translations are left out of the bundle). Mermaid-to-Excalidraw is
  pinned once (an npm \`overrides\` entry makes Excalidraw use the same copy), which keeps the
  full Mermaid library out of the board bundle.
  Without a module URL it cannot start its font-subsetting worker, so the first SVG export
  logs "Failed to use workers for subsetting, falling back to the main thread" once and
  subsets on the main thread (about 0.25 s for the first export here, 40 ms after).
- **axe-core** is for tests only; no template may include it.
- Our own scripts that use these libraries live in \`static/js/\` (\`ytextarea.js\`), not here.

## Upgrading

Change the exact version in \`frontend/package.json\`, run \`npm install --ignore-scripts\` in
\`frontend/\` to update the lock file, then \`make bundles\`; update the \`<script>\` paths in the
templates that use the library (\`tests/test_bundles.py\` checks they match) and commit
\`frontend/package*.json\` with \`static/vendor/\`.
`;
  fs.writeFileSync(path.join(OUT, "README.md"), text);
}

await main();

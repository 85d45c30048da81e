// Runs before Excalidraw's own modules (it is the board entry's first import): Excalidraw reads
// window.EXCALIDRAW_ASSET_PATH when it registers its fonts and otherwise falls back to a CDN
// (esm.sh). Unless the page set a path itself, point it at the folder this script was loaded
// from, where the build copies the fonts: a self-hosted install then works offline.
const script = document.currentScript;
export const ASSET_BASE = new URL("./", (script && script.src) || window.location.href).href;
if (window.EXCALIDRAW_ASSET_PATH === undefined) {
  window.EXCALIDRAW_ASSET_PATH = ASSET_BASE;
}

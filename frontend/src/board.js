// Entry of static/vendor/excalidraw-<version>/sevensteps-board.min.js: Excalidraw with React,
// ReactDOM and Mermaid-to-Excalidraw in one file, behind window.SevenstepsBoard. Its stylesheet
// (excalidraw.css) and fonts load from the folder next to the bundle (see asset-path.js): a
// <link>, not an inline <style>, so that pages under a strict Content-Security-Policy show it.
import { ASSET_BASE } from "./asset-path.js";
import { createElement } from "react";
import { flushSync } from "react-dom";
import { createRoot } from "react-dom/client";
import {
  CaptureUpdateAction,
  Excalidraw,
  MainMenu,
  convertToExcalidrawElements,
  exportToBlob,
  exportToSvg,
  getSceneVersion,
  reconcileElements,
  restoreElements,
} from "@excalidraw/excalidraw";
import { parseMermaidToExcalidraw } from "@excalidraw/mermaid-to-excalidraw";
const STYLE_ID = "sevensteps-board-style";

// Excalidraw's stylesheet, copied beside the bundle as excalidraw.css (its ./fonts/ URLs resolve
// against that file). A page may link it itself (with this id) to have it load earlier.
function injectStylesheet() {
  if (document.getElementById(STYLE_ID)) return;
  const base = String(window.EXCALIDRAW_ASSET_PATH || ASSET_BASE).replace(/\/*$/, "/");
  const link = document.createElement("link");
  link.id = STYLE_ID;
  link.rel = "stylesheet";
  link.href = `${base}excalidraw.css`;
  document.head.appendChild(link);
}

// Element types the board keeps (images would need files the room does not sync).
const TOOLS = { image: false };

async function svgOf(elements, appState, files) {
  const svg = await exportToSvg({
    elements,
    appState: { ...appState, exportBackground: true, exportWithDarkMode: false },
    files: files || null,
    exportPadding: 16,
  });
  return svg.outerHTML;
}

// The main menu without Excalidraw's links to its own sites and without opening or saving scene
// files (the room owns the board's storage).
function menu() {
  const items = MainMenu.DefaultItems;
  return createElement(
    MainMenu,
    null,
    createElement(items.SaveAsImage),
    createElement(items.SearchMenu),
    createElement(items.Help),
    createElement(items.ClearCanvas),
    createElement(items.ChangeCanvasBackground),
  );
}

function pngOf(elements, files, maxSide) {
  return exportToBlob({
    elements,
    appState: { exportBackground: true, viewBackgroundColor: "#ffffff", exportWithDarkMode: false },
    files: files || null,
    exportPadding: 24,
    mimeType: "image/png",
    getDimensions: (width, height) => {
      const scale = Math.min(2, maxSide / Math.max(width, height, 1));
      return { width: Math.round(width * scale), height: Math.round(height * scale), scale };
    },
  });
}

/**
 * Mounts a board into `element` (give it a height: Excalidraw fills its container).
 *
 * options: initialElements (array of Excalidraw elements), viewModeEnabled (bool), theme
 * ("light" | "dark"), onChange(elements, appState): called on every change of the scene or of
 * the editor state (selection, scrolling too), with every element including deleted ones
 * (isDeleted: true), which is what a peer needs; compare SevenstepsBoard.sceneVersion(elements)
 * to skip calls where no element changed.
 *
 * Returns a handle at once; handle.ready resolves (to the handle) when Excalidraw has started,
 * and the other methods throw until then.
 */
function mount(element, options = {}) {
  if (!(element instanceof HTMLElement)) throw new TypeError("mount needs an element");
  const { initialElements = [], viewModeEnabled = false, theme = "light", onChange } = options;
  injectStylesheet();
  let api = null;
  let mounted = true;
  let started;
  const root = createRoot(element);
  const props = {
    initialData: {
      elements: restoreElements(initialElements, null, { refreshDimensions: true, repairBindings: true }),
      scrollToContent: true,
    },
    excalidrawAPI: (value) => {
      // The API exists before the initial scene is in: wait until Excalidraw has loaded it.
      const check = () => {
        if (!mounted) return;
        if (value.getAppState().isLoading) {
          setTimeout(check, 10); // not requestAnimationFrame: it stops in a hidden tab
          return;
        }
        api = value;
        started();
      };
      check();
    },
    viewModeEnabled: Boolean(viewModeEnabled),
    theme: theme === "dark" ? "dark" : "light",
    langCode: "en",
    UIOptions: { canvasActions: { loadScene: false, saveToActiveFile: false }, tools: TOOLS },
    onChange: typeof onChange === "function" ? (elements, appState) => onChange(elements, appState) : undefined,
  };

  const ready = () => {
    if (!mounted) throw new Error("the board is unmounted");
    if (!api) throw new Error("the board is not ready yet (wait for handle.ready)");
    return api;
  };

  const handle = {
    /**
     * Replaces the scene's elements (missing properties get defaults; text is measured). An
     * element that exists here with a higher version is bumped past it, so peers take the new
     * one. {remote: true} keeps the change out of the local undo history.
     */
    updateScene(elements, { remote = false } = {}) {
      const board = ready();
      board.updateScene({
        elements: restoreElements(elements, board.getSceneElementsIncludingDeleted(), {
          refreshDimensions: true,
          repairBindings: true,
        }),
        captureUpdate: remote ? CaptureUpdateAction.NEVER : CaptureUpdateAction.IMMEDIATELY,
      });
    },
    /**
     * Merges elements from a peer the way Excalidraw's own collaboration does (per element, the
     * higher version wins; equal versions: the lower versionNonce; an element being edited here
     * stays), applies the result outside the undo history and returns it.
     */
    reconcile(remoteElements) {
      const board = ready();
      const merged = reconcileElements(
        board.getSceneElementsIncludingDeleted(),
        // Not restored against the local elements: that would bump their versions past ours.
        restoreElements(remoteElements, null),
        board.getAppState(),
      );
      board.updateScene({ elements: merged, captureUpdate: CaptureUpdateAction.NEVER });
      return merged;
    },
    getSceneElements() {
      return ready().getSceneElements();
    },
    getSceneElementsIncludingDeleted() {
      return ready().getSceneElementsIncludingDeleted();
    },
    exportSvg() {
      const board = ready();
      return svgOf(board.getSceneElements(), board.getAppState(), board.getFiles());
    },
    /** A PNG (Blob) of the board on a white background, at most maxSide pixels on a side. */
    exportPng({ maxSide = 2400 } = {}) {
      const board = ready();
      return pngOf(board.getSceneElements(), board.getFiles(), maxSide);
    },
    /** Read-only (true) or drawable (false), for when the interview's phase changes. */
    setViewMode(viewMode) {
      ready().updateScene({ appState: { viewModeEnabled: Boolean(viewMode) } });
    },
    /** Scrolls and zooms so every element is in view. */
    scrollToContent() {
      const board = ready();
      board.scrollToContent(board.getSceneElements(), { fitToContent: true });
    },
    unmount() {
      if (!mounted) return;
      mounted = false;
      api = null;
      root.unmount();
    },
  };
  handle.ready = new Promise((resolve) => {
    started = () => resolve(handle);
  });
  flushSync(() => root.render(createElement(Excalidraw, props, menu())));
  return handle;
}

/**
 * Turns Mermaid text into board elements (flowcharts and the other types Mermaid-to-Excalidraw
 * draws natively). Rejects if the text does not parse, or if the diagram type would only come
 * out as a picture (an image element needing files the board does not sync).
 */
async function fromMermaid(text, { fontSize = 16 } = {}) {
  const { elements, files } = await parseMermaidToExcalidraw(String(text), {
    themeVariables: { fontSize: `${fontSize}px` },
  });
  if (files && Object.keys(files).length) {
    throw new Error("this Mermaid diagram type can only be drawn as an image");
  }
  return convertToExcalidrawElements(elements, { regenerateIds: true });
}

window.SevenstepsBoard = Object.freeze({
  versions: Object.freeze(__VERSIONS__),
  mount,
  fromMermaid,
  /** An SVG string of the given elements, without a mounted board. */
  exportSvg: (elements) => svgOf(restoreElements(elements, null), {}, null),
  /** A PNG (Blob) of the given elements, without a mounted board. */
  exportPng: (elements, { maxSide = 2400 } = {}) => pngOf(restoreElements(elements, null), null, maxSide),
  // Excalidraw's own merge model, for the room and for tests.
  reconcileElements,
  restoreElements,
  sceneVersion: getSceneVersion,
});

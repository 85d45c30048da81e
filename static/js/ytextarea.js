/*
 * Sevensteps shared text: a Y.Text bound to a plain <textarea>.
 *
 * Scripts: the vendored Yjs bundle (static/vendor/yjs-<version>/sevensteps-yjs.min.js, which
 * sets window.SevenstepsYjs) first, then this file.
 *
 *   const binding = window.SevenstepsTextarea.bind(ytext, textarea, options)
 *
 *   ytext     a Y.Text that belongs to a Y.Doc
 *   textarea  an HTMLTextAreaElement (or <input>); its value is replaced by the text's
 *   options   origin: the transaction origin of local edits (default: the binding itself), so
 *               a provider can tell them from remote ones and an UndoManager can track them
 *             undo:   true (default) gives the textarea an undo history of its own edits
 *               (Ctrl/Cmd+Z, Shift+Ctrl/Cmd+Z, Ctrl+Y): remote edits are never undone
 *
 *   binding.origin       the origin of local transactions
 *   binding.undoManager  the Y.UndoManager, or null
 *   binding.destroy()    stops listening; the textarea keeps its text
 *
 * Local edits: on every input event the textarea's new value is compared with the last value
 * both sides agreed on; the one changed range (common prefix and suffix removed, never
 * splitting a surrogate pair) is applied to the Y.Text in one transaction with the local origin.
 * Remote edits: the textarea's value is replaced and the caret and selection are carried over
 * with Yjs relative positions (a collapsed caret sticks to the character on its left, so text
 * another person types at the same spot goes after it); the scroll position is kept.
 * While an input method is composing (compositionstart…compositionend) nothing touches the
 * textarea: remote edits wait, and are applied with the composed text when composition ends.
 */
(function () {
  "use strict";

  function isHighSurrogate(code) {
    return code >= 0xd800 && code <= 0xdbff;
  }

  function isLowSurrogate(code) {
    return code >= 0xdc00 && code <= 0xdfff;
  }

  // The one range in which `before` and `after` differ: {index, remove, insert}, or null.
  function changedRange(before, after) {
    if (before === after) return null;
    var max = Math.min(before.length, after.length);
    var prefix = 0;
    while (prefix < max && before.charCodeAt(prefix) === after.charCodeAt(prefix)) prefix++;
    if (prefix > 0 && isHighSurrogate(before.charCodeAt(prefix - 1))) prefix--;
    var suffix = 0;
    while (
      suffix < max - prefix &&
      before.charCodeAt(before.length - 1 - suffix) === after.charCodeAt(after.length - 1 - suffix)
    ) {
      suffix++;
    }
    if (suffix > 0 && isLowSurrogate(before.charCodeAt(before.length - suffix))) suffix--;
    return {
      index: prefix,
      remove: before.length - prefix - suffix,
      insert: after.slice(prefix, after.length - suffix),
    };
  }

  // Where index `i` of a text ends up once a Y.Text delta ([{retain}, {insert}, {delete}]) has
  // been applied to it. Text inserted exactly at `i` goes before it when `stickRight`, after it
  // otherwise; an index inside deleted text moves to where the deletion was.
  function mapIndex(i, delta, stickRight) {
    var oldPos = 0;
    var newPos = 0;
    for (var k = 0; k < delta.length; k++) {
      var op = delta[k];
      if (op.retain !== undefined) {
        if (oldPos + op.retain > i) break;
        oldPos += op.retain;
        newPos += op.retain;
      } else if (op.insert !== undefined) {
        if (oldPos === i && !stickRight) break;
        newPos += typeof op.insert === "string" ? op.insert.length : 1;
      } else if (op.delete !== undefined) {
        if (oldPos + op.delete > i) return newPos;
        oldPos += op.delete;
      }
    }
    return newPos + (i - oldPos);
  }

  function mapThrough(i, deltas, stickRight) {
    for (var k = 0; k < deltas.length; k++) i = mapIndex(i, deltas[k], stickRight);
    return i;
  }

  function bind(ytext, textarea, options) {
    options = options || {};
    var Y = options.Y || (window.SevenstepsYjs && window.SevenstepsYjs.Y);
    if (!Y) throw new Error("SevenstepsTextarea needs Yjs: load sevensteps-yjs.min.js first");
    if (!(ytext instanceof Y.Text) || !ytext.doc) {
      throw new TypeError("bind needs a Y.Text that belongs to a Y.Doc");
    }
    if (!textarea || typeof textarea.setSelectionRange !== "function") {
      throw new TypeError("bind needs a <textarea> or text <input>");
    }
    var doc = ytext.doc;
    var binding = { destroy: destroy, undoManager: null };
    var origin = options.origin !== undefined ? options.origin : binding;
    binding.origin = origin;

    var shadow = ytext.toString(); // the text both sides agreed on last
    var composing = false;
    var pending = []; // deltas of remote edits held back while composing
    var saved = null; // selection as relative positions, taken before a remote transaction
    textarea.value = shadow;

    var undoManager = null;
    if (options.undo !== false) {
      undoManager = new Y.UndoManager(ytext, { trackedOrigins: new Set([origin]) });
      binding.undoManager = undoManager;
    }

    function selectionOf() {
      var start = textarea.selectionStart;
      var end = textarea.selectionEnd;
      if (start === null || end === null) return null;
      return { start: start, end: end, direction: textarea.selectionDirection || "none" };
    }

    function render(selection) {
      var top = textarea.scrollTop;
      var left = textarea.scrollLeft;
      textarea.value = shadow;
      if (selection) textarea.setSelectionRange(selection.start, selection.end, selection.direction);
      textarea.scrollTop = top;
      textarea.scrollLeft = left;
    }

    // --- local edits -----------------------------------------------------------------------

    // Brings the textarea's own edits into the Y.Text and, after a composition, the remote
    // edits held back meanwhile into the textarea.
    function flush() {
      var value = textarea.value;
      var change = changedRange(shadow, value);
      if (!pending.length) {
        if (change) {
          doc.transact(function () {
            if (change.remove) ytext.delete(change.index, change.remove);
            if (change.insert) ytext.insert(change.index, change.insert);
          }, origin);
        }
        shadow = value;
        return;
      }
      // Remote edits came in while composing: the local change was made against `shadow`, so
      // its range moves through their deltas first.
      var deltas = pending;
      pending = [];
      var selection = selectionOf();
      if (change) {
        var start = mapThrough(change.index, deltas, true);
        var end = Math.max(start, mapThrough(change.index + change.remove, deltas, false));
        doc.transact(function () {
          if (end > start) ytext.delete(start, end - start);
          if (change.insert) ytext.insert(start, change.insert);
        }, origin);
        var caret = start + change.insert.length;
        selection = { start: caret, end: caret, direction: "none" };
      } else if (selection) {
        var from = mapThrough(selection.start, deltas, selection.start !== selection.end);
        selection = {
          start: from,
          end: Math.max(from, mapThrough(selection.end, deltas, false)),
          direction: selection.direction,
        };
      }
      shadow = ytext.toString();
      render(selection);
    }

    function onInput() {
      if (composing) return;
      flush();
    }

    function onCompositionStart() {
      composing = true;
    }

    function onCompositionEnd() {
      composing = false;
      flush();
    }

    function onBeforeInput(event) {
      if (!undoManager) return;
      if (event.inputType === "historyUndo" || event.inputType === "historyRedo") {
        event.preventDefault();
        undoOrRedo(event.inputType === "historyUndo");
      }
    }

    function onKeyDown(event) {
      // Chromium sends no historyUndo beforeinput once a script has set the value; catch the keys.
      if (!undoManager || composing || !(event.ctrlKey || event.metaKey) || event.altKey) return;
      var key = event.key.toLowerCase();
      if (key === "z" || key === "y") {
        event.preventDefault();
        undoOrRedo(key === "z" && !event.shiftKey);
      }
    }

    function undoOrRedo(undo) {
      if (undo) undoManager.undo();
      else undoManager.redo();
    }

    // --- remote edits (and undo/redo, which the UndoManager applies with its own origin) -----

    function onBeforeTransaction(transaction) {
      if (transaction.origin === origin || composing) return;
      var selection = selectionOf();
      if (!selection) {
        saved = null;
        return;
      }
      var collapsed = selection.start === selection.end;
      saved = {
        start: Y.createRelativePositionFromTypeIndex(ytext, selection.start, collapsed ? -1 : 0),
        end: Y.createRelativePositionFromTypeIndex(ytext, selection.end, -1),
        direction: selection.direction,
      };
    }

    function onTextChange(event, transaction) {
      if (transaction.origin === origin) return;
      if (composing) {
        pending.push(event.delta);
        return;
      }
      shadow = ytext.toString();
      var selection = null;
      if (saved) {
        var start = Y.createAbsolutePositionFromRelativePosition(saved.start, doc);
        var end = Y.createAbsolutePositionFromRelativePosition(saved.end, doc);
        if (start && end) {
          selection = {
            start: start.index,
            end: Math.max(start.index, end.index),
            direction: saved.direction,
          };
        }
      }
      if (transaction.origin === undoManager && undoManager) {
        // After undo/redo the caret goes where the undone or redone change was.
        var change = changedRange(textarea.value, shadow);
        if (change) {
          var at = change.index + change.insert.length;
          selection = { start: at, end: at, direction: "none" };
        }
      }
      saved = null;
      render(selection);
    }

    textarea.addEventListener("input", onInput);
    textarea.addEventListener("compositionstart", onCompositionStart);
    textarea.addEventListener("compositionend", onCompositionEnd);
    textarea.addEventListener("beforeinput", onBeforeInput);
    textarea.addEventListener("keydown", onKeyDown);
    doc.on("beforeTransaction", onBeforeTransaction);
    ytext.observe(onTextChange);

    function destroy() {
      textarea.removeEventListener("input", onInput);
      textarea.removeEventListener("compositionstart", onCompositionStart);
      textarea.removeEventListener("compositionend", onCompositionEnd);
      textarea.removeEventListener("beforeinput", onBeforeInput);
      textarea.removeEventListener("keydown", onKeyDown);
      doc.off("beforeTransaction", onBeforeTransaction);
      ytext.unobserve(onTextChange);
      if (undoManager) undoManager.destroy();
    }

    return binding;
  }

  window.SevenstepsTextarea = { bind: bind, changedRange: changedRange, mapIndex: mapIndex };
})();

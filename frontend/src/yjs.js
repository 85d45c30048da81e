// Entry of static/vendor/yjs-<version>/sevensteps-yjs.min.js: Yjs v13 and the pieces around it
// that the room needs, behind one global. One copy of Yjs per page: everything that works on a
// Y.Doc (the textarea binding in static/js/ytextarea.js, IndexedDB persistence, awareness) must
// take Y from here, or Yjs warns about two instances and `instanceof` checks fail.
import * as Y from "yjs";
import { IndexeddbPersistence, clearDocument } from "y-indexeddb";
import * as awareness from "y-protocols/awareness";
import * as sync from "y-protocols/sync";
import * as encoding from "lib0/encoding";
import * as decoding from "lib0/decoding";
import { toBase64, fromBase64 } from "lib0/buffer";

window.SevenstepsYjs = Object.freeze({
  versions: Object.freeze(__VERSIONS__),
  Y,
  // Keeps a document's updates in the browser (IndexedDB), so edits not yet confirmed by the
  // server survive a reload or a closed tab: `new IndexeddbPersistence(name, ydoc)`.
  IndexeddbPersistence,
  clearDocument,
  // Who is here and where their caret is (y-protocols/awareness).
  Awareness: awareness.Awareness,
  encodeAwarenessUpdate: awareness.encodeAwarenessUpdate,
  applyAwarenessUpdate: awareness.applyAwarenessUpdate,
  removeAwarenessStates: awareness.removeAwarenessStates,
  // The y-protocols sync messages (step 1: state vector, step 2: missing updates, update),
  // which pycrdt's server side also speaks; lib0's encoder/decoder build and read them.
  sync: Object.freeze({ ...sync }),
  encoding: Object.freeze({ ...encoding }),
  decoding: Object.freeze({ ...decoding }),
  // Binary updates inside JSON messages.
  toBase64,
  fromBase64,
});

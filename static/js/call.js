/* Voice and video between the two people of an interview: WebRTC, peer to peer, beside
 * static/js/room.js. The media never touch the server; the room's socket only relays the
 * browsers' signals (`call.signal`, interviews/protocol.py; docs/protocol.md "The call"):
 *
 *   join       this tab is in the call (a `reply: true` join answers one, so a tab that loaded
 *              later learns who is already in)
 *   offer / answer / candidate   WebRTC's session descriptions and ICE candidates
 *   state      whether the sender's microphone and camera are on
 *   bye        this tab left the call
 *
 * Each joining of the call has a fresh `session` id: a signal from a session this tab has not
 * heard before means the other person rejoined (or reloaded), and the connection starts over.
 *
 * Negotiation follows the "perfect negotiation" pattern (W3C WebRTC spec, section 10.2): both
 * sides may offer at any time; when offers cross, the candidate ("polite") rolls back and takes
 * the interviewer's offer, the interviewer ("impolite") ignores the candidate's. After the room's
 * socket reconnects, when the connection fails, or when it is not up 10 s after it started,
 * ICE restarts (new candidates, same call), and an unanswered offer is sent again.
 *
 * The rest: mute, camera off (the camera is released, its light goes out), device choice
 * (replaceTrack, no renegotiation), a connection-quality indicator from getStats() (round-trip
 * time, packet loss, bitrate), a microphone and camera check before the start (a level meter
 * from a Web Audio AnalyserNode and a preview), and plain words when the browser refuses.
 */
(function () {
  "use strict";

  const root = document.getElementById("room");
  const bar = root && root.querySelector("[data-call]");
  if (!bar) return;

  const ROLE = root.dataset.role;
  const POLITE = ROLE === "candidate";
  const PEER = bar.dataset.peer; // "The candidate" or "Your interviewer"
  const PEER_LOWER = PEER.charAt(0).toLowerCase() + PEER.slice(1);
  const SKIPPED = "sevensteps:" + root.dataset.interview + ":call-check-skipped";
  const STATS_EVERY = 2000; // ms between two readings of getStats()
  // A connection not up this long after it started (or after its last restart) restarts ICE:
  // a signal lost on the way, or checks that stalled, get another go instead of "Connecting…"
  // for ever. Long enough for a slow machine to connect the first time.
  const CONNECT_GRACE = 10000; // ms
  const $ = (sel) => bar.querySelector(sel);

  const ui = {
    status: $("[data-call-status]"),
    quality: $("[data-call-quality]"),
    stage: $("[data-call-stage]"),
    remote: $("[data-call-remote]"),
    remoteNote: $("[data-call-remote-note]"),
    local: $("[data-call-local]"),
    localNote: $("[data-call-local-note]"),
    error: $("[data-call-error]"),
    check: $("[data-call-check]"),
    checkBody: $("[data-call-check-body]"),
    checkStart: $("[data-call-check-start]"),
    checkSkip: $("[data-call-check-skip]"),
    preview: $("[data-call-check-preview]"),
    level: $("[data-call-level]"),
    levelNote: $("[data-call-level-note]"),
    devices: $("[data-call-device-panel]"),
    speakerField: $("[data-call-speaker-field]"),
    join: $("[data-call-join]"),
    checkToggle: $("[data-call-check-toggle]"),
    mute: $("[data-call-mute]"),
    camera: $("[data-call-camera]"),
    devicesToggle: $("[data-call-devices]"),
    leave: $("[data-call-leave]"),
  };

  if (!window.RTCPeerConnection || !navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) {
    ui.status.textContent = "This browser cannot make calls here (it needs WebRTC over HTTPS). Use the chat or a meeting link.";
    bar.querySelectorAll("button").forEach((button) => { button.disabled = true; });
    return;
  }

  let iceServers = [];
  let allowed = false; // the server's "call" action for this socket, now
  let phase = null;
  let snapshots = 0;
  let session = null; // this tab's joining of the call; null while not in it
  let joining = false;
  let peerSession = null; // the other person's, once heard
  const goneSessions = new Set(); // sessions that said bye: their late signals are ignored
  let peerState = { audio: true, video: true };
  let peerOnline = false; // the other person has the room open (presence)
  let pc = null;
  let local = null; // MediaStream: this side's microphone and camera
  let remote = null; // MediaStream: what the other side sends
  let makingOffer = false;
  let ignoreOffer = false;
  let settingAnswer = false;
  let signals = Promise.resolve(); // signals are handled one at a time, in order
  let micOn = true;
  let camOn = true;
  let statsTimer = null;
  let connectTimer = null;
  let lastStats = null;
  const chosen = { audioinput: "", videoinput: "", audiooutput: "" };
  const check = { stream: null, audio: null, frame: 0, heard: false };

  // --- Words ---------------------------------------------------------------------------------

  function mediaError(err) {
    const name = err && err.name;
    if (name === "NotAllowedError" || name === "SecurityError") {
      return "Your browser blocked the microphone and camera for this page. Allow them in the site settings (the icon at the left of the address bar), then try again. Until then, use the chat.";
    }
    if (name === "NotFoundError") {
      return "No microphone was found. Plug one in (or check that it is switched on), then try again.";
    }
    if (name === "NotReadableError" || name === "AbortError") {
      return "The microphone or camera is in use by another program, or the system blocked it. Close the other program, then try again.";
    }
    if (name === "OverconstrainedError") {
      return "The chosen device is no longer there. Pick another under Devices.";
    }
    return "The microphone and camera could not be started (" + (name || "unknown error") + ").";
  }

  function showError(text) {
    ui.error.textContent = text;
    ui.error.hidden = !text;
  }

  // --- Signalling through the room's socket ---------------------------------------------------

  function newSession() {
    const bytes = new Uint8Array(12);
    crypto.getRandomValues(bytes);
    return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
  }

  function signal(kind, data) {
    const room = window.SevenstepsRoom;
    if (!room || !session) return false;
    return room.send("call.signal", { kind: kind, data: Object.assign({ session: session }, data || {}) });
  }

  function descriptionOf(description) {
    return { type: description.type, sdp: description.sdp };
  }

  function candidateOf(candidate) {
    const json = candidate.toJSON();
    const out = { candidate: json.candidate || "" };
    ["sdpMid", "sdpMLineIndex", "usernameFragment"].forEach((key) => {
      if (json[key] !== undefined) out[key] = json[key];
    });
    return out;
  }

  function sendState() {
    signal("state", { audio: micOn, video: camOn && hasTrack("video") });
  }

  function onSignal(message) {
    signals = signals.then(() => handleSignal(message)).catch((err) => {
      console.warn("call: a signal could not be applied", err);
    });
  }

  function newPeerSession(id) {
    // The other person joined anew (or reloaded): the old connection and session are over.
    if (peerSession) goneSessions.add(peerSession);
    closePeer();
    peerSession = id;
    peerState = { audio: true, video: true };
  }

  async function handleSignal(message) {
    const kind = message.kind;
    const data = message.data || {};
    if (goneSessions.has(data.session)) return;
    if (kind === "join") {
      if (data.session !== peerSession) newPeerSession(data.session);
      if (session) {
        if (!data.reply) signal("join", { reply: true });
        startPeer();
        sendState();
      }
      return render();
    }
    if (kind === "bye") {
      goneSessions.add(data.session);
      if (data.session === peerSession) {
        closePeer();
        peerSession = null;
      }
      return render();
    }
    // A tab whose join came before this page loaded: it is in the call.
    if (data.session !== peerSession) newPeerSession(data.session);
    if (kind === "state") {
      peerState = { audio: data.audio, video: data.video };
      return render();
    }
    if (!session) return render();
    startPeer();
    if (kind === "candidate") {
      try {
        await pc.addIceCandidate(data.candidate);
      } catch (err) {
        if (!ignoreOffer) throw err; // a candidate of an offer this side ignored: expected
      }
      return;
    }
    const description = data.description;
    const readyForOffer = !makingOffer && (pc.signalingState === "stable" || settingAnswer);
    const collision = description.type === "offer" && !readyForOffer;
    ignoreOffer = !POLITE && collision;
    if (ignoreOffer) return;
    settingAnswer = description.type === "answer";
    await pc.setRemoteDescription(description); // rolls back this side's own offer if need be
    settingAnswer = false;
    if (description.type === "offer") {
      await pc.setLocalDescription();
      signal("answer", { description: descriptionOf(pc.localDescription) });
    }
  }

  // --- The connection --------------------------------------------------------------------------

  function startPeer() {
    if (pc || !session || !peerSession || !local) return;
    const connection = new RTCPeerConnection({ iceServers: iceServers });
    pc = connection;
    remote = new MediaStream();
    ui.remote.srcObject = remote;
    local.getTracks().forEach((track) => connection.addTrack(track, local));
    connection.ontrack = (event) => {
      if (connection !== pc) return;
      remote.addTrack(event.track);
      event.track.addEventListener("unmute", render);
      ui.remote.srcObject = remote;
      playRemote();
      render();
    };
    connection.onnegotiationneeded = async () => {
      try {
        makingOffer = true;
        await connection.setLocalDescription();
        if (connection === pc) signal(connection.localDescription.type, { description: descriptionOf(connection.localDescription) });
      } catch (err) {
        console.warn("call: could not make an offer", err);
      } finally {
        makingOffer = false;
      }
    };
    connection.onicecandidate = (event) => {
      if (event.candidate && connection === pc) signal("candidate", { candidate: candidateOf(event.candidate) });
    };
    connection.onconnectionstatechange = () => {
      if (connection !== pc) return;
      if (connection.connectionState === "failed") connection.restartIce();
      render();
    };
    watchConnecting(connection);
  }

  function watchConnecting(connection) {
    clearTimeout(connectTimer);
    connectTimer = setTimeout(() => {
      if (connection !== pc || connection.connectionState === "connected") return;
      restartIce(connection);
      watchConnecting(connection);
    }, CONNECT_GRACE);
  }

  function restartIce(connection) {
    // New ICE credentials and candidates, after the signals already queued. An offer of this
    // side's still unanswered is sent again first (the offer or its answer may have been lost;
    // answering an offer twice is harmless), never taken back: the other side may have taken
    // it, and an offer made after a rollback need not match what that side holds.
    signals = signals.then(() => {
      if (connection !== pc) return;
      connection.setConfiguration(Object.assign(connection.getConfiguration(), { iceServers: iceServers }));
      if (connection.signalingState === "have-local-offer" && connection.localDescription) {
        signal("offer", { description: descriptionOf(connection.localDescription) });
      }
      connection.restartIce(); // offers anew once the negotiation under way is over
    }).catch((err) => console.warn("call: ICE restart failed", err));
  }

  function closePeer() {
    clearTimeout(connectTimer);
    if (pc) pc.close();
    pc = null;
    makingOffer = ignoreOffer = settingAnswer = false;
    if (remote) remote.getTracks().forEach((track) => remote.removeTrack(track));
    remote = null;
    ui.remote.srcObject = null;
    lastStats = null;
  }

  function playRemote() {
    const playing = ui.remote.play();
    if (playing && playing.catch) {
      playing.catch(() => {
        ui.remoteNote.textContent = "Click here to hear " + PEER_LOWER + ".";
        ui.remoteNote.hidden = false;
      });
    }
  }

  function restartAfterReconnect() {
    // The socket dropped: signals may have been lost, and a network change that dropped the
    // socket may have broken the media path too. Say we are still here, and restart ICE.
    signal("join", {});
    if (pc) restartIce(pc);
  }

  // --- Media -----------------------------------------------------------------------------------

  function audioConstraint() {
    return chosen.audioinput ? { deviceId: { exact: chosen.audioinput } } : true;
  }

  function videoConstraint() {
    const size = { width: { ideal: 640 }, height: { ideal: 360 }, frameRate: { ideal: 24 } };
    return chosen.videoinput ? Object.assign({ deviceId: { exact: chosen.videoinput } }, size) : size;
  }

  async function openMedia() {
    // Microphone and camera; without a usable camera, the microphone alone.
    try {
      return await navigator.mediaDevices.getUserMedia({ audio: audioConstraint(), video: videoConstraint() });
    } catch (err) {
      if (err.name === "NotAllowedError" || err.name === "SecurityError") throw err;
      const stream = await navigator.mediaDevices.getUserMedia({ audio: audioConstraint() });
      camOn = false;
      return stream;
    }
  }

  function hasTrack(kind) {
    return !!local && local.getTracks().some((track) => track.kind === kind && track.readyState === "live");
  }

  function transceiverFor(kind) {
    if (!pc) return null;
    const list = pc.getTransceivers().filter((t) => !t.stopped && t.receiver.track.kind === kind);
    return list.find((t) => t.sender.track) || list.find((t) => t.direction !== "recvonly" && t.direction !== "inactive") || null;
  }

  async function useTrack(track) {
    // Put a new microphone or camera track in place of the old one, on the wire too.
    const kind = track.kind;
    local.getTracks().filter((t) => t.kind === kind).forEach((old) => {
      local.removeTrack(old);
      old.stop();
    });
    local.addTrack(track);
    if (kind === "audio") track.enabled = micOn;
    const transceiver = transceiverFor(kind);
    if (transceiver) await transceiver.sender.replaceTrack(track);
    else if (pc) pc.addTrack(track, local); // no sender of this kind yet: renegotiates
    ui.local.srcObject = local;
  }

  async function switchDevice(kind) {
    if (!local) {
      if (check.stream) await startCheck();
      return;
    }
    if (kind === "videoinput" && !camOn) return;
    const constraints = kind === "audioinput" ? { audio: audioConstraint() } : { video: videoConstraint() };
    try {
      const stream = await navigator.mediaDevices.getUserMedia(constraints);
      await useTrack(stream.getTracks()[0]);
      showError("");
    } catch (err) {
      showError(mediaError(err));
    }
    render();
  }

  async function listDevices() {
    let devices = [];
    try {
      devices = await navigator.mediaDevices.enumerateDevices();
    } catch (err) {
      return;
    }
    const names = { audioinput: "Microphone", videoinput: "Camera", audiooutput: "Speaker" };
    Object.keys(names).forEach((kind) => {
      const select = bar.querySelector("[data-call-device='" + kind + "']");
      const current = kind === "audiooutput" ? chosen[kind] : usedDevice(kind) || chosen[kind];
      const options = devices.filter((d) => d.kind === kind && d.deviceId);
      select.replaceChildren(
        ...options.map((d, index) => {
          const option = document.createElement("option");
          option.value = d.deviceId;
          option.textContent = d.label || names[kind] + " " + (index + 1);
          option.selected = d.deviceId === current;
          return option;
        }),
      );
      select.disabled = options.length < 2;
    });
    const canPickSpeaker = "setSinkId" in HTMLMediaElement.prototype && devices.some((d) => d.kind === "audiooutput" && d.deviceId);
    ui.speakerField.hidden = !canPickSpeaker;
  }

  function usedDevice(kind) {
    const stream = local || check.stream;
    if (!stream) return "";
    const track = stream.getTracks().find((t) => t.kind === (kind === "audioinput" ? "audio" : "video"));
    return track && track.getSettings ? track.getSettings().deviceId || "" : "";
  }

  // --- Joining and leaving ----------------------------------------------------------------------

  async function joinCall() {
    if (session || joining || !allowed) return;
    joining = true;
    showError("");
    render();
    try {
      if (check.stream) {
        local = check.stream; // the stream the check opened: no second permission prompt
        check.stream = null;
        stopCheck();
      } else {
        camOn = true;
        local = await openMedia();
      }
    } catch (err) {
      joining = false;
      showError(mediaError(err));
      return render();
    }
    joining = false;
    micOn = true;
    camOn = hasTrack("video");
    local.getAudioTracks().forEach((track) => { track.enabled = micOn; });
    ui.local.srcObject = local;
    session = newSession();
    signal("join", {});
    startPeer();
    sendState();
    startStats();
    listDevices();
    if (!camOn) showError("No camera could be started: you are in the call with sound only.");
    render();
  }

  function leaveCall() {
    if (!session) return;
    signal("bye", {});
    closePeer();
    session = null;
    if (local) local.getTracks().forEach((track) => track.stop());
    local = null;
    ui.local.srcObject = null;
    clearInterval(statsTimer);
    statsTimer = null;
    render();
  }

  function toggleMute() {
    micOn = !micOn;
    if (local) local.getAudioTracks().forEach((track) => { track.enabled = micOn; });
    sendState();
    render();
  }

  async function toggleCamera() {
    if (!local) return;
    if (camOn) {
      camOn = false;
      local.getVideoTracks().forEach((track) => {
        local.removeTrack(track);
        track.stop(); // the camera's light goes out
      });
      const transceiver = transceiverFor("video");
      if (transceiver) await transceiver.sender.replaceTrack(null);
    } else {
      try {
        const stream = await navigator.mediaDevices.getUserMedia({ video: videoConstraint() });
        camOn = true;
        await useTrack(stream.getVideoTracks()[0]);
        showError("");
      } catch (err) {
        showError(mediaError(err).replace("microphone", "camera"));
      }
    }
    ui.local.srcObject = local;
    sendState();
    render();
  }

  // --- The check before the start: a level meter and a preview ----------------------------------

  async function startCheck() {
    stopCheck();
    showError("");
    let stream;
    try {
      camOn = true;
      stream = await openMedia();
    } catch (err) {
      showError(mediaError(err));
      return render();
    }
    check.stream = stream;
    check.heard = false;
    ui.preview.srcObject = stream;
    ui.preview.hidden = !stream.getVideoTracks().length;
    const AudioContext = window.AudioContext || window.webkitAudioContext;
    if (AudioContext && stream.getAudioTracks().length) {
      const context = new AudioContext();
      const analyser = context.createAnalyser();
      analyser.fftSize = 1024;
      context.createMediaStreamSource(stream).connect(analyser);
      const samples = new Float32Array(analyser.fftSize);
      check.audio = context;
      const tick = () => {
        analyser.getFloatTimeDomainData(samples);
        let sum = 0;
        for (let i = 0; i < samples.length; i += 1) sum += samples[i] * samples[i];
        const level = Math.min(1, Math.sqrt(sum / samples.length) * 4); // RMS, scaled for speech
        ui.level.value = level;
        ui.level.textContent = Math.round(level * 100) + "%";
        if (level > 0.05 && !check.heard) {
          check.heard = true;
          ui.levelNote.textContent = "We hear you.";
        }
        check.frame = requestAnimationFrame(tick);
      };
      tick();
    }
    listDevices();
    render();
  }

  function stopCheck() {
    cancelAnimationFrame(check.frame);
    if (check.audio) check.audio.close();
    check.audio = null;
    if (check.stream) check.stream.getTracks().forEach((track) => track.stop());
    check.stream = null;
    ui.preview.srcObject = null;
    ui.level.value = 0;
    ui.levelNote.textContent = "Say something…";
  }

  function checkOffered() {
    return !session && phase === "scheduled" && sessionStorage.getItem(SKIPPED) !== "yes";
  }

  // --- Connection quality ----------------------------------------------------------------------

  function startStats() {
    clearInterval(statsTimer);
    lastStats = null;
    statsTimer = setInterval(readStats, STATS_EVERY);
  }

  async function readStats() {
    const connection = pc;
    if (!connection || connection.connectionState !== "connected") {
      ui.quality.hidden = true;
      return;
    }
    const report = await connection.getStats();
    let rtt = null;
    const now = { at: performance.now(), bytes: 0, received: 0, lost: 0, audioBytes: 0 };
    report.forEach((item) => {
      if (item.type === "candidate-pair" && item.state === "succeeded" && item.nominated && item.currentRoundTripTime !== undefined) {
        rtt = item.currentRoundTripTime;
      }
      if (item.type === "inbound-rtp") {
        now.bytes += item.bytesReceived || 0;
        now.received += item.packetsReceived || 0;
        now.lost += Math.max(0, item.packetsLost || 0);
        if (item.kind === "audio") now.audioBytes += item.bytesReceived || 0;
      }
    });
    const before = lastStats;
    lastStats = now;
    if (!before || connection !== pc) return;
    const seconds = (now.at - before.at) / 1000;
    const kbps = Math.max(0, ((now.bytes - before.bytes) * 8) / seconds / 1000);
    const lost = Math.max(0, now.lost - before.lost);
    const got = Math.max(0, now.received - before.received);
    const loss = lost + got ? lost / (lost + got) : 0;
    showQuality(rtt, loss, kbps, now.audioBytes > before.audioBytes);
  }

  function showQuality(rtt, loss, kbps, hearing) {
    const ms = rtt === null ? null : Math.round(rtt * 1000);
    let level = "good";
    if ((ms !== null && ms > 300) || loss > 0.03 || !hearing) level = "fair";
    if ((ms !== null && ms > 700) || loss > 0.1) level = "poor";
    const words = { good: "Good connection", fair: "Fair connection", poor: "Poor connection" };
    const parts = [words[level]];
    if (ms !== null) parts.push(ms + " ms");
    parts.push((loss * 100).toFixed(loss > 0 && loss < 0.1 ? 1 : 0) + "% lost");
    parts.push(Math.round(kbps) + " kbit/s");
    ui.quality.textContent = parts.join(" · ");
    ui.quality.title = "Round trip " + (ms === null ? "unknown" : ms + " ms") + ", packets lost " + (loss * 100).toFixed(1) + "%, receiving " + Math.round(kbps) + " kbit/s" + (hearing ? "" : "; no sound arriving");
    ui.quality.dataset.level = level;
    ui.quality.hidden = false;
  }

  // --- Showing it ------------------------------------------------------------------------------

  function statusText() {
    if (!allowed && !session) return "The call is closed.";
    if (joining) return "Starting your microphone and camera…";
    if (!session) return peerSession ? PEER + " is in the call." : "Not in the call.";
    if (!peerSession) return "In the call. Waiting for " + PEER_LOWER + " to join…";
    const state = pc ? pc.connectionState : "new";
    if (state === "connected") return "In the call with " + PEER_LOWER + ".";
    if (state === "disconnected" || state === "failed") return "Connection lost: reconnecting…";
    return "Connecting to " + PEER_LOWER + "…";
  }

  function remoteNote() {
    if (!peerSession) return "Waiting for " + PEER_LOWER + " to join…";
    if (!pc || pc.connectionState !== "connected") return "Connecting…";
    const notes = [];
    if (!peerState.video) notes.push("Camera off");
    if (!peerState.audio) notes.push("Muted");
    return notes.join(" · ");
  }

  function render() {
    const inCall = !!session;
    ui.status.textContent = statusText();
    bar.dataset.callState = inCall ? (pc ? pc.connectionState : "waiting") : "out";
    ui.join.hidden = inCall;
    ui.join.disabled = !allowed || joining;
    ui.join.textContent = peerSession && !inCall ? "Join " + PEER_LOWER : "Join the call";
    ui.stage.hidden = !inCall;
    ui.mute.hidden = ui.camera.hidden = ui.leave.hidden = !inCall;
    ui.mute.setAttribute("aria-pressed", String(!micOn));
    ui.camera.setAttribute("aria-pressed", String(!camOn));
    ui.local.hidden = !camOn;
    ui.localNote.textContent = [camOn ? "" : "Camera off", micOn ? "" : "Muted"].filter(Boolean).join(" · ");
    ui.localNote.hidden = micOn && camOn;
    const note = remoteNote();
    ui.remoteNote.textContent = note;
    ui.remoteNote.hidden = !note;
    bar.dataset.peerVideo = peerState.video && pc && pc.connectionState === "connected" ? "on" : "off";
    const checking = !!check.stream;
    ui.check.hidden = inCall || !(checking || checkOffered() || ui.checkToggle.getAttribute("aria-expanded") === "true");
    ui.checkBody.hidden = !checking;
    ui.checkStart.hidden = checking;
    ui.checkSkip.textContent = checking ? "Close the check" : "Skip the check";
    ui.checkToggle.hidden = inCall || !ui.check.hidden;
    if (!inCall) ui.quality.hidden = true;
  }

  function showMeetingLink(url) {
    // The interviewer changed the meeting link (checked on the server: https only).
    const box = bar.querySelector("[data-call-link]");
    const ok = typeof url === "string" && url.startsWith("https://");
    box.hidden = !ok;
    box.querySelector("a").href = ok ? url : "#";
    box.querySelector("[data-call-link-text]").textContent = ok && url.length > 60 ? url.slice(0, 59) + "…" : ok ? url : "";
  }

  function seePresence(participants) {
    // The other person (re)opened the room: if this tab is in the call, tell their new page,
    // which has not heard this tab's join.
    const other = (participants || []).find((person) => person.role !== ROLE);
    const online = !!other && other.online;
    if (online && !peerOnline && session) signal("join", { reply: true });
    peerOnline = online;
  }

  // --- Wiring ----------------------------------------------------------------------------------

  ui.join.addEventListener("click", joinCall);
  ui.leave.addEventListener("click", leaveCall);
  ui.mute.addEventListener("click", toggleMute);
  ui.camera.addEventListener("click", toggleCamera);
  ui.remoteNote.addEventListener("click", () => { if (ui.remote.paused) ui.remote.play().then(render, () => {}); });
  ui.checkToggle.addEventListener("click", () => {
    ui.checkToggle.setAttribute("aria-expanded", "true");
    startCheck();
  });
  ui.checkStart.addEventListener("click", startCheck);
  ui.checkSkip.addEventListener("click", () => {
    sessionStorage.setItem(SKIPPED, "yes");
    ui.checkToggle.setAttribute("aria-expanded", "false");
    stopCheck();
    render();
    ui.checkToggle.focus();
  });
  ui.devicesToggle.addEventListener("click", () => {
    const open = ui.devices.hidden;
    ui.devices.hidden = !open;
    ui.devicesToggle.setAttribute("aria-expanded", String(open));
    if (open) listDevices();
  });
  bar.querySelectorAll("[data-call-device]").forEach((select) => {
    select.addEventListener("change", () => {
      const kind = select.dataset.callDevice;
      chosen[kind] = select.value;
      if (kind === "audiooutput") ui.remote.setSinkId(select.value).catch((err) => showError("That speaker cannot be used (" + err.name + ")."));
      else switchDevice(kind);
    });
  });
  navigator.mediaDevices.addEventListener("devicechange", () => {
    if (!ui.devices.hidden) listDevices();
  });

  root.addEventListener("room:message", (event) => {
    const message = event.detail;
    const p = message.payload || {};
    if (message.type === "snapshot") {
      iceServers = p.ice_servers || [];
      allowed = p.actions.includes("call");
      phase = p.phase;
      snapshots += 1;
      seePresence(p.presence);
      if (snapshots > 1 && session) restartAfterReconnect();
    } else if (message.type === "state") {
      allowed = p.actions.includes("call");
      phase = p.phase;
      if (!allowed) leaveCall();
    } else if (message.type === "call.signal") {
      onSignal(p);
      return;
    } else if (message.type === "call.link") {
      showMeetingLink(p.url);
      return;
    } else if (message.type === "presence") {
      seePresence(p.participants);
      return;
    } else {
      return;
    }
    render();
  });
  window.addEventListener("pagehide", () => {
    if (session) signal("bye", {});
  });
  render();
})();

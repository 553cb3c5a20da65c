/* Online-safety reporting bot – browser front-end.
 *
 * Vanilla JS with no dependencies so it works offline with no build step.
 * Every piece of server or user text goes in with textContent (never
 * innerHTML): a report may quote "<script>" and it must show literally.
 * render.js (loaded first) draws the items; this file runs the conversation.
 */
"use strict";

// How the school configuration's role codes read on the sign-in screen.
const ROLE_LABELS = {
  staff: "Staff",
  dsl: "DSL",
  deputy_dsl: "Deputy DSL",
  headteacher: "Headteacher",
  ict: "ICT",
  governor: "Governor",
};

// Who is offered alert notifications: the people alerts go to.
const SAFEGUARDING_ROLES = new Set(["dsl", "deputy_dsl", "headteacher"]);
// A system notification is seen on a lock screen, by anyone: it says an alert came, never what.
const ALERT_NOTIFICATION = { title: "New safeguarding alert", body: "Open the chat to see it." };
const NOTIFICATIONS_BLOCKED = "Notifications are blocked for this page in the browser's settings.";

(function () {
  const $ = (id) => document.getElementById(id);
  const els = {
    loading: $("loading"), signin: $("signin"), signinTitle: $("signin-title"),
    signinIntro: $("signin-intro"), localOnly: $("signin-local-only"),
    signinAlert: $("signin-alert"), people: $("people"), schoolSignIn: $("school-sign-in"),
    chat: $("chat"), chatTitle: $("chat-title"), userName: $("user-name"),
    signout: $("signout"), status: $("conn-status"), log: $("log"),
    composer: $("composer"), input: $("composer-input"), counter: $("composer-counter"),
    announce: $("announce"), notifyRow: $("alert-notifications-row"),
    notifyButton: $("alert-notifications"), notifyStatus: $("alert-notifications-status"),
  };

  const { el, renderItem, renderCard, fillCard, TEXT_INPUTS, showMatches, moveHighlight, highlighted } =
    window.ChatRender; // render.js
  const SEARCH_DELAY_MS = 150; // a search frame once typing pauses, not one per key
  const MAX_TEXT = 20000; // characters in one message: parse.MAX_TEXT_CHARS on the server

  const state = {
    lastEmail: null,   // a different person signing in must not inherit the draft/log
    ws: null, retries: 0, retryTimer: null,
    wantSocket: false, // false after sign-out, so a closing socket does not reconnect
    maxLength: null,   // max_length of the newest question, for the counter
    // Sent frames awaiting their reply, by id: the card whose button was pressed, or null
    // for an answer to the newest question (frozen until its reply, whatever else arrives).
    pending: new Map(),
    title: document.title, // restored once an unseen alert has been seen
    unseenAlerts: 0,
    audio: null, // an AudioContext, made on the first press or key (browsers allow no sooner)
  };

  /* ---------- small helpers ---------- */

  function newId() {
    if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
    // randomUUID only exists in secure contexts; a LAN http:// page still needs ids.
    const bytes = crypto.getRandomValues(new Uint8Array(16));
    return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
  }

  async function api(method, path, body) {
    const headers = { Accept: "application/json" };
    if (body !== undefined) headers["Content-Type"] = "application/json";
    const res = await fetch(path, { method, headers, credentials: "same-origin", body: body && JSON.stringify(body) });
    const data = await res.json().catch(() => null);
    return { ok: res.ok, status: res.status, data };
  }

  function setSchool(name) {
    if (name) els.signinTitle.textContent = els.chatTitle.textContent = name;
  }

  function showScreen(screen) {
    els.loading.hidden = true;
    els.signin.hidden = screen !== "signin";
    els.chat.hidden = screen !== "chat";
  }

  // The alert region stays in the DOM (empty = invisible) so screen readers announce changes.
  function showSigninAlert(text) { els.signinAlert.textContent = text || ""; }

  // Status line ("Reconnecting…"); empty text hides it via CSS :empty. It changes the
  // log's height, so keep a reader who was at the end of the log at the end.
  function setStatus(text) {
    const log = els.log;
    const atEnd = log.scrollHeight - log.scrollTop - log.clientHeight < 4;
    els.status.textContent = text || "";
    if (atEnd) log.scrollTop = log.scrollHeight;
  }

  /* ---------- sign-in screen ---------- */

  // Who is signed in in this browser: the user, or null. Answered 200 either way (a 401 would
  // be a console error on every normal visit); throws if the server cannot be reached.
  async function whoIsSignedIn() {
    const res = await api("GET", "/api/web/session");
    if (!res.ok || !res.data) throw new Error(`session check failed (${res.status})`);
    return res.data.signed_in ? res.data.user : null;
  }

  async function loadPeople() {
    try {
      const res = await api("GET", "/api/web/people");
      if (res.ok && res.data) { setSchool(res.data.school); return res.data; }
    } catch (e) { /* handled by the caller */ }
    return null;
  }

  async function showSignIn(message) {
    showScreen("signin");
    showSigninAlert(message);
    renderPeople(await loadPeople());
    els.signinTitle.focus();
  }

  function renderPeople(data) {
    els.people.replaceChildren();
    if (!data) {
      showSigninAlert("Could not load the sign-in list. Please check the bot is running and reload the page.");
      return;
    }
    const allowed = data.login_allowed !== false;
    // The school's own accounts (Microsoft 365, Google Workspace), when the bot is set up so.
    els.schoolSignIn.hidden = !data.school_sign_in;
    els.signinIntro.hidden = !allowed;
    els.localOnly.hidden = allowed || (Boolean(data.school_sign_in) && !data.login_message);
    // The server says why (switched off, through a proxy, another machine); else the default.
    if (!allowed && data.login_message) els.localOnly.textContent = data.login_message;
    if (!allowed) return;
    for (const person of data.people || []) {
      const roles = (person.roles || []).map((r) => ROLE_LABELS[r] || r).join(", ");
      const button = el("button", { type: "button", class: "person", "data-email": person.email }, [
        el("span", { class: "person-name", text: person.name || person.email }),
        roles ? el("span", { class: "person-roles", text: roles }) : null,
      ]);
      els.people.append(el("li", {}, [button]));
    }
  }

  async function login(button) {
    showSigninAlert("");
    button.disabled = true;
    try {
      const res = await api("POST", "/api/web/login", { email: button.dataset.email });
      if (res.ok && res.data) return showChat(res.data);
      showSigninAlert((res.data && res.data.error) || `Sign-in failed (error ${res.status}). Please try again.`);
    } catch (e) {
      showSigninAlert("Could not reach the server. Please check the bot is running and try again.");
    }
    button.disabled = false;
  }

  /* ---------- chat screen and websocket ---------- */

  function showChat(user) {
    // A different person must not see the previous person's conversation or draft.
    if (state.lastEmail && state.lastEmail !== user.email) clearConversation();
    state.lastEmail = user.email;
    els.userName.textContent = user.name || user.email;
    offerNotifications(user);
    showScreen("chat");
    state.wantSocket = true;
    state.retries = 0;
    connect();
    els.input.focus();
  }

  function connect() {
    clearTimeout(state.retryTimer);
    settleAll(); // replies to frames sent on an earlier socket will never come
    const proto = location.protocol === "https:" ? "wss:" : "ws:";
    const ws = new WebSocket(`${proto}//${location.host}/api/web/ws`);
    state.ws = ws;
    setStatus(state.retries ? "Reconnecting…" : "Connecting…");
    ws.addEventListener("open", () => { state.retries = 0; setStatus(""); });
    ws.addEventListener("message", (ev) => onServerMessage(ev.data));
    ws.addEventListener("close", () => onSocketClosed(ws));
  }

  async function onSocketClosed(ws) {
    if (ws !== state.ws || !state.wantSocket) return; // stale socket, or a deliberate sign-out
    state.ws = null;
    setStatus("Reconnecting…");
    // A socket refused for lack of a session looks just like a network drop, so ask.
    try {
      if (!(await whoIsSignedIn()) && state.wantSocket) {
        return sessionEnded("Your session has ended. Please sign in again.");
      }
    } catch (e) { /* server unreachable: keep retrying */ }
    if (!state.wantSocket || state.ws) return; // signed out, or a new socket exists meanwhile
    const delay = Math.min(20000, 1000 * 2 ** state.retries) * (0.75 + Math.random() * 0.5);
    state.retries += 1;
    state.retryTimer = setTimeout(connect, delay);
  }

  async function signOut() {
    state.wantSocket = false;
    clearTimeout(state.retryTimer);
    if (state.ws) state.ws.close(1000);
    state.ws = null;
    try { await api("POST", "/api/web/logout", {}); } catch (e) { /* still leave the chat */ }
    clearConversation();
    state.lastEmail = null;
    setStatus("");
    showSignIn();
  }

  // Signed out in another tab, or idle too long: the server closed the socket. Nothing of
  // the conversation (an alert's text) stays on the screen behind the sign-in.
  function sessionEnded(message) {
    state.wantSocket = false;
    clearTimeout(state.retryTimer);
    state.ws = null;
    clearConversation();
    state.lastEmail = null;
    setStatus("");
    return showSignIn(message);
  }

  function clearConversation() {
    state.pending.clear();
    els.log.replaceChildren();
    els.input.value = "";
    els.announce.textContent = "";
    updateComposer(null);
    alertsSeen();
  }

  function onServerMessage(raw) {
    let msg;
    try { msg = JSON.parse(raw); } catch (e) { return; }
    if (msg.type === "hello" && msg.user) {
      els.userName.textContent = msg.user.name || msg.user.email;
    } else if (msg.type === "messages") {
      // reply_to: the id of the frame this answers; null for a push (e.g. a new alert).
      const push = typeof msg.reply_to !== "string";
      if (!push) settle(msg.reply_to);
      renderBatch(Array.isArray(msg.items) ? msg.items : [], push);
    } else if (msg.type === "ended") {
      sessionEnded(msg.text || "You have been signed out. Please sign in again.");
    } else if (msg.type === "search_results") {
      onMatches(msg);
    } else if (msg.type === "error") {
      settleAll(); // an error frame carries no id: it may answer anything in flight
      // restore_text: a refused message (too long to send) goes back in the box to edit.
      renderBatch([{
        kind: "notice", tone: "error", text: msg.text || "Something went wrong.",
        restore_text: msg.restore_text,
      }]);
    }
  }

  /* ---------- rendering the conversation ---------- */

  function renderBatch(items, push) {
    let focus = null; // decided after rendering, so the newest item wins
    let first = null;
    for (const item of items) {
      if (item.kind === "card" && updateCard(item)) continue; // replaced in place
      const alert = item.kind === "card" && item.tone === "urgent" && push;
      const node = item.kind === "card" ? renderCard(item, { alert }) : renderItem(item);
      if (!node) continue;
      if (alert) noteAlert(item);
      // A new card pushed (not an update of one shown): a new alert, urgent or not.
      if (item.kind === "card" && push) signalAlert();
      els.log.append(node);
      first = first || node;
      if (item.kind === "question" || item.kind === "summary") focus = "newest";
      if (item.kind === "notice" && typeof item.restore_text === "string") {
        restoreText(item.restore_text);
        focus = "input";
      }
    }
    const newest = activateNewest();
    // An answer still on its way keeps its question frozen, even if a push came first.
    if (newest && questionPending()) setControlsDisabled(newest, true);
    updateComposer(newest);
    if (first) scrollToBatch(first);
    // A push (an alert, a card's update) never takes focus: the reader may be busy elsewhere.
    const lost = !push && (!document.activeElement || document.activeElement === document.body);
    if (focus === "input") els.input.focus({ preventScroll: true }); // restore_text: fix the answer
    else if (focus === "newest" || lost) focusNewest(newest);
    // A focused control must never sit out of view (small screens, long summaries).
    const active = document.activeElement;
    if (active && els.log.contains(active) && active !== els.log) active.scrollIntoView({ block: "nearest" });
  }

  /* ---------- cards: in-place updates, alerts, their buttons ---------- */

  function findCard(cardId) {
    for (const node of els.log.querySelectorAll('[data-kind="card"]')) {
      if (node.dataset.cardId === String(cardId)) return node;
    }
    return null;
  }

  // A card whose id is on the page already is an update: redraw it where it is, say so
  // politely, and leave the reader's focus and scroll position alone. False if not shown.
  function updateCard(card) {
    const node = findCard(card.card_id);
    if (!node) return false;
    const active = document.activeElement;
    const hadFocus = node.contains(active);
    // The log would read the whole card out again; the short announcement below says it.
    node.setAttribute("aria-live", "off");
    fillCard(node, card, { alert: false });
    if (cardPending(node)) setCardBusy(node, true);
    if (hadFocus && active !== node) node.focus({ preventScroll: true }); // its button is gone
    node.classList.remove("is-updated");
    void node.offsetWidth; // restart the highlight if it is still running
    node.classList.add("is-updated");
    clearTimeout(node.highlightTimer);
    node.highlightTimer = setTimeout(() => node.classList.remove("is-updated"), 2500);
    announce(`Updated: ${card.title}${card.footer ? `. ${card.footer}` : ""}`);
    return true;
  }

  function announce(text) {
    // Cleared first, so the same words twice are announced twice.
    els.announce.textContent = "";
    setTimeout(() => { els.announce.textContent = text; }, 50);
  }

  // An urgent alert while the window is in the background: say so in the tab's title.
  function noteAlert(card) {
    if (document.hasFocus()) return;
    state.unseenAlerts += 1;
    document.title = `(${state.unseenAlerts}) New alert – ${card.title}`;
  }

  /* ---------- alert sound and system notifications ---------- */

  function offerNotifications(user) {
    const team = (user.roles || []).some((role) => SAFEGUARDING_ROLES.has(role));
    const possible = team && "Notification" in window;
    els.notifyRow.hidden = !possible || Notification.permission === "granted";
    els.notifyButton.hidden = possible && Notification.permission === "denied";
    els.notifyStatus.textContent = els.notifyButton.hidden ? NOTIFICATIONS_BLOCKED : "";
  }

  // Asked only from the button's press: a browser ignores (or blocks) an unprompted request.
  async function askNotifications() {
    let answer = "default";
    try { answer = await Notification.requestPermission(); } catch (e) { /* stays as it was */ }
    els.notifyRow.hidden = answer === "granted";
    els.notifyButton.hidden = answer === "denied";
    els.notifyStatus.textContent = answer === "denied" ? NOTIFICATIONS_BLOCKED : "";
  }

  // A short tone and a system notification: both say only that an alert came, never what.
  function signalAlert() {
    playAlertTone();
    showAlertNotification();
  }

  function showAlertNotification() {
    if (!("Notification" in window) || Notification.permission !== "granted") return;
    try {
      const shown = new Notification(ALERT_NOTIFICATION.title, {
        body: ALERT_NOTIFICATION.body, tag: "safeguarding-alert", icon: "/static/icon-192.png",
      });
      shown.addEventListener("click", () => { window.focus(); shown.close(); });
    } catch (e) { /* e.g. a phone that only shows them from a service worker: the tone still plays */ }
  }

  function unlockSound() {
    if (state.audio || !(window.AudioContext || window.webkitAudioContext)) return;
    try { state.audio = new (window.AudioContext || window.webkitAudioContext)(); } catch (e) { /* silent */ }
  }

  // Two short beeps made by the Web Audio API (no sound file to fetch).
  function playAlertTone() {
    const audio = state.audio;
    if (!audio) return;
    try {
      if (audio.state === "suspended") audio.resume();
      for (const [offset, pitch] of [[0, 880], [0.22, 660]]) {
        const tone = audio.createOscillator();
        const volume = audio.createGain();
        const at = audio.currentTime + offset;
        tone.frequency.value = pitch;
        volume.gain.setValueAtTime(0.0001, at);
        volume.gain.exponentialRampToValueAtTime(0.3, at + 0.02);
        volume.gain.exponentialRampToValueAtTime(0.0001, at + 0.18);
        tone.connect(volume).connect(audio.destination);
        tone.start(at);
        tone.stop(at + 0.2);
      }
    } catch (e) { /* no sound: the card and the notification still show */ }
  }

  function alertsSeen() {
    state.unseenAlerts = 0;
    document.title = state.title;
  }

  // Only the pressed card's buttons wait for the reply; the question being answered does not.
  function setCardBusy(node, busy) {
    for (const button of node.querySelectorAll(".case-card-actions button")) {
      button.disabled = busy;
      if (busy) button.setAttribute("aria-disabled", "true");
      else button.removeAttribute("aria-disabled");
    }
    node.classList.toggle("is-busy", busy);
  }

  function cardPending(node) {
    for (const card of state.pending.values()) if (card === node) return true;
    return false;
  }

  function questionPending() {
    for (const card of state.pending.values()) if (card === null) return true;
    return false;
  }

  // The reply to frame `id` has come: its card's buttons work again.
  function settle(id) {
    const card = state.pending.get(id);
    state.pending.delete(id);
    if (card && !cardPending(card)) setCardBusy(card, false);
  }

  function settleAll() {
    const cards = Array.from(state.pending.values()).filter(Boolean);
    state.pending.clear();
    for (const card of cards) setCardBusy(card, false);
  }

  /* ---------- which item is live ---------- */

  function newestInteractive() {
    const all = els.log.querySelectorAll("[data-interactive]");
    return all.length ? all[all.length - 1] : null;
  }

  function setControlsDisabled(node, disabled) {
    for (const control of node.querySelectorAll("button, input")) {
      control.disabled = disabled;
      if (disabled) control.setAttribute("aria-disabled", "true");
      else control.removeAttribute("aria-disabled");
    }
    node.classList.toggle("is-inactive", disabled);
  }

  // Only the newest question/summary can be answered; older ones are frozen so an
  // old choice is not clicked again by accident.
  function activateNewest() {
    const newest = newestInteractive();
    for (const node of els.log.querySelectorAll("[data-interactive]")) setControlsDisabled(node, node !== newest);
    return newest;
  }

  function focusNewest(newest) {
    if (!newest) return;
    const search = newest.querySelector('[data-role="person-search"]:not([disabled])');
    if (search) { search.focus({ preventScroll: true }); return; }
    if (newest.dataset.kind === "question" && TEXT_INPUTS.has(newest.dataset.input)) {
      els.input.focus({ preventScroll: true });
      return;
    }
    // Prefer the answer options (or the first checkbox) over Change/Back-style buttons.
    const target = newest.querySelector(".options button:not([disabled]), .options input:not([disabled])")
      || newest.querySelector("button:not([disabled]), input:not([disabled])");
    if (target) target.focus({ preventScroll: true });
  }

  // Scroll to the bottom, unless that would hide the start of what just arrived.
  function scrollToBatch(first) {
    const log = els.log;
    log.scrollTop = Math.min(log.scrollHeight - log.clientHeight, first.offsetTop - 12);
  }

  /* ---------- composer ---------- */

  function updateComposer(newest) {
    const q = newest && newest.dataset.kind === "question" ? newest : null;
    state.maxLength = q && q.dataset.maxLength ? Number(q.dataset.maxLength) : null;
    const ids = [];
    if (q && TEXT_INPUTS.has(q.dataset.input)) ids.push(q.dataset.described);
    if (state.maxLength) ids.push(els.counter.id);
    if (ids.length) els.input.setAttribute("aria-describedby", ids.join(" "));
    else els.input.removeAttribute("aria-describedby");
    updateCounter();
  }

  function updateCounter() {
    const max = state.maxLength;
    els.counter.hidden = !max;
    if (!max) return;
    const count = Array.from(els.input.value).length; // code points, as the Python server counts
    els.counter.textContent = `${count} / ${max}`;
    els.counter.classList.toggle("is-over", count > max);
  }

  // Grow the textarea with its content, up to a limit (then it scrolls).
  function autoGrow() {
    els.input.style.height = "auto";
    els.input.style.height = `${Math.min(els.input.scrollHeight + 2, 220)}px`;
  }

  function restoreText(text) {
    // Never overwrite anything typed since; put the rejected text in front of it.
    const current = els.input.value;
    els.input.value = !current || current === text ? text : `${text}\n${current}`;
    updateCounter();
    autoGrow();
  }

  /* ---------- sending ---------- */

  // `card`: the card whose button was pressed; otherwise this answers the newest question.
  function send(payload, echo, card) {
    if (!state.ws || state.ws.readyState !== WebSocket.OPEN) {
      setStatus("Not connected yet – your answer has been kept. Please try again in a moment.");
      return false;
    }
    payload.id = newId();
    state.ws.send(JSON.stringify(payload));
    state.pending.set(payload.id, card || null);
    els.log.append(el("div", { class: "item item--user", "data-kind": "user", text: echo }));
    // Freeze what was pressed until the server replies, so a double click sends once.
    if (card) {
      if (card.contains(document.activeElement)) card.focus({ preventScroll: true });
      setCardBusy(card, true);
    } else {
      const newest = newestInteractive();
      if (newest) setControlsDisabled(newest, true);
    }
    els.log.scrollTop = els.log.scrollHeight;
    return true;
  }

  function sendText() {
    const text = els.input.value;
    if (!text.trim()) { els.input.focus(); return; }
    const length = Array.from(text).length;
    if (length > MAX_TEXT) {
      // Bigger than one message can carry: say so here and keep the text to shorten.
      const n = (x) => x.toLocaleString("en-GB");
      renderBatch([{
        kind: "notice", tone: "error",
        text: `That is ${n(length)} characters; one message can hold at most ${n(MAX_TEXT)}. Please shorten it.`,
      }]);
      els.input.focus({ preventScroll: true });
      return;
    }
    if (send({ type: "text", text }, text)) {
      els.input.value = "";
      updateCounter();
      autoGrow();
    }
  }

  function sendMulti(item) {
    const checked = Array.from(item.querySelectorAll("input[type=checkbox]:checked"));
    const labels = checked.map((box) => box.dataset.label);
    const frame = { type: "multi", values: checked.map((box) => box.value), token: item.dataset.token };
    send(frame, labels.length ? labels.join(", ") : "Nothing selected");
  }

  /* ---------- a person step's type-ahead ---------- */

  // Typing in the box asks the server (a "search" frame) once typing pauses.
  function onSearchInput(ev) {
    const input = ev.target.closest('[data-role="person-search"]');
    if (!input) return;
    clearTimeout(input.searchTimer);
    input.searchTimer = setTimeout(() => askMatches(input), SEARCH_DELAY_MS);
  }

  function askMatches(input) {
    const query = input.value.trim();
    const picker = input.closest(".person-picker");
    if (!query) { showMatches(picker, []); return; }
    if (!state.ws || state.ws.readyState !== WebSocket.OPEN) return;
    state.ws.send(JSON.stringify({ type: "search", step: input.dataset.stepId, query }));
  }

  // Matches for a box still showing the words they were asked for; late ones are dropped.
  function onMatches(msg) {
    const newest = newestInteractive();
    const input = newest && newest.querySelector('[data-role="person-search"]');
    if (!input || input.disabled || input.dataset.stepId !== msg.step) return;
    if (input.value.trim() !== msg.query) return;
    showMatches(input.closest(".person-picker"), Array.isArray(msg.items) ? msg.items : []);
  }

  function pickPerson(option) {
    // A pick answers the question its list belongs to: its token goes with it, like a button's.
    const item = option.closest("[data-interactive]");
    const frame = { type: "action", value: option.dataset.value, token: item ? item.dataset.token : undefined };
    send(frame, option.dataset.label);
  }

  function onSearchKey(ev) {
    const input = ev.target.closest('[data-role="person-search"]');
    if (!input || input.disabled || ev.isComposing) return;
    const picker = input.closest(".person-picker");
    if (ev.key === "ArrowDown" || ev.key === "ArrowUp") {
      ev.preventDefault();
      moveHighlight(picker, ev.key === "ArrowDown" ? 1 : -1);
    } else if (ev.key === "Escape") {
      showMatches(picker, []);
    } else if (ev.key === "Enter") {
      ev.preventDefault();
      const option = highlighted(picker);
      // No name chosen: what was typed is the answer ("someone not on this list").
      if (option) pickPerson(option);
      else if (input.value.trim()) send({ type: "text", text: input.value }, input.value);
    }
  }

  function onLogClick(ev) {
    const option = ev.target.closest('[role="option"][data-value]');
    if (option) {
      const input = option.closest(".person-picker").querySelector('[data-role="person-search"]');
      if (!input.disabled) pickPerson(option);
      return;
    }
    const button = ev.target.closest("button");
    if (!button || button.disabled) return;
    const card = button.closest('[data-kind="card"]');
    if (card) {
      if (button.dataset.value !== undefined) send({ type: "action", value: button.dataset.value }, button.textContent, card);
      return;
    }
    const item = button.closest("[data-interactive]");
    if (!item) return;
    if (button.dataset.role === "multi-done") sendMulti(item);
    else if (button.dataset.value !== undefined) {
      // The token names the question this button is on; the menu has none (it starts things).
      const frame = { type: "action", value: button.dataset.value, token: item.dataset.token };
      send(frame, button.getAttribute("aria-label") || button.textContent);
    }
  }

  function onComposerKey(ev) {
    // Enter sends; Shift+Enter is a newline; don't interrupt IME composition.
    if (ev.key === "Enter" && !ev.shiftKey && !ev.isComposing) {
      ev.preventDefault();
      sendText();
    }
  }

  /* ---------- start-up ---------- */

  function bindEvents() {
    els.people.addEventListener("click", (ev) => {
      const button = ev.target.closest("button[data-email]");
      if (button && !button.disabled) login(button);
    });
    els.signout.addEventListener("click", signOut);
    els.log.addEventListener("click", onLogClick);
    els.log.addEventListener("input", onSearchInput);
    els.log.addEventListener("keydown", onSearchKey);
    els.composer.addEventListener("submit", (ev) => { ev.preventDefault(); sendText(); });
    els.input.addEventListener("keydown", onComposerKey);
    els.input.addEventListener("input", () => { updateCounter(); autoGrow(); });
    window.addEventListener("focus", alertsSeen);
    els.notifyButton.addEventListener("click", askNotifications);
    document.addEventListener("pointerdown", unlockSound, { capture: true });
    document.addEventListener("keydown", unlockSound, { capture: true });
  }

  // The installable app's service worker (secure contexts only: https, or this computer).
  // Its scope is the whole site, which the server allows with Service-Worker-Allowed.
  function registerServiceWorker() {
    if (!("serviceWorker" in navigator) || !window.isSecureContext) return;
    navigator.serviceWorker.register("/static/sw.js", { scope: "/" }).catch(() => {
      /* the chat works without it: it only makes the page installable */
    });
  }

  async function start() {
    bindEvents();
    registerServiceWorker();
    const [user, people] = await Promise.all([whoIsSignedIn().catch(() => null), loadPeople()]);
    if (user) return showChat(user);
    showScreen("signin");
    renderPeople(people);
  }

  start();
})();

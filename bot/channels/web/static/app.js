/* Online-safety reporting bot – browser front-end.
 *
 * Vanilla JS with no dependencies so it works offline with no build step.
 * Every piece of server or user text goes in with textContent (never
 * innerHTML): a report may quote "<script>" and it must show literally.
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

(function () {
  const $ = (id) => document.getElementById(id);
  const els = {
    loading: $("loading"), signin: $("signin"), signinTitle: $("signin-title"),
    signinIntro: $("signin-intro"), localOnly: $("signin-local-only"),
    signinAlert: $("signin-alert"), people: $("people"),
    chat: $("chat"), chatTitle: $("chat-title"), userName: $("user-name"),
    signout: $("signout"), status: $("conn-status"), log: $("log"),
    composer: $("composer"), input: $("composer-input"), counter: $("composer-counter"),
  };

  const TONES = new Set(["info", "guidance", "warning", "urgent", "error", "success"]);
  const STYLES = new Set(["primary", "danger", "default"]);
  const TEXT_INPUTS = new Set(["text", "datetime"]);
  const ROW_INPUTS = new Set(["yes_no", "confirm"]);
  const MAX_TEXT = 20000; // characters in one message: parse.MAX_TEXT_CHARS on the server

  const state = {
    lastEmail: null,   // a different person signing in must not inherit the draft/log
    ws: null, retries: 0, retryTimer: null,
    wantSocket: false, // false after sign-out, so a closing socket does not reconnect
    maxLength: null,   // max_length of the newest question, for the counter
    seq: 0,            // unique element ids for aria-describedby
  };

  /* ---------- small helpers ---------- */

  // Build an element; "text" is always set with textContent.
  function el(tag, props, children) {
    const node = document.createElement(tag);
    for (const [key, value] of Object.entries(props || {})) {
      if (value === null || value === undefined || value === false) continue;
      if (key === "text") node.textContent = String(value);
      else if (key === "class") node.className = value;
      else node.setAttribute(key, value === true ? "" : String(value));
    }
    for (const child of children || []) if (child) node.append(child);
    return node;
  }

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
    els.signinIntro.hidden = !allowed;
    els.localOnly.hidden = allowed;
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
    showScreen("chat");
    state.wantSocket = true;
    state.retries = 0;
    connect();
    els.input.focus();
  }

  function connect() {
    clearTimeout(state.retryTimer);
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
      const me = await api("GET", "/api/web/me");
      if (me.status === 401 && state.wantSocket) {
        state.wantSocket = false;
        return showSignIn("Your session has ended. Please sign in again.");
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
    try { await api("POST", "/api/web/logout"); } catch (e) { /* still leave the chat */ }
    clearConversation();
    state.lastEmail = null;
    setStatus("");
    showSignIn();
  }

  function clearConversation() {
    els.log.replaceChildren();
    els.input.value = "";
    updateComposer(null);
  }

  function onServerMessage(raw) {
    let msg;
    try { msg = JSON.parse(raw); } catch (e) { return; }
    if (msg.type === "hello" && msg.user) {
      els.userName.textContent = msg.user.name || msg.user.email;
    } else if (msg.type === "messages") {
      renderBatch(Array.isArray(msg.items) ? msg.items : []);
    } else if (msg.type === "error") {
      // restore_text: a refused message (too long to send) goes back in the box to edit.
      renderBatch([{
        kind: "notice", tone: "error", text: msg.text || "Something went wrong.",
        restore_text: msg.restore_text,
      }]);
    }
  }

  /* ---------- rendering the conversation ---------- */

  function renderBatch(items) {
    let focus = null; // decided after rendering, so the newest item wins
    let first = null;
    for (const item of items) {
      const node = renderItem(item);
      if (!node) continue;
      els.log.append(node);
      first = first || node;
      if (item.kind === "question" || item.kind === "summary") focus = "newest";
      if (item.kind === "notice" && typeof item.restore_text === "string") {
        restoreText(item.restore_text);
        focus = "input";
      }
    }
    const newest = activateNewest();
    updateComposer(newest);
    if (first) scrollToBatch(first);
    const lost = !document.activeElement || document.activeElement === document.body;
    if (focus === "input") els.input.focus({ preventScroll: true }); // restore_text: fix the answer
    else if (focus === "newest" || lost) focusNewest(newest);
    // A focused control must never sit out of view (small screens, long summaries).
    const active = document.activeElement;
    if (active && els.log.contains(active) && active !== els.log) active.scrollIntoView({ block: "nearest" });
  }

  function renderItem(item) {
    if (item.kind === "question") return renderQuestion(item);
    if (item.kind === "summary") return renderSummary(item);
    if (item.kind === "notice" || item.text) return renderNotice(item);
    return null;
  }

  function renderNotice(n) {
    const tone = TONES.has(n.tone) ? n.tone : "info";
    const alert = tone === "urgent" || tone === "error";
    return el("div", {
      class: `item item--bot notice notice--${tone}`, "data-kind": "notice", "data-tone": tone,
      role: alert ? "alert" : null, text: n.text || "",
    });
  }

  function optionButton(opt, extra) {
    const style = STYLES.has(opt.style) ? opt.style : "default";
    return el("button", { type: "button", class: `btn btn--${style} ${extra || ""}`, "data-value": opt.value, text: opt.label });
  }

  function renderQuestion(q) {
    const id = `q${++state.seq}`;
    const multi = q.input === "multi_choice";
    const node = el("div", {
      class: "item item--bot question", "data-kind": "question", "data-input": q.input,
      "data-step-id": q.step_id, "data-max-length": q.max_length, "data-interactive": true,
      "data-described": `${id}-text${q.hint ? ` ${id}-hint` : ""}`,
    });
    if (q.guidance) node.append(el("div", { class: "notice notice--guidance", text: q.guidance }));
    if (Array.isArray(q.progress)) node.append(el("p", { class: "q-progress", text: `Question ${q.progress[0]} of ${q.progress[1]}` }));
    const title = el(multi ? "legend" : "p", { class: "q-text", id: `${id}-text`, text: q.text });
    const hint = q.hint ? el("p", { class: "q-hint", id: `${id}-hint`, text: q.hint }) : null;
    const current = q.current_answer
      ? el("p", { class: "q-current", text: `Your previous answer: ${q.current_answer}` }) : null;
    const options = q.options || [];

    if (multi) {
      // The legend names the group of checkboxes for screen readers.
      const boxes = options.map((opt) => el("label", { class: "check" }, [
        el("input", { type: "checkbox", value: opt.value, "data-value": opt.value, "data-label": opt.label }),
        el("span", { text: opt.label }),
      ]));
      node.append(el("fieldset", { class: "options options--checks" }, [title, hint, current, ...boxes]));
      node.append(el("div", { class: "options-done" }, [
        el("button", { type: "button", class: "btn btn--primary multi-done", "data-role": "multi-done", text: "Done" }),
      ]));
    } else {
      node.append(...[title, hint, current].filter(Boolean));
      if (options.length && !TEXT_INPUTS.has(q.input)) {
        const layout = ROW_INPUTS.has(q.input) ? "options--row" : "options--list";
        node.append(el("div", { class: `options ${layout}` }, options.map((o) => optionButton(o))));
      }
    }
    if (q.actions && q.actions.length) {
      node.append(el("div", { class: "actions" }, q.actions.map((a) => optionButton(a, "btn--small"))));
    }
    return node;
  }

  function renderSummary(s) {
    const node = el("div", { class: "item item--bot summary", "data-kind": "summary", "data-interactive": true });
    if (s.title) node.append(el("h2", { class: "summary-title", text: s.title }));
    if (s.text) node.append(el("p", { class: "summary-text", text: s.text }));
    const rows = (s.rows || []).map((row) => el("div", { class: "summary-row" }, [
      el("dt", { text: row.label }),
      el("dd", {}, [
        el("span", { class: "summary-value", text: row.value === null || row.value === "" ? "—" : row.value }),
        row.step_id ? el("button", {
          type: "button", class: "btn btn--link", "data-value": `edit:${row.step_id}`,
          "aria-label": `Change ${row.label}`, text: "Change",
        }) : null,
      ]),
    ]));
    node.append(el("dl", { class: "summary-rows" }, rows));
    if (s.options && s.options.length) {
      node.append(el("div", { class: "options options--row" }, s.options.map((o) => optionButton(o))));
    }
    return node;
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

  function send(payload, echo) {
    if (!state.ws || state.ws.readyState !== WebSocket.OPEN) {
      setStatus("Not connected yet – your answer has been kept. Please try again in a moment.");
      return false;
    }
    payload.id = newId();
    state.ws.send(JSON.stringify(payload));
    els.log.append(el("div", { class: "item item--user", "data-kind": "user", text: echo }));
    // Freeze the answered question until the server replies, so a double click sends once.
    const newest = newestInteractive();
    if (newest) setControlsDisabled(newest, true);
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
    send({ type: "multi", values: checked.map((box) => box.value) }, labels.length ? labels.join(", ") : "Nothing selected");
  }

  function onLogClick(ev) {
    const button = ev.target.closest("button");
    if (!button || button.disabled || !button.closest("[data-interactive]")) return;
    if (button.dataset.role === "multi-done") sendMulti(button.closest("[data-interactive]"));
    else if (button.dataset.value !== undefined) {
      send({ type: "action", value: button.dataset.value }, button.getAttribute("aria-label") || button.textContent);
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
    els.composer.addEventListener("submit", (ev) => { ev.preventDefault(); sendText(); });
    els.input.addEventListener("keydown", onComposerKey);
    els.input.addEventListener("input", () => { updateCounter(); autoGrow(); });
  }

  async function start() {
    bindEvents();
    const [me, people] = await Promise.all([api("GET", "/api/web/me").catch(() => null), loadPeople()]);
    if (me && me.ok && me.data) return showChat(me.data);
    showScreen("signin");
    renderPeople(people);
  }

  start();
})();

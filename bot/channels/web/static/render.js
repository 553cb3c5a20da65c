/* Online-safety reporting bot – drawing the conversation's items (loaded before app.js).
 *
 * Pure DOM building: each item the server sends (see bot/channels/web/render.py) becomes an
 * element. Every piece of server text goes in with textContent (never innerHTML): a report
 * may quote "<script>" and it must show literally.
 */
"use strict";

window.ChatRender = (function () {
  const TONES = new Set(["info", "guidance", "warning", "urgent", "error", "success"]);
  const STYLES = new Set(["primary", "danger", "default"]);
  const TEXT_INPUTS = new Set(["text", "datetime"]);
  const ROW_INPUTS = new Set(["yes_no", "confirm"]);
  let seq = 0; // unique element ids for aria-describedby / aria-labelledby

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

  // Everything but a card: app.js draws those with renderCard, or updates one already shown.
  function renderItem(item) {
    if (item.kind === "question") return renderQuestion(item);
    if (item.kind === "summary") return renderSummary(item);
    if (item.kind === "notice" || item.text) return renderNotice(item);
    return null;
  }

  function renderNotice(n) {
    const tone = TONES.has(n.tone) ? n.tone : "info";
    const alert = tone === "urgent" || tone === "error";
    const node = el("div", {
      class: `item item--bot notice notice--${tone}`, "data-kind": "notice", "data-tone": tone,
      role: alert ? "alert" : null, text: n.text || "",
    });
    // A way to do what the notice asks: only ever one of the chat's own sign-in pages.
    const link = n.link;
    if (link && typeof link.url === "string" && link.url.startsWith("/auth/")) {
      node.append(el("p", {}, [el("a", { class: "btn btn--primary", href: link.url, text: link.label || "Continue" })]));
    }
    return node;
  }

  function optionButton(opt, extra) {
    const style = STYLES.has(opt.style) ? opt.style : "default";
    return el("button", { type: "button", class: `btn btn--${style} ${extra || ""}`, "data-value": opt.value, text: opt.label });
  }

  function renderQuestion(q) {
    const id = `q${++seq}`;
    const multi = q.input === "multi_choice";
    const node = el("div", {
      class: "item item--bot question", "data-kind": "question", "data-input": q.input,
      "data-step-id": q.step_id, "data-max-length": q.max_length, "data-interactive": true,
      "data-token": q.token, // sent back with each click: which question it answers
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
      if (q.input === "person") node.append(personPicker(id, q));
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

  // A person step: a combobox that asks the server for matching names as one types (app.js),
  // and a listbox of them (the ARIA 1.2 combobox pattern: focus stays in the box, the
  // highlighted name is aria-activedescendant, arrows move, Enter picks).
  function personPicker(id, q) {
    const input = el("input", {
      type: "text", id: `${id}-search`, class: "person-search", role: "combobox",
      autocomplete: "off", spellcheck: "false", "aria-autocomplete": "list",
      "aria-expanded": "false", "aria-controls": `${id}-list`,
      "aria-describedby": `${id}-text${q.hint ? ` ${id}-hint` : ""}`,
      maxlength: 100, "data-role": "person-search", "data-step-id": q.step_id,
    });
    const list = el("ul", {
      id: `${id}-list`, class: "person-list", role: "listbox", "aria-label": "Matching people",
      hidden: true,
    });
    return el("div", { class: "person-picker" }, [
      el("label", { for: `${id}-search`, class: "person-label", text: "Start typing their name" }),
      input, list,
      el("p", { class: "person-status visually-hidden", role: "status", "aria-live": "polite" }),
    ]);
  }

  // The matches the server sent for the words now in the box, as listbox options.
  function showMatches(picker, items) {
    const input = picker.querySelector('[data-role="person-search"]');
    const list = picker.querySelector('[role="listbox"]');
    const status = picker.querySelector(".person-status");
    const options = items.map((item, index) => el("li", {
      id: `${list.id}-${index}`, role: "option", class: "person-option", "aria-selected": "false",
      "data-value": item.value, "data-label": item.label, text: item.label,
    }));
    list.replaceChildren(...options);
    list.hidden = options.length === 0;
    input.setAttribute("aria-expanded", options.length ? "true" : "false");
    input.removeAttribute("aria-activedescendant");
    const typed = input.value.trim();
    status.textContent = !typed ? "" : options.length
      ? `${options.length} ${options.length === 1 ? "match" : "matches"}: use the arrow keys to choose.`
      : "Nobody on the list matches. You can send what you typed as their name and role.";
  }

  // Move the highlight by `step` (1 down, -1 up); returns the highlighted option, if any.
  function moveHighlight(picker, step) {
    const input = picker.querySelector('[data-role="person-search"]');
    const options = Array.from(picker.querySelectorAll('[role="option"]'));
    if (!options.length) return null;
    const current = options.findIndex((o) => o.getAttribute("aria-selected") === "true");
    const next = current < 0 ? (step > 0 ? 0 : options.length - 1)
      : (current + step + options.length) % options.length;
    options.forEach((o, i) => {
      o.setAttribute("aria-selected", i === next ? "true" : "false");
      o.classList.toggle("is-active", i === next);
    });
    input.setAttribute("aria-activedescendant", options[next].id);
    options[next].scrollIntoView({ block: "nearest" });
    return options[next];
  }

  function highlighted(picker) {
    return picker.querySelector('[role="option"][aria-selected="true"]');
  }

  function renderSummary(s) {
    const node = el("div", {
      class: "item item--bot summary", "data-kind": "summary", "data-interactive": true, "data-token": s.token,
    });
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

  /* ---------- cards (an alert about a new report, a case's details) ---------- */

  // A spoken/visible label for tones that carry meaning, so colour is not the only cue.
  const CARD_TONE_LABELS = { urgent: "Urgent", warning: "Warning", error: "Problem" };

  // A new card. `alert`: announce it at once (an urgent alert pushed to the DSL).
  function renderCard(card, options) {
    const node = el("article", { "data-kind": "card", tabindex: "-1" });
    fillCard(node, card, options);
    return node;
  }

  // (Re)draw a card inside `node`: used for a new card and, in place, for its updates.
  // Its buttons are not [data-interactive]: they stay live whatever question comes later.
  function fillCard(node, card, options) {
    const tone = TONES.has(card.tone) ? card.tone : "info";
    const id = `c${++seq}`;
    node.className = `item item--bot case-card case-card--${tone}`;
    node.dataset.cardId = String(card.card_id);
    node.dataset.tone = tone;
    node.setAttribute("aria-labelledby", `${id}-title`);
    const label = CARD_TONE_LABELS[tone];
    const head = el("div", { class: "case-card-head", role: options && options.alert ? "alert" : null }, [
      label ? el("p", { class: "case-card-tone", text: label }) : null,
      el("h2", { class: "case-card-title", id: `${id}-title`, text: card.title || "" }),
    ]);
    const body = el("div", { class: "case-card-body" });
    if (card.text) body.append(el("p", { class: "case-card-text", text: card.text }));
    const fields = (card.fields || []).map((f) => el("div", { class: "case-card-field" }, [
      el("dt", { text: f.label }),
      el("dd", { text: f.value === null || f.value === undefined || f.value === "" ? "—" : f.value }),
    ]));
    if (fields.length) body.append(el("dl", { class: "case-card-fields" }, fields));
    const actions = card.actions || [];
    if (actions.length) {
      body.append(el("div", { class: "case-card-actions" }, actions.map((a) => optionButton(a))));
    }
    const links = (card.links || []).filter((l) => typeof l.href === "string" && l.href.startsWith("/"));
    if (links.length) {
      // Only paths on this server: a card can never carry a link to somewhere else.
      const anchors = links.map((l) =>
        el("a", { href: l.href, target: "_blank", rel: "noopener noreferrer", class: "case-card-link", text: l.label })
      );
      body.append(el("p", { class: "case-card-links" }, anchors));
    }
    if (card.footer) body.append(el("p", { class: "case-card-footer", text: card.footer }));
    node.replaceChildren(head, body);
    return node;
  }

  return Object.freeze({
    el, renderItem, renderCard, fillCard, TEXT_INPUTS, showMatches, moveHighlight, highlighted,
  });
})();

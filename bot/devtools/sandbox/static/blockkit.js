// Block Kit → DOM for the sandbox page. Every text goes in through textContent (or a parsed mrkdwn tree),
// never innerHTML, so whatever a message contains is shown, not run.
//
// ctx: { users: {id: name}, channels: {id: name}, onAction(element, blockId, value) for interactive elements outside input blocks,
//        suggest(actionId, query) → Promise<{options, option_groups}> for external selects,
//        errors: {block_id: message} for modal inputs }

import { emojify, parseMrkdwn } from "./mrkdwn.js";

function el(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined && text !== null) node.textContent = text;
  return node;
}

export function renderNodes(nodes, ctx = {}) {
  const frag = document.createDocumentFragment();
  for (const node of nodes) {
    switch (node.type) {
      case "text": frag.append(document.createTextNode(node.text)); break;
      case "br": frag.append(el("br")); break;
      case "bold": frag.append(wrap("strong", node.children, ctx)); break;
      case "italic": frag.append(wrap("em", node.children, ctx)); break;
      case "strike": frag.append(wrap("del", node.children, ctx)); break;
      case "quote": frag.append(wrap("blockquote", node.children, ctx, "mk-quote")); break;
      case "code": frag.append(el("code", "mk-code", node.text)); break;
      case "pre": frag.append(el("pre", "mk-pre", node.text)); break;
      case "link": {
        const a = wrap("a", node.children, ctx, "mk-link");
        a.href = node.url;
        a.target = "_blank";
        a.rel = "noopener noreferrer";
        frag.append(a);
        break;
      }
      // Mentions look like Slack's but lead nowhere: there are no profiles or other channels here.
      case "user": frag.append(el("span", "mk-mention", `@${node.label ?? ctx.users?.[node.id] ?? node.id}`)); break;
      case "channel": frag.append(el("span", "mk-mention", `#${node.label ?? ctx.channels?.[node.id] ?? node.id}`)); break;
      case "usergroup": frag.append(el("span", "mk-mention", node.label ?? `@${node.id}`)); break;
      case "special": frag.append(el("span", "mk-mention mk-broadcast", `@${node.name}`)); break;
      case "date": {
        if (node.url) {
          const a = el("a", "mk-link", node.text);
          a.href = node.url;
          a.target = "_blank";
          a.rel = "noopener noreferrer";
          frag.append(a);
        } else {
          frag.append(el("span", "mk-date", node.text));
        }
        break;
      }
      default: break;
    }
  }
  return frag;
}

function wrap(tag, children, ctx, className) {
  const node = el(tag, className);
  node.append(renderNodes(children ?? [], ctx));
  return node;
}

/** A text object (plain_text or mrkdwn) as an element. */
export function renderText(obj, ctx = {}, tag = "div", className = "") {
  const node = el(tag, className);
  if (!obj) return node;
  if (obj.type === "mrkdwn") {
    node.classList.add("mk");
    node.append(renderNodes(parseMrkdwn(obj.text, { verbatim: obj.verbatim !== false }), ctx));
  } else {
    node.textContent = obj.emoji === false ? obj.text : emojify(String(obj.text ?? ""));
  }
  return node;
}

export function plain(obj) {
  if (!obj) return "";
  return obj.emoji === false ? String(obj.text ?? "") : emojify(String(obj.text ?? ""));
}

// --- elements --------------------------------------------------------------------------------------------------

function confirmed(element) {
  const c = element.confirm;
  if (!c) return true;
  // The browser's own dialog stands in for Slack's confirmation modal.
  return window.confirm([plain(c.title), plain(c.text)].filter(Boolean).join("\n\n"));
}

function allOptions(element) {
  return [...(element.options ?? []), ...(element.option_groups ?? []).flatMap((g) => g.options ?? [])];
}

function button(element, blockId, ctx) {
  const b = el("button", `bk-button${element.style ? ` bk-${element.style}` : ""}`, plain(element.text));
  b.type = "button";
  b.dataset.actionId = element.action_id ?? "";
  b.addEventListener("click", () => {
    if (!confirmed(element)) return;
    if (element.url) window.open(element.url, "_blank", "noopener,noreferrer");
    ctx.onAction?.(element, blockId, element.value);
  });
  return b;
}

function staticSelect(element, blockId, ctx, dispatch) {
  const select = el("select", "bk-select");
  select.dataset.actionId = element.action_id ?? "";
  const placeholder = el("option", "", plain(element.placeholder) || "Select an option");
  placeholder.value = "";
  select.append(placeholder);
  const addOption = (parent, option) => {
    const o = el("option", "", plain(option.text));
    o.value = option.value;
    parent.append(o);
  };
  (element.options ?? []).forEach((o) => addOption(select, o));
  for (const group of element.option_groups ?? []) {
    const g = el("optgroup");
    g.label = plain(group.label);
    (group.options ?? []).forEach((o) => addOption(g, o));
    select.append(g);
  }
  select.value = element.initial_option?.value ?? "";
  select.stateValue = () => select.value || null;
  select.restore = (value) => {
    if (allOptions(element).some((o) => o.value === value)) select.value = value;
  };
  if (dispatch) {
    select.addEventListener("change", () => {
      if (select.value) ctx.onAction?.(element, blockId, select.value);
    });
  }
  return select;
}

function overflow(element, blockId, ctx) {
  const select = el("select", "bk-select bk-overflow");
  select.dataset.actionId = element.action_id ?? "";
  select.title = "More actions";
  const head = el("option", "", "⋯");
  head.value = "";
  select.append(head);
  for (const option of element.options ?? []) {
    const o = el("option", "", plain(option.text));
    o.value = option.value;
    select.append(o);
  }
  select.addEventListener("change", () => {
    const value = select.value;
    select.value = "";
    if (value) ctx.onAction?.(element, blockId, value);
  });
  return select;
}

function externalSelect(element, blockId, ctx) {
  const box = el("div", "bk-typeahead");
  box.dataset.actionId = element.action_id ?? "";
  const input = el("input", "bk-input-text");
  input.type = "text";
  input.placeholder = plain(element.placeholder) || "Search";
  input.setAttribute("role", "combobox");
  input.setAttribute("aria-autocomplete", "list");
  const list = el("ul", "bk-options");
  list.setAttribute("role", "listbox");
  list.hidden = true;
  box.append(input, list);
  let selected = element.initial_option
    ? { value: element.initial_option.value, text: plain(element.initial_option.text) } : null;
  if (selected) input.value = selected.text;
  let asked = 0;
  let timer = null;
  const minLength = element.min_query_length ?? 3;

  const show = (answer) => {
    list.replaceChildren();
    const groups = answer.option_groups?.length
      ? answer.option_groups : [{ label: null, options: answer.options ?? [] }];
    let count = 0;
    for (const group of groups) {
      if (group.label) list.append(el("li", "bk-option-group", plain(group.label)));
      for (const option of group.options ?? []) {
        const item = el("li", "bk-option", plain(option.text));
        item.setAttribute("role", "option");
        item.dataset.value = option.value;
        item.addEventListener("mousedown", (event) => {
          event.preventDefault();
          // A search still waiting or on its way would reopen the list over the choice just made.
          clearTimeout(timer);
          asked += 1;
          selected = { value: option.value, text: plain(option.text) };
          input.value = selected.text;
          list.hidden = true;
        });
        list.append(item);
        count += 1;
      }
    }
    if (!count) list.append(el("li", "bk-option-empty", "No results"));
    list.hidden = false;
  };
  const ask = async () => {
    const query = input.value;
    if (query.length < minLength) {
      list.hidden = true;
      return;
    }
    const ticket = ++asked;
    const answer = await ctx.suggest?.(element.action_id, query);
    // Only the newest answer counts: a slow early one must not replace what the person sees now.
    if (ticket === asked && answer && document.activeElement === input) show(answer);
  };
  input.addEventListener("input", () => {
    selected = null;
    clearTimeout(timer);
    timer = setTimeout(ask, 200);
  });
  input.addEventListener("focus", ask);
  input.addEventListener("blur", () => {
    list.hidden = true;
    if (!selected) input.value = "";
    else input.value = selected.text;
  });
  box.stateValue = () => selected;
  box.restore = (value) => {
    if (value && typeof value === "object") {
      selected = value;
      input.value = value.text;
    }
  };
  return box;
}

function textInput(element) {
  const input = element.multiline ? el("textarea", "bk-input-text bk-multiline") : el("input", "bk-input-text");
  if (!element.multiline) input.type = "text";
  input.dataset.actionId = element.action_id ?? "";
  if (element.placeholder) input.placeholder = plain(element.placeholder);
  if (element.max_length) input.maxLength = element.max_length;
  input.value = element.initial_value ?? "";
  input.stateValue = () => input.value;
  input.restore = (value) => {
    if (typeof value === "string") input.value = value;
  };
  return input;
}

function image(element, className) {
  // External images are not fetched: the page loads nothing from outside this machine.
  return el("span", className, `🖼 ${element.alt_text ?? "image"}`);
}

function unsupported(kind) {
  return el("span", "bk-unsupported", `[${kind} is not shown in the sandbox]`);
}

function element(element, blockId, ctx, { dispatch }) {
  switch (element?.type) {
    case "button": return button(element, blockId, ctx);
    case "static_select": return staticSelect(element, blockId, ctx, dispatch);
    case "overflow": return overflow(element, blockId, ctx);
    case "external_select": return externalSelect(element, blockId, ctx);
    case "plain_text_input": return textInput(element);
    case "image": return image(element, "bk-image-element");
    default: return unsupported(element?.type ?? "element");
  }
}

// --- blocks ----------------------------------------------------------------------------------------------------

function emojiOf(part) {
  if (!part.unicode) return emojify(`:${part.name}:`);
  return String.fromCodePoint(...part.unicode.split("-").map((hex) => parseInt(hex, 16)));
}

function richText(block, ctx) {
  const node = el("div", "bk-rich-text");
  const inlineParts = (elements) => {
    const frag = document.createDocumentFragment();
    for (const part of elements ?? []) {
      let piece;
      if (part.type === "text") piece = document.createTextNode(part.text ?? "");
      else if (part.type === "link") {
        piece = el("a", "mk-link", part.text ?? part.url);
        if (/^(https?:|mailto:)/i.test(part.url ?? "")) piece.href = part.url;
        piece.target = "_blank";
        piece.rel = "noopener noreferrer";
      } else if (part.type === "user") piece = el("span", "mk-mention", `@${ctx.users?.[part.user_id] ?? part.user_id}`);
      else if (part.type === "channel") piece = el("span", "mk-mention", `#${ctx.channels?.[part.channel_id] ?? part.channel_id}`);
      else if (part.type === "emoji") piece = document.createTextNode(emojiOf(part));
      else piece = document.createTextNode(part.text ?? "");
      const style = part.style ?? {};
      for (const [flag, tag, className] of [["code", "code", "mk-code"], ["bold", "strong"], ["italic", "em"],
        ["strike", "del"]]) {
        if (style[flag]) {
          const w = el(tag, className);
          w.append(piece);
          piece = w;
        }
      }
      frag.append(piece);
    }
    return frag;
  };
  for (const section of block.elements ?? []) {
    if (section.type === "rich_text_list") {
      const list = el(section.style === "ordered" ? "ol" : "ul", "bk-rich-list");
      for (const item of section.elements ?? []) {
        const li = el("li");
        li.append(inlineParts(item.elements));
        list.append(li);
      }
      node.append(list);
    } else if (section.type === "rich_text_preformatted") {
      const pre = el("pre", "mk-pre");
      pre.append(inlineParts(section.elements));
      node.append(pre);
    } else if (section.type === "rich_text_quote") {
      const q = el("blockquote", "mk-quote");
      q.append(inlineParts(section.elements));
      node.append(q);
    } else {
      const p = el("div", "bk-rich-section");
      p.append(inlineParts(section.elements));
      node.append(p);
    }
  }
  return node;
}

// --- charts (data_visualization) and context actions (feedback buttons) ------------------------------------------

const SVG = "http://www.w3.org/2000/svg";
const CHART_COLORS = ["#1264a3", "#2bac76", "#e8912d", "#cd2553", "#8a57d8", "#39a6b3"];

function svg(tag, attrs = {}, text = null) {
  const node = document.createElementNS(SVG, tag);
  for (const [key, value] of Object.entries(attrs)) node.setAttribute(key, String(value));
  if (text !== null) node.textContent = text;
  return node;
}

function barChart(chart) {
  const categories = chart.axis_config?.categories ?? [];
  const series = chart.series ?? [];
  const values = series.flatMap((s) => (s.data ?? []).map((p) => Number(p.value) || 0));
  const top = Math.max(1, ...values);
  const width = 360, height = 180, left = 34, bottom = 34, plot = height - bottom - 12;
  const slot = (width - left) / Math.max(1, categories.length);
  const barWidth = Math.max(4, (slot * 0.7) / Math.max(1, series.length));
  const root = svg("svg", { viewBox: `0 0 ${width} ${height}`, class: "bk-chart-svg", role: "img" });
  root.append(svg("line", { x1: left, y1: height - bottom, x2: width, y2: height - bottom, class: "bk-chart-axis" }));
  categories.forEach((category, i) => {
    const x0 = left + i * slot + slot * 0.15;
    series.forEach((s, j) => {
      const point = (s.data ?? []).find((p) => p.label === category);
      const value = Number(point?.value) || 0;
      const h = (value / top) * plot;
      const x = x0 + j * barWidth;
      const bar = svg("rect", { x, y: height - bottom - h, width: barWidth - 2, height: h,
        fill: CHART_COLORS[j % CHART_COLORS.length], class: "bk-chart-bar" });
      bar.append(svg("title", {}, `${category}: ${value}`));
      root.append(bar, svg("text", { x: x + barWidth / 2, y: height - bottom - h - 3, class: "bk-chart-value",
        "text-anchor": "middle" }, String(value)));
    });
    root.append(svg("text", { x: left + i * slot + slot / 2, y: height - bottom + 14, class: "bk-chart-label",
      "text-anchor": "middle" }, category));
  });
  if (chart.axis_config?.x_label) {
    root.append(svg("text", { x: (width + left) / 2, y: height - 4, class: "bk-chart-axis-label",
      "text-anchor": "middle" }, chart.axis_config.x_label));
  }
  if (chart.axis_config?.y_label) {
    root.append(svg("text", { x: 10, y: (height - bottom) / 2, class: "bk-chart-axis-label", "text-anchor": "middle",
      transform: `rotate(-90 10 ${(height - bottom) / 2})` }, chart.axis_config.y_label));
  }
  return root;
}

function pieChart(chart) {
  const segments = (chart.segments ?? []).filter((s) => Number(s.value) > 0);
  const total = segments.reduce((sum, s) => sum + Number(s.value), 0) || 1;
  const root = svg("svg", { viewBox: "0 0 360 180", class: "bk-chart-svg", role: "img" });
  const cx = 90, cy = 90, r = 80;
  let angle = -Math.PI / 2;
  segments.forEach((s, i) => {
    const sweep = (Number(s.value) / total) * 2 * Math.PI;
    const color = CHART_COLORS[i % CHART_COLORS.length];
    let shape;
    if (segments.length === 1) {
      shape = svg("circle", { cx, cy, r, fill: color });
    } else {
      const [x1, y1] = [cx + r * Math.cos(angle), cy + r * Math.sin(angle)];
      const [x2, y2] = [cx + r * Math.cos(angle + sweep), cy + r * Math.sin(angle + sweep)];
      shape = svg("path", { d: `M${cx},${cy} L${x1},${y1} A${r},${r} 0 ${sweep > Math.PI ? 1 : 0} 1 ${x2},${y2} Z`,
        fill: color });
    }
    shape.classList.add("bk-chart-slice");
    shape.append(svg("title", {}, `${s.label}: ${s.value}`));
    root.append(shape);
    root.append(svg("rect", { x: 196, y: 24 + i * 24, width: 12, height: 12, fill: color }));
    root.append(svg("text", { x: 214, y: 34 + i * 24, class: "bk-chart-legend" }, `${s.label}  ${s.value}`));
    angle += sweep;
  });
  return root;
}

/** Slack's data_visualization block as an SVG chart: pie, or bars for bar, area and line (drawn as bars here). */
function dataVisualization(b) {
  const node = el("figure", "bk-chart");
  node.append(el("figcaption", "bk-chart-title", typeof b.title === "string" ? b.title : plain(b.title)));
  const chart = b.chart ?? {};
  if (chart.type === "pie") node.append(pieChart(chart));
  else if (["bar", "area", "line"].includes(chart.type)) node.append(barChart(chart));
  else node.append(unsupported(`${chart.type} chart`));
  return node;
}

function feedbackButtons(element, blockId, ctx) {
  const group = el("span", "bk-feedback");
  group.dataset.actionId = element.action_id ?? "";
  for (const [key, kind] of [["positive_button", "up"], ["negative_button", "down"]]) {
    const spec = element[key] ?? {};
    const b = el("button", `bk-icon-button bk-feedback-${kind}`, plain(spec.text));
    b.type = "button";
    b.title = spec.accessibility_label ?? "";
    b.setAttribute("aria-label", spec.accessibility_label ?? plain(spec.text));
    b.addEventListener("click", () => {
      b.classList.add("bk-pressed");
      ctx.onAction?.(element, blockId, spec.value);
    });
    group.append(b);
  }
  return group;
}

/** A context_actions block: feedback buttons and icon buttons, small and inline under a message. */
function contextActions(b, ctx) {
  const node = el("div", "bk-context-actions");
  const blockId = b.block_id ?? "";
  for (const e of b.elements ?? []) {
    if (e.type === "feedback_buttons") node.append(feedbackButtons(e, blockId, ctx));
    else if (e.type === "icon_button") node.append(button(e, blockId, ctx));
    else node.append(unsupported(`${e.type} element`));
  }
  return node;
}

/** Slack's table block: raw_text cells as text, rich_text cells as rich text; column_settings align and wrap. */
function table(b, ctx) {
  const wrapper = el("div", "bk-table-wrap");
  const grid = el("table", "bk-table");
  const settings = b.column_settings ?? [];
  (b.rows ?? []).forEach((row, r) => {
    const tr = el("tr");
    (row ?? []).forEach((cell, c) => {
      // Slack draws the first row as the header.
      const td = el(r === 0 ? "th" : "td", "bk-table-cell");
      const setting = settings[c] ?? {};
      if (["left", "center", "right"].includes(setting.align)) td.style.textAlign = setting.align;
      if (!setting.is_wrapped) td.classList.add("bk-table-nowrap");
      if (cell?.type === "rich_text") td.append(richText(cell, ctx));
      else td.textContent = typeof cell?.text === "string" ? cell.text : "";
      tr.append(td);
    });
    grid.append(tr);
  });
  wrapper.append(grid);
  return wrapper;
}

function block(b, ctx) {
  const blockId = b.block_id ?? "";
  let node;
  switch (b.type) {
    case "header":
      node = el("div", "bk-header", plain(b.text));
      node.setAttribute("role", "heading");
      node.setAttribute("aria-level", "3");
      break;
    case "section": {
      node = el("div", "bk-section");
      const main = el("div", "bk-section-main");
      if (b.text) main.append(renderText(b.text, ctx, "div", "bk-section-text"));
      if (b.fields?.length) {
        const fields = el("div", "bk-fields");
        for (const f of b.fields) fields.append(renderText(f, ctx, "div", "bk-field"));
        main.append(fields);
      }
      node.append(main);
      if (b.accessory) {
        const acc = el("div", "bk-accessory");
        acc.append(element(b.accessory, blockId, ctx, { dispatch: true }));
        node.append(acc);
      }
      break;
    }
    case "context":
      node = el("div", "bk-context");
      for (const e of b.elements ?? []) {
        node.append(e.type === "image" ? image(e, "bk-context-image") : renderText(e, ctx, "span", "bk-context-text"));
      }
      break;
    case "divider":
      node = el("hr", "bk-divider");
      break;
    case "actions":
      node = el("div", "bk-actions");
      for (const e of b.elements ?? []) node.append(element(e, blockId, ctx, { dispatch: true }));
      break;
    case "input": {
      node = el("div", "bk-input");
      const label = el("label", "bk-input-label", plain(b.label));
      if (b.optional) label.append(el("span", "bk-optional", " (optional)"));
      const control = element(b.element, blockId, ctx, { dispatch: Boolean(b.dispatch_action) });
      node.append(label, control);
      if (b.hint) node.append(el("div", "bk-hint", plain(b.hint)));
      const error = ctx.errors?.[blockId];
      if (error) {
        node.classList.add("bk-has-error");
        node.append(el("div", "bk-error", error));
      }
      break;
    }
    case "image":
      node = el("figure", "bk-image");
      if (b.title) node.append(el("figcaption", "bk-image-title", plain(b.title)));
      node.append(image(b, "bk-image-placeholder"));
      break;
    case "rich_text":
      node = richText(b, ctx);
      break;
    case "data_visualization":
      node = dataVisualization(b);
      break;
    case "context_actions":
      node = contextActions(b, ctx);
      break;
    case "table":
      node = table(b, ctx);
      break;
    default:
      node = el("div", "bk-block");
      node.append(unsupported(`${b.type} block`));
  }
  node.dataset.blockType = b.type ?? "";
  if (blockId) node.dataset.blockId = blockId;
  return node;
}

/** Renders blocks into a container element. */
export function renderBlocks(blocks, ctx = {}) {
  const root = el("div", "bk");
  for (const b of blocks ?? []) {
    if (b && typeof b === "object") root.append(block(b, ctx));
  }
  return root;
}

/** What the person entered in a surface: {block_id: {action_id: value}} for every stateful element. */
export function collectValues(root) {
  const values = {};
  for (const node of root.querySelectorAll("[data-block-id]")) {
    for (const control of node.querySelectorAll("[data-action-id]")) {
      if (typeof control.stateValue !== "function") continue;
      (values[node.dataset.blockId] ??= {})[control.dataset.actionId] = control.stateValue();
    }
  }
  return values;
}

/** Puts earlier entries back after a re-render (Slack keeps input values across view updates). */
export function restoreValues(root, values) {
  for (const node of root.querySelectorAll("[data-block-id]")) {
    const byAction = values?.[node.dataset.blockId];
    if (!byAction) continue;
    for (const control of node.querySelectorAll("[data-action-id]")) {
      if (control.dataset.actionId in byAction) control.restore?.(byAction[control.dataset.actionId]);
    }
  }
}

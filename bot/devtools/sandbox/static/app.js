// The sandbox page: a Slack-like client for one person. It shows the stand-in's conversation model (long-polled
// from /api/state) and sends what the person does to /api/<action>, where the server builds and signs the
// request Slack would send to the app. Nothing here talks to the app directly.

import { statusNode, streamedText, suggestedPrompts, threadTitle } from "./agent.js";
import { collectValues, plain, renderBlocks, renderNodes, restoreValues } from "./blockkit.js";
import { emojify, parseMrkdwn } from "./mrkdwn.js";

const $ = (id) => document.getElementById(id);

const ui = {
  data: null,
  revision: -1,
  place: { kind: "channel" }, // or { kind: "app", tab: "home" | "messages" }
  thread: null, // { channel, ts }
  notices: [], // Slack's own notes (and the sandbox's), shown only here: { id, channel, thread_ts, text, author }
  dismissed: new Set(),
  firstSeen: new Map(),
  cache: new Map(),
  modal: { key: null, viewId: null, errors: {}, notice: null, busy: false },
};

const TIPS = [
  "/persona fitness",
  "/persona 小红书 0.92, Keep 0.85, 美团 0.8",
  "/persona help",
  "@persona-bot gamers",
];

function el(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined && text !== null) node.textContent = text;
  return node;
}

function channelId(kind) {
  return ui.data?.channels.find((c) => c.kind === kind)?.id;
}

function channelNames() {
  return Object.fromEntries(ui.data.channels.filter((c) => c.kind === "channel").map((c) => [c.id, c.name]));
}

function currentChannel() {
  return ui.place.kind === "app" ? channelId("im") : channelId("channel");
}

// --- talking to the sandbox server -----------------------------------------------------------------------------

async function api(action, body = {}, where = {}) {
  let answer;
  try {
    const res = await fetch(`/api/${action}`, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify(body),
    });
    answer = await res.json().catch(() => ({ ok: false, error: `The sandbox answered HTTP ${res.status}.` }));
  } catch {
    answer = { ok: false, error: "The sandbox is not reachable. Is `persona-bot dev` still running?" };
  }
  if (!answer.ok) note(answer.error ?? "Something went wrong.", where, "Sandbox");
  else if (answer.notice && action !== "submit") note(answer.notice, where, "Slackbot");
  return answer;
}

function note(text, where = {}, author = "Slackbot") {
  ui.notices.push({
    id: `n${Date.now()}${Math.random()}`,
    channel: where.channel ?? currentChannel(),
    thread_ts: where.thread_ts ?? null,
    text,
    author,
  });
  render();
}

async function poll() {
  for (;;) {
    try {
      const res = await fetch(`/api/state?after=${ui.revision}`, { cache: "no-store" });
      if (!res.ok) throw new Error(`HTTP ${res.status}`);
      const data = await res.json();
      $("connection").hidden = true;
      if (!ui.data || data.revision !== ui.revision) {
        ui.data = data;
        ui.revision = data.revision;
        render();
      }
    } catch {
      $("connection").hidden = false;
      await new Promise((resolve) => setTimeout(resolve, 1000));
    }
  }
}

// --- messages --------------------------------------------------------------------------------------------------

function seen(ts) {
  if (!ui.firstSeen.has(ts)) ui.firstSeen.set(ts, new Date());
  return ui.firstSeen.get(ts);
}

function clock(date) {
  return date.toLocaleTimeString([], { hour: "numeric", minute: "2-digit" });
}

function isReply(m) {
  return Boolean(m.thread_ts) && m.thread_ts !== m.ts && !m.reply_broadcast;
}

function replies(channel, ts) {
  return (ui.data.messages[channel] ?? []).filter((m) => m.thread_ts === ts && m.ts !== ts);
}

function authorOf(m) {
  if (m.bot_id) return { name: ui.data.bot.name, app: true };
  return { name: ui.data.users[m.user] ?? m.user, app: false };
}

function fileCard(file) {
  const card = el("div", "file");
  const head = el("div", "file-head");
  head.append(el("span", "file-icon", "📄"), el("span", "file-title", file.title ?? file.name));
  const link = el("a", "file-link", "Download");
  link.href = file.url_private_download ?? file.url_private ?? "#";
  link.target = "_blank";
  link.rel = "noopener noreferrer";
  head.append(link);
  card.append(head);
  const stored = ui.data.files[file.id];
  if (stored?.preview) {
    const details = el("details", "file-preview");
    details.append(el("summary", "", `${file.name} · preview`), el("pre", "", stored.preview));
    card.append(details);
  }
  return card;
}

function messageNode(m, channel, { inThread }) {
  const author = authorOf(m);
  const node = el("div", "msg");
  node.dataset.ts = m.ts;
  node.dataset.channel = channel;
  if (m.ephemeral_user) node.classList.add("msg-ephemeral");
  if (m.bot_id) node.classList.add("msg-bot");

  const avatar = el("div", `avatar${author.app ? " avatar-app" : ""}`, author.name.slice(0, 1).toUpperCase());
  const body = el("div", "msg-body");
  if (m.ephemeral_user) body.append(el("div", "msg-only-you", "👁 Only visible to you"));
  const head = el("div", "msg-head");
  head.append(el("span", "msg-author", author.name));
  if (author.app) head.append(el("span", "msg-badge", "APP"));
  head.append(el("span", "msg-time", clock(seen(m.ts))));
  if (m.edited) head.append(el("span", "msg-edited", "(edited)"));
  body.append(head);

  const ctx = {
    users: ui.data.users,
    channels: channelNames(),
    onAction: (element, _blockId, value) => {
      const where = { channel, thread_ts: inThread ? (m.thread_ts ?? m.ts) : null };
      withBusy(node, () => api("click", {
        channel, ts: m.ts, action_id: element.action_id, value, state: collectValues(node),
      }, where));
    },
  };
  if (m.markdown && !m.edited) {
    // A streamed answer: its text, then the blocks chat.stopStream ended it with.
    body.append(streamedText(m, ctx));
    if (m.blocks?.length) body.append(renderBlocks(m.blocks, ctx));
  } else if (m.blocks?.length) {
    body.append(renderBlocks(m.blocks, ctx));
  } else if (m.text) {
    const text = el("div", "mk msg-text");
    text.append(renderNodes(parseMrkdwn(m.text, { verbatim: false }), ctx));
    body.append(text);
  }
  if (m.files?.length) {
    const files = el("div", "msg-files");
    m.files.forEach((f) => files.append(fileCard(f)));
    body.append(files);
  }
  if (m.reactions?.length) {
    const row = el("div", "msg-reactions");
    for (const r of m.reactions) row.append(el("span", "reaction", `${emojify(`:${r.name}:`)} ${r.count}`));
    body.append(row);
  }
  if (!inThread && !m.ephemeral_user) {
    const count = replies(channel, m.ts).filter((r) => !r.ephemeral_user).length;
    if (count) {
      const link = el("button", "msg-replies", `${count} ${count === 1 ? "reply" : "replies"}`);
      link.type = "button";
      link.addEventListener("click", () => openThread(channel, m.ts));
      body.append(link);
    }
  }
  if (m.ephemeral_user) {
    const dismiss = el("button", "link-button", "Dismiss");
    dismiss.type = "button";
    dismiss.addEventListener("click", () => {
      ui.dismissed.add(m.ts);
      render();
    });
    const foot = el("div", "msg-ephemeral-foot");
    foot.append(dismiss);
    body.append(foot);
  }
  node.append(avatar, body, hoverMenu(m, channel, inThread));
  return node;
}

function hoverMenu(m, channel, inThread) {
  const menu = el("div", "msg-hover");
  if (m.ephemeral_user) return menu;
  if (!inThread) {
    const reply = el("button", "icon-button", "💬");
    reply.type = "button";
    reply.title = "Reply in thread";
    reply.setAttribute("aria-label", "Reply in thread");
    reply.addEventListener("click", () => openThread(channel, m.thread_ts ?? m.ts));
    menu.append(reply);
  }
  const shortcuts = ui.data.shortcuts ?? [];
  if (shortcuts.length) {
    const select = el("select", "msg-shortcuts");
    select.title = "More actions";
    select.setAttribute("aria-label", "More actions");
    const head = el("option", "", "⋯");
    head.value = "";
    select.append(head);
    for (const s of shortcuts) {
      const option = el("option", "", `${s.name} (${ui.data.bot.name})`);
      option.value = s.callback_id;
      select.append(option);
    }
    select.addEventListener("change", () => {
      const callbackId = select.value;
      select.value = "";
      if (callbackId) api("shortcut", { channel, ts: m.ts, callback_id: callbackId }, { channel });
    });
    menu.append(select);
  }
  return menu;
}

async function withBusy(node, run) {
  node.classList.add("busy");
  try {
    await run();
  } finally {
    node.classList.remove("busy");
  }
}

function cached(key, m, build) {
  // Unchanged messages keep their DOM node (and whatever the person is doing in it) across updates.
  const signature = JSON.stringify([m, ui.data.files, m.ephemeral_user ? null : replies(key.split(":")[1], m.ts).length]);
  const hit = ui.cache.get(key);
  if (hit && hit.signature === signature) return hit.node;
  const node = build();
  ui.cache.set(key, { signature, node });
  return node;
}

function noticeNode(n) {
  const node = el("div", "msg msg-ephemeral msg-notice");
  node.append(el("div", `avatar ${n.author === "Slackbot" ? "avatar-slackbot" : "avatar-sandbox"}`, "!"));
  const body = el("div", "msg-body");
  body.append(el("div", "msg-only-you", "👁 Only visible to you"));
  const head = el("div", "msg-head");
  head.append(el("span", "msg-author", n.author));
  body.append(head, el("div", "msg-text", n.text));
  const dismiss = el("button", "link-button", "Dismiss");
  dismiss.type = "button";
  dismiss.addEventListener("click", () => {
    ui.notices = ui.notices.filter((x) => x !== n);
    render();
  });
  const foot = el("div", "msg-ephemeral-foot");
  foot.append(dismiss);
  body.append(foot);
  node.append(body);
  return node;
}

function renderFeed(container, channel, messages, { inThread, threadTs }) {
  const nearBottom = container.scrollHeight - container.scrollTop - container.clientHeight < 80;
  const nodes = messages
    .filter((m) => !ui.dismissed.has(m.ts))
    .map((m) => cached(`${inThread ? "t" : "c"}:${channel}:${m.ts}`, m, () => messageNode(m, channel, { inThread })));
  const notices = ui.notices.filter((n) => n.channel === channel && (n.thread_ts ?? null) === (threadTs ?? null));
  nodes.push(...notices.map(noticeNode));
  const status = inThread ? statusNode(ui.data, channel, threadTs) : null;
  if (status) nodes.push(status);
  if (!nodes.length && !inThread) {
    const empty = el("div", "feed-empty");
    empty.append(el("strong", "", channel === channelId("im") ? "This is your DM with persona-bot." : "This is #sales."));
    empty.append(el("div", "", "Type /persona fitness below, or paste an app list after /persona."));
    nodes.push(empty);
  }
  container.replaceChildren(...nodes);
  if (nearBottom) container.scrollTop = container.scrollHeight;
}

// --- the whole page --------------------------------------------------------------------------------------------

function render() {
  const data = ui.data;
  if (!data) return;
  $("workspace-name").textContent = data.team.name;
  const inApp = ui.place.kind === "app";
  $("nav-channel").classList.toggle("active", !inApp);
  $("nav-app").classList.toggle("active", inApp);
  $("main-title").textContent = inApp ? data.bot.name : `# ${data.channels.find((c) => c.kind === "channel").name}`;
  $("app-tabs").hidden = !inApp;
  $("tab-home").classList.toggle("active", inApp && ui.place.tab === "home");
  $("tab-messages").classList.toggle("active", inApp && ui.place.tab === "messages");
  const showHome = inApp && ui.place.tab === "home";
  $("home").hidden = !showHome;
  $("feed").hidden = showHome;
  $("composer").hidden = showHome;
  const channel = currentChannel();
  $("composer-input").placeholder = inApp ? `Message ${data.bot.name}` : "Message #sales";
  if (showHome) renderHome();
  else renderFeed($("feed"), channel, (data.messages[channel] ?? []).filter((m) => !isReply(m)), { inThread: false });
  renderPrompts(inApp && !showHome);
  renderThread();
  renderModal();
}

function renderHome() {
  const home = ui.data.home;
  const container = $("home");
  const key = home ? `${home.id}:${home.hash}` : "none";
  if (container.dataset.key === key) return;
  container.dataset.key = key;
  if (!home) {
    container.replaceChildren(el("div", "feed-empty", "Opening App Home…"));
    return;
  }
  const values = container.firstChild ? collectValues(container) : {};
  const blocks = renderBlocks(home.blocks, {
    users: ui.data.users,
    channels: channelNames(),
    onAction: (element, _blockId, value) => api("view_click", {
      view_id: home.id, action_id: element.action_id, value, state: collectValues(container),
    }),
  });
  container.replaceChildren(blocks);
  restoreValues(container, values);
}

function openThread(channel, ts) {
  ui.thread = { channel, ts };
  render();
  $("thread-input").focus();
}

function renderThread() {
  const pane = $("thread");
  if (!ui.thread) {
    pane.hidden = true;
    return;
  }
  const { channel, ts } = ui.thread;
  const all = ui.data.messages[channel] ?? [];
  const parent = all.find((m) => m.ts === ts);
  if (!parent) {
    ui.thread = null;
    pane.hidden = true;
    return;
  }
  pane.hidden = false;
  const title = threadTitle(ui.data, channel, ts);
  $("thread-where").textContent = (channel === channelId("im") ? ui.data.bot.name : "# sales") + (title ? ` · ${title}` : "");
  renderFeed($("thread-feed"), channel, [parent, ...replies(channel, ts)], { inThread: true, threadTs: ts });
}

// --- modals ----------------------------------------------------------------------------------------------------

function renderModal() {
  const backdrop = $("modal-backdrop");
  const stack = ui.data.modals ?? [];
  const view = stack[stack.length - 1];
  if (!view) {
    backdrop.hidden = true;
    backdrop.replaceChildren();
    ui.modal = { key: null, viewId: null, errors: {}, notice: null, busy: false };
    return;
  }
  const sameView = ui.modal.viewId === view.id;
  if (!sameView) {
    ui.modal.errors = {};
    ui.modal.notice = null;
  }
  const key = `${view.id}:${view.hash}|${JSON.stringify(ui.modal.errors)}|${ui.modal.notice}`;
  if (ui.modal.key === key) return;
  // A re-render (new errors, a views.update) keeps what the person typed, as Slack does.
  const old = backdrop.querySelector(".modal-body");
  const values = sameView && old ? collectValues(old) : {};
  ui.modal.key = key;
  ui.modal.viewId = view.id;

  const modal = el("div", "modal");
  modal.setAttribute("role", "dialog");
  modal.setAttribute("aria-modal", "true");
  modal.setAttribute("aria-label", plain(view.title));
  const head = el("div", "modal-head");
  head.append(el("div", "modal-title", plain(view.title)));
  const x = el("button", "icon-button", "✕");
  x.type = "button";
  x.setAttribute("aria-label", "Close");
  x.addEventListener("click", () => api("close", { view_id: view.id }));
  head.append(x);
  const body = el("div", "modal-body");
  body.append(renderBlocks(view.blocks, {
    users: ui.data.users,
    channels: channelNames(),
    errors: ui.modal.errors,
    onAction: (element, _blockId, value) => api("view_click", {
      view_id: view.id, action_id: element.action_id, value, state: collectValues(body),
    }),
    suggest: async (actionId, query) => {
      const answer = await api("suggest", { view_id: view.id, action_id: actionId, value: query });
      return answer.ok ? answer : { options: [] };
    },
  }));
  restoreValues(body, values);
  const foot = el("div", "modal-foot");
  if (ui.modal.notice) foot.append(el("div", "modal-notice", ui.modal.notice));
  const close = el("button", "bk-button", plain(view.close) || "Cancel");
  close.type = "button";
  close.addEventListener("click", () => api("close", { view_id: view.id }));
  foot.append(close);
  if (view.submit) {
    const submit = el("button", "bk-button bk-primary modal-submit", plain(view.submit));
    submit.type = "button";
    submit.addEventListener("click", async () => {
      if (ui.modal.busy) return;
      ui.modal.busy = true;
      submit.disabled = true;
      const answer = await api("submit", { view_id: view.id, values: collectValues(body) });
      ui.modal.busy = false;
      submit.disabled = false;
      if (answer.ok && (answer.errors || answer.notice)) {
        ui.modal.errors = answer.errors ?? {};
        ui.modal.notice = answer.notice ?? null;
        renderModal();
      }
    });
    foot.append(submit);
  }
  modal.append(head, body, foot);
  backdrop.replaceChildren(modal);
  backdrop.hidden = false;
}

// --- typing ----------------------------------------------------------------------------------------------------

function bindComposer(form, input, where) {
  const send = async () => {
    const text = input.value;
    if (!text.trim()) return;
    const target = where();
    input.value = "";
    autosize(input);
    const answer = await api("type", { channel: target.channel, text, thread_ts: target.thread_ts ?? undefined },
      target);
    if (!answer.ok && !input.value) input.value = text;
  };
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    send();
  });
  input.addEventListener("keydown", (event) => {
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      send();
    }
  });
  input.addEventListener("input", () => autosize(input));
}

function autosize(input) {
  input.style.height = "auto";
  input.style.height = `${Math.min(input.scrollHeight, 200)}px`;
}

function renderTips() {
  const tips = $("composer-tips");
  tips.append(el("span", "tips-label", "Try:"));
  for (const tip of TIPS) {
    const chip = el("button", "tip", tip);
    chip.type = "button";
    chip.addEventListener("click", () => {
      const input = $("composer-input");
      input.value = tip;
      autosize(input);
      input.focus();
    });
    tips.append(chip);
  }
}

function renderPrompts(inMessagesTab) {
  const node = inMessagesTab ? suggestedPrompts(ui.data, (text) => api("type", { channel: currentChannel(), text },
    { channel: currentChannel(), thread_ts: null })) : null;
  $("agent-prompts").replaceChildren(...(node ? [node] : []));
}

function go(place) {
  ui.place = place;
  if (place.kind === "app" && place.tab === "home") api("home", {});
  // Opening the Messages tab is the agent conversation's app_home_opened (tab "messages").
  if (place.kind === "app" && place.tab === "messages") api("messages_tab", {});
  render();
}

function start() {
  $("nav-channel").addEventListener("click", () => go({ kind: "channel" }));
  $("nav-app").addEventListener("click", () => go({ kind: "app", tab: "messages" }));
  $("tab-home").addEventListener("click", () => go({ kind: "app", tab: "home" }));
  $("tab-messages").addEventListener("click", () => go({ kind: "app", tab: "messages" }));
  $("thread-close").addEventListener("click", () => {
    ui.thread = null;
    render();
  });
  bindComposer($("composer"), $("composer-input"), () => ({ channel: currentChannel(), thread_ts: null }));
  bindComposer($("thread-composer"), $("thread-input"), () => ({ channel: ui.thread?.channel, thread_ts: ui.thread?.ts }));
  renderTips();
  document.addEventListener("keydown", (event) => {
    const view = ui.data?.modals?.at(-1);
    if (event.key === "Escape" && view) api("close", { view_id: view.id });
  });
  poll();
  $("composer-input").focus();
}

start();

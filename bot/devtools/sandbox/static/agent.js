// The agent conversation's parts of the page, apart from the rest of the client: streamed messages, the status a
// thread shows while the app works, thread titles and the suggested prompts of the Messages tab.

import { renderNodes } from "./blockkit.js";
import { parseMrkdwn } from "./mrkdwn.js";

function el(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined && text !== null) node.textContent = text;
  return node;
}

/** A message sent with chat.startStream: its markdown text as it has arrived, marked while still streaming. */
export function streamedText(m, ctx) {
  const node = el("div", "mk msg-text msg-streamed");
  // A stream's text is Markdown: its bold is **…** (mrkdwn's is *…*), and Slack shows its "- " lists as bullets.
  const text = (m.text ?? "").replace(/\*\*([^*\n]+)\*\*/g, "*$1*").replace(/^[-*] /gm, "• ");
  node.append(renderNodes(parseMrkdwn(text, { verbatim: false }), ctx));
  if (m.streaming) node.append(el("span", "stream-cursor", "▍"));
  return node;
}

/** "persona-bot is working on your persona… · Reading the segment…" under a thread, while the status is set. */
export function statusNode(data, channel, threadTs) {
  const status = (data.agent?.statuses ?? []).find((s) => s.channel === channel && s.thread_ts === threadTs);
  if (!status) return null;
  const node = el("div", "agent-status");
  node.append(el("span", "agent-status-dot", "●"), el("span", "", `${data.bot.name} ${status.status}`));
  const loading = status.loading_messages ?? [];
  if (loading.length) {
    // Slack rotates the loading messages; the page shows them in turn, one every 1.5 s.
    const line = el("span", "agent-status-loading", loading[0]);
    let i = 0;
    const timer = setInterval(() => {
      if (!line.isConnected) return clearInterval(timer);
      i = (i + 1) % loading.length;
      line.textContent = loading[i];
    }, 1500);
    node.append(line);
  }
  return node;
}

/** The title the app gave a thread (assistant.threads.setTitle), if any. */
export function threadTitle(data, channel, ts) {
  return (data.agent?.titles ?? []).find((t) => t.channel === channel && t.thread_ts === ts)?.title ?? null;
}

/** The Messages tab's suggested prompts as chips; picking one sends its message, as Slack does. */
export function suggestedPrompts(data, send) {
  const set = data.agent?.prompts;
  if (!set?.prompts?.length) return null;
  const node = el("div", "agent-prompts");
  if (set.title) node.append(el("span", "tips-label", set.title));
  for (const prompt of set.prompts) {
    const chip = el("button", "tip agent-prompt", prompt.title);
    chip.type = "button";
    chip.title = prompt.message;
    chip.addEventListener("click", () => send(prompt.message));
    node.append(chip);
  }
  return node;
}

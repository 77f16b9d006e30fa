// Slack mrkdwn → a small tree of nodes. Pure data, no DOM: blockkit.js turns the tree into elements with
// textContent only, so no message text is ever parsed as HTML.
//
// Nodes: {type: "text", text} · {type: "br"} · {type: "bold"|"italic"|"strike"|"quote", children}
//        {type: "code"|"pre", text} · {type: "link", url, children} · {type: "user"|"channel"|"usergroup", id, label}
//        {type: "special", name} · {type: "date", text, url}

const ENTITIES = { "&amp;": "&", "&lt;": "<", "&gt;": ">" };
const MARKERS = { "*": "bold", _: "italic", "~": "strike" };
const SAFE_URL = /^(https?:|mailto:)/i;
const WORDISH = /[\p{L}\p{N}]/u;
const BARE_URL = /\bhttps?:\/\/[^\s<>]+[^\s<>.,;:!?)\]'"]/g;

// The few shortcodes our messages and Slack's defaults use; unknown ones stay as typed, as Slack shows them.
export const EMOJI = {
  "+1": "👍", "-1": "👎", thumbsup: "👍", thumbsdown: "👎", warning: "⚠️", hourglass: "⌛",
  hourglass_flowing_sand: "⏳", white_check_mark: "✅", x: "❌", wave: "👋", tada: "🎉", bulb: "💡",
  mag: "🔍", memo: "📝", bar_chart: "📊", busts_in_silhouette: "👥", handshake: "🤝", rocket: "🚀",
  heart: "❤️", smile: "😄", slightly_smiling_face: "🙂", eyes: "👀", fire: "🔥", star: "⭐",
};

export function decodeEntities(text) {
  return text.replace(/&(amp|lt|gt);/g, (m) => ENTITIES[m]);
}

export function emojify(text) {
  return text.replace(/:([a-z0-9_+-]+):/g, (m, name) => EMOJI[name] ?? m);
}

// --- dates: <!date^1700000000^{date_short_pretty} at {time}|fallback> -----------------------------------------

const MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August", "September",
  "October", "November", "December"];
const DAYS = ["Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"];

function ordinal(n) {
  const rest = n % 100;
  if (rest >= 11 && rest <= 13) return `${n}th`;
  return `${n}${{ 1: "st", 2: "nd", 3: "rd" }[n % 10] ?? "th"}`;
}

function sameDay(a, b) {
  return a.getFullYear() === b.getFullYear() && a.getMonth() === b.getMonth() && a.getDate() === b.getDate();
}

function pretty(date, now, plain) {
  const day = 24 * 3600 * 1000;
  if (sameDay(date, now)) return "Today";
  if (sameDay(date, new Date(now.getTime() - day))) return "Yesterday";
  if (sameDay(date, new Date(now.getTime() + day))) return "Tomorrow";
  return plain;
}

function clock(date, seconds) {
  const h = date.getHours() % 12 || 12;
  const mm = String(date.getMinutes()).padStart(2, "0");
  const ss = seconds ? `:${String(date.getSeconds()).padStart(2, "0")}` : "";
  return `${h}:${mm}${ss} ${date.getHours() < 12 ? "AM" : "PM"}`;
}

function ago(date, now) {
  const s = Math.round((now - date) / 1000);
  const units = [["year", 31536000], ["month", 2592000], ["day", 86400], ["hour", 3600], ["minute", 60]];
  const future = s < 0;
  for (const [unit, size] of units) {
    const n = Math.floor(Math.abs(s) / size);
    if (n >= 1) return future ? `in ${n} ${unit}${n > 1 ? "s" : ""}` : `${n} ${unit}${n > 1 ? "s" : ""} ago`;
  }
  return "just now";
}

/** Slack's date tokens, in the reader's time zone; unknown tokens make Slack show the fallback, and so do we. */
export function formatDate(seconds, format, fallback, now = new Date()) {
  const date = new Date(seconds * 1000);
  if (!Number.isFinite(seconds) || Number.isNaN(date.getTime())) return fallback;
  const y = date.getFullYear();
  const m = date.getMonth();
  const d = date.getDate();
  const plain = {
    date_num: `${y}-${String(m + 1).padStart(2, "0")}-${String(d).padStart(2, "0")}`,
    date: `${MONTHS[m]} ${ordinal(d)}, ${y}`,
    date_short: `${MONTHS[m].slice(0, 3)} ${d}, ${y}`,
    date_long: `${DAYS[date.getDay()]}, ${MONTHS[m]} ${ordinal(d)}, ${y}`,
  };
  const tokens = {
    ...plain,
    date_pretty: pretty(date, now, plain.date),
    date_short_pretty: pretty(date, now, plain.date_short),
    date_long_pretty: pretty(date, now, plain.date_long),
    time: clock(date, false),
    time_secs: clock(date, true),
    ago: ago(date, now),
  };
  let unknown = false;
  const text = format.replace(/\{(\w+)\}/g, (m, name) => {
    if (!(name in tokens)) unknown = true;
    return tokens[name] ?? m;
  });
  return unknown ? fallback : text;
}

// --- <…> tokens ------------------------------------------------------------------------------------------------

function angle(inner, options) {
  const bar = inner.indexOf("|");
  const target = bar >= 0 ? inner.slice(0, bar) : inner;
  const label = bar >= 0 ? decodeEntities(inner.slice(bar + 1)) : null;
  if (target.startsWith("@")) return { type: "user", id: target.slice(1), label };
  if (target.startsWith("#")) return { type: "channel", id: target.slice(1), label };
  if (target.startsWith("!subteam^")) return { type: "usergroup", id: target.slice(9), label };
  if (target.startsWith("!date^")) {
    const [, ts, format = "", url = null] = target.split("^");
    const fallback = label ?? "";
    const text = formatDate(Number(ts), decodeEntities(format), fallback, options.now);
    return { type: "date", text, url: url && SAFE_URL.test(url) ? decodeEntities(url) : null };
  }
  if (target.startsWith("!")) return { type: "special", name: label ?? target.slice(1).split("^")[0] };
  const url = decodeEntities(target);
  if (!SAFE_URL.test(url)) {
    // Slack links only real URLs; anything else shows as the text it was written as.
    return { type: "text", text: label ?? url };
  }
  return { type: "link", url, children: [{ type: "text", text: label ?? url }] };
}

// --- inline formatting -----------------------------------------------------------------------------------------

function isBoundary(ch) {
  return ch === undefined || !WORDISH.test(ch);
}

/** Index just past an atomic token (<…> or `…`) starting at i, or -1. */
function atomEnd(s, i) {
  if (s[i] === "<") {
    const end = s.indexOf(">", i + 1);
    return end > i + 1 ? end + 1 : -1;
  }
  if (s[i] === "`") {
    const end = s.indexOf("`", i + 1);
    return end > i + 1 ? end + 1 : -1;
  }
  return -1;
}

function closingMarker(s, i, marker) {
  for (let j = i + 2; j < s.length; j++) {
    const end = atomEnd(s, j);
    if (end > 0) {
      j = end - 1;
      continue;
    }
    if (s[j] === marker && !/\s/.test(s[j - 1]) && isBoundary(s[j + 1]) && s[j + 1] !== marker) return j;
  }
  return -1;
}

function pushText(out, text, options) {
  if (!text) return;
  const decoded = decodeEntities(text);
  const parts = [];
  if (!options.verbatim) {
    let last = 0;
    for (const match of decoded.matchAll(BARE_URL)) {
      parts.push({ type: "text", text: decoded.slice(last, match.index) });
      parts.push({ type: "link", url: match[0], children: [{ type: "text", text: match[0] }] });
      last = match.index + match[0].length;
    }
    parts.push({ type: "text", text: decoded.slice(last) });
  } else {
    parts.push({ type: "text", text: decoded });
  }
  for (const part of parts) {
    if (part.type === "text") {
      if (!part.text) continue;
      const prev = out[out.length - 1];
      const text = emojify(part.text);
      if (prev && prev.type === "text") prev.text += text;
      else out.push({ type: "text", text });
    } else {
      out.push(part);
    }
  }
}

function inline(s, options) {
  const out = [];
  let buf = "";
  let i = 0;
  while (i < s.length) {
    const ch = s[i];
    const end = atomEnd(s, i);
    if (end > 0) {
      pushText(out, buf, options);
      buf = "";
      const inner = s.slice(i + 1, end - 1);
      out.push(ch === "<" ? angle(inner, options) : { type: "code", text: decodeEntities(inner) });
      i = end;
      continue;
    }
    if (MARKERS[ch] && isBoundary(s[i - 1]) && s[i + 1] && !/\s/.test(s[i + 1]) && s[i + 1] !== ch) {
      const close = closingMarker(s, i, ch);
      if (close > 0) {
        pushText(out, buf, options);
        buf = "";
        out.push({ type: MARKERS[ch], children: inline(s.slice(i + 1, close), options) });
        i = close + 1;
        continue;
      }
    }
    buf += ch;
    i += 1;
  }
  pushText(out, buf, options);
  return out;
}

// --- lines, quotes and code blocks -----------------------------------------------------------------------------

function lines(text, options) {
  const out = [];
  const rows = text.split("\n");
  let quote = null;
  rows.forEach((row, index) => {
    const quoted = /^(&gt;|>)\s?/.exec(row);
    if (quoted) {
      if (!quote) {
        quote = { type: "quote", children: [] };
        out.push(quote);
      } else {
        quote.children.push({ type: "br" });
      }
      quote.children.push(...inline(row.slice(quoted[0].length), options));
      return;
    }
    if (quote) {
      quote = null;
    } else if (index > 0) {
      out.push({ type: "br" });
    }
    out.push(...inline(row, options));
  });
  return out;
}

/** Parse Slack mrkdwn. `verbatim: false` also links bare URLs, as Slack does for such text objects. */
export function parseMrkdwn(text, { verbatim = true, now = new Date() } = {}) {
  const options = { verbatim, now };
  const out = [];
  const source = String(text ?? "");
  const fence = /```([\s\S]*?)```/g;
  let last = 0;
  for (const match of source.matchAll(fence)) {
    out.push(...lines(source.slice(last, match.index).replace(/\n$/, ""), options));
    out.push({ type: "pre", text: decodeEntities(match[1].replace(/^\n/, "")) });
    last = match.index + match[0].length;
    if (source[last] === "\n") last += 1;
  }
  out.push(...lines(source.slice(last), options));
  return out;
}

/** The plain text a node tree reads as (what tests and screen readers compare). */
export function plainText(nodes, users = {}) {
  return nodes
    .map((node) => {
      switch (node.type) {
        case "text": case "code": case "pre": return node.text;
        case "br": return "\n";
        case "user": return `@${node.label ?? users[node.id] ?? node.id}`;
        case "channel": return `#${node.label ?? node.id}`;
        case "usergroup": return node.label ?? `@${node.id}`;
        case "special": return `@${node.name}`;
        case "date": return node.text;
        default: return plainText(node.children ?? [], users);
      }
    })
    .join("");
}

// Slack mrkdwn → node tree (bot/devtools/sandbox/static/mrkdwn.js). Run with TZ=UTC: node --test tests/browser/
import assert from "node:assert/strict";
import { test } from "node:test";

import { formatDate, parseMrkdwn, plainText } from "../../bot/devtools/sandbox/static/mrkdwn.js";

const parse = (text, options) => parseMrkdwn(text, options);
const text = (t) => ({ type: "text", text: t });

test("bold, italic, strike and code", () => {
  assert.deepEqual(parse("*Basic* _soft_ ~old~ `a*b*`"), [
    { type: "bold", children: [text("Basic")] }, text(" "),
    { type: "italic", children: [text("soft")] }, text(" "),
    { type: "strike", children: [text("old")] }, text(" "),
    { type: "code", text: "a*b*" },
  ]);
});

test("markers inside words or with inner spaces stay literal", () => {
  assert.deepEqual(parse("snake_case_name 2*3*4 * not bold *"), [text("snake_case_name 2*3*4 * not bold *")]);
});

test("formatting nests and wraps links", () => {
  assert.deepEqual(parse("*see <https://example.com|the docs>*"), [
    { type: "bold", children: [text("see "), { type: "link", url: "https://example.com", children: [text("the docs")] }] },
  ]);
});

test("entities decode to the characters Slack shows, and never into markup", () => {
  const nodes = parse("H&amp;M &lt;b&gt;bold&lt;/b&gt; &amp;lt;");
  assert.deepEqual(nodes, [text("H&M <b>bold</b> &lt;")]);
});

test("links: only http(s) and mailto become links, labels are text", () => {
  assert.deepEqual(parse("<https://a.example/x?y=1&amp;z=2>"), [
    { type: "link", url: "https://a.example/x?y=1&z=2", children: [text("https://a.example/x?y=1&z=2")] },
  ]);
  assert.deepEqual(parse("<javascript:alert(1)|click me>"), [text("click me")]);
  assert.deepEqual(parse("<mailto:a@b.example|mail>")[0].type, "link");
});

test("mentions, channels, groups and broadcasts are inert tokens", () => {
  const nodes = parse("<@U0BOT> <@U1|ann> <#C0SALES> <#C2|general> <!subteam^S1|@sales> <!here>");
  assert.deepEqual(nodes.filter((n) => n.type !== "text"), [
    { type: "user", id: "U0BOT", label: null },
    { type: "user", id: "U1", label: "ann" },
    { type: "channel", id: "C0SALES", label: null },
    { type: "channel", id: "C2", label: "general" },
    { type: "usergroup", id: "S1", label: "@sales" },
    { type: "special", name: "here" },
  ]);
  assert.equal(plainText(nodes, { U0BOT: "persona-bot" }), "@persona-bot @ann #C0SALES #general @sales @here");
});

test("newlines, bullet lines and quotes", () => {
  assert.deepEqual(parse("• one\n• two"), [text("• one"), { type: "br" }, text("• two")]);
  assert.deepEqual(parse("&gt; quoted\n&gt; *more*\nafter"), [
    { type: "quote", children: [text("quoted"), { type: "br" }, { type: "bold", children: [text("more")] }] },
    text("after"),
  ]);
});

test("code blocks keep their content literally", () => {
  assert.deepEqual(parse("before\n```*x* &lt;y&gt;\nline```\nafter"), [
    text("before"), { type: "pre", text: "*x* <y>\nline" }, text("after"),
  ]);
});

test("bare URLs are linked only when the text object is not verbatim", () => {
  assert.deepEqual(parse("see https://example.com/a. ok"), [text("see https://example.com/a. ok")]);
  assert.deepEqual(parse("see https://example.com/a. ok", { verbatim: false }), [
    text("see "), { type: "link", url: "https://example.com/a", children: [text("https://example.com/a")] }, text(". ok"),
  ]);
});

test("emoji shortcodes become emoji; unknown ones stay", () => {
  assert.deepEqual(parse(":warning: :no_such_emoji:"), [text("⚠️ :no_such_emoji:")]);
});

test("date tokens use Slack's format words and fall back when unknown", () => {
  const now = new Date(Date.UTC(2023, 10, 14, 23, 0));
  const nodes = parse("<!date^1700000000^{date_short_pretty} {time}|2023-11-14 22:13 UTC>", { now });
  assert.deepEqual(nodes, [{ type: "date", text: "Today 10:13 PM", url: null }]);
  assert.equal(formatDate(1700000000, "{date_num} {date}", "x", now), "2023-11-14 November 14th, 2023");
  assert.equal(formatDate(1700000000, "{date_short}", "x", new Date(Date.UTC(2024, 0, 1))), "Nov 14, 2023");
  assert.equal(formatDate(1700000000, "{nonsense}", "fallback", now), "fallback");
});

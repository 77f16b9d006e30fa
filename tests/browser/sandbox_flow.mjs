// Drives the `persona-bot dev` page in Debian's headless Chromium like a person would: a slash command, the
// card, sharing it, a follow-up in the thread, both modals, a validation error and a mention. Screenshots of
// every step go to --out. Exits 0 when every step showed what it should; otherwise prints the step and exits 1.
//
//   node tests/browser/sandbox_flow.mjs --url http://127.0.0.1:3000/ --out test-artifacts/sandbox

import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";

import { chromium } from "playwright-core";

const { values: args } = parseArgs({
  options: {
    url: { type: "string" },
    out: { type: "string", default: "test-artifacts/sandbox" },
    chromium: { type: "string", default: "/usr/bin/chromium" },
    timeout: { type: "string", default: "20000" },
  },
});
if (!args.url) {
  console.error("usage: node sandbox_flow.mjs --url URL [--out DIR] [--chromium PATH]");
  process.exit(2);
}
const TIMEOUT = Number(args.timeout);
mkdirSync(args.out, { recursive: true });

let page;
let step = "start";
let shot = 0;
const problems = [];

async function screenshot(name) {
  shot += 1;
  await page.screenshot({ path: join(args.out, `${String(shot).padStart(2, "0")}-${name}.png`), fullPage: false });
}

async function until(description, check) {
  const deadline = Date.now() + TIMEOUT;
  let last;
  while (Date.now() < deadline) {
    try {
      if (await check()) return;
    } catch (err) {
      last = err;
    }
    await page.waitForTimeout(100);
  }
  throw new Error(`timed out waiting for ${description}${last ? ` (${last.message})` : ""}`);
}

async function type(text, input = page.locator("#composer-input")) {
  await input.fill(text);
  await input.press("Enter");
}

async function main() {
  const profile = mkdtempSync(join(tmpdir(), "sandbox-chromium-"));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: args.chromium,
    headless: true,
    viewport: { width: 1400, height: 1000 },
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
      "--disable-background-networking", "--disable-component-update", "--disable-sync"],
  });
  try {
    page = context.pages()[0] ?? (await context.newPage());
    page.setDefaultTimeout(TIMEOUT);
    page.on("pageerror", (err) => problems.push(`page error: ${err.message}`));
    page.on("console", (msg) => {
      // Failed requests are reported below with their URL; the console line alone does not say which.
      if (msg.type() === "error" && !msg.text().startsWith("Failed to load resource")) {
        problems.push(`console error: ${msg.text()}`);
      }
    });
    page.on("response", (response) => {
      if (response.status() >= 400) problems.push(`HTTP ${response.status()} for ${response.url()} during "${step}" ${response.request().postData()}`);
    });
    await run();
  } catch (err) {
    await page?.screenshot({ path: join(args.out, "failure.png") }).catch(() => {});
    throw err;
  } finally {
    await context.close();
    rmSync(profile, { recursive: true, force: true });
  }
}

async function run() {
  step = "open the page";
  await page.goto(args.url);
  await page.locator("#feed .feed-empty").waitFor();
  await screenshot("empty-channel");

  step = "/persona fitness shows an ephemeral card";
  await type("/persona fitness");
  const ephemeralCard = page.locator("#feed .msg.msg-ephemeral", { has: page.locator('[data-action-id="persona_share"]') });
  await ephemeralCard.locator(".bk-header").waitFor();
  const header = (await ephemeralCard.locator(".bk-header").innerText()).trim();
  if (!/fitness/i.test(header)) throw new Error(`unexpected card header ${JSON.stringify(header)}`);
  await ephemeralCard.getByText("Only visible to you").waitFor();
  await screenshot("ephemeral-card");

  step = "Share to channel posts the card publicly";
  await ephemeralCard.locator('[data-action-id="persona_share"]').click();
  const card = page.locator("#feed .msg:not(.msg-ephemeral)", { has: page.locator('[data-action-id="persona_partnership"]') });
  await card.locator(".bk-header").waitFor();
  // The layout a reviewer looks at: header, bold field names, demographics in two fields, context, dividers.
  for (const [selector, what] of [[".bk-chart svg", "charts"], [".bk-section-text strong", "bold text"],
    [".bk-context", "context lines"], [".bk-divider", "dividers"], [".bk-actions .bk-button.bk-primary", "a primary button"],
    [".bk-context-actions .bk-feedback-up", "feedback buttons"]]) {
    if ((await card.locator(selector).count()) === 0) throw new Error(`the shared card has no ${what} (${selector})`);
  }
  step = "the card draws age as bars and gender as a pie";
  if ((await card.locator(".bk-chart .bk-chart-bar").count()) < 2) throw new Error("the age chart has no bars");
  if ((await card.locator(".bk-chart .bk-chart-slice").count()) < 2) throw new Error("the gender pie has no slices");
  await card.locator(".bk-chart").first().scrollIntoViewIfNeeded();
  await screenshot("shared-card");

  step = "the feedback buttons record a vote";
  await card.locator(".bk-feedback-up").click();
  await page.locator("#feed .msg-ephemeral", { hasText: "Thanks for the feedback" }).waitFor();

  step = "Partnership ideas asks what the client sells (optional) and streams its answer into the card's thread";
  await card.locator('[data-action-id="persona_partnership"]').click();
  const partnershipModal = page.locator(".modal");
  await partnershipModal.waitFor();
  await screenshot("partnership-modal");
  // Left empty: the product is optional, and the ideas then suit any client.
  await partnershipModal.locator(".modal-submit").click();
  await partnershipModal.waitFor({ state: "detached" });
  await card.locator(".msg-replies").waitFor();
  await card.locator(".msg-replies").click();
  const streamedReport = page.locator("#thread-feed .msg-streamed", { hasText: "Partnership ideas" });
  await streamedReport.waitFor();
  await page.locator("#thread-feed .msg", { has: page.locator(".msg-streamed", { hasText: "Partnership ideas" }) })
    .locator(".bk-feedback-up").waitFor();
  if (!/Meet this audience inside/.test(await streamedReport.innerText())) throw new Error("the streamed follow-up is not shown");
  if ((await streamedReport.locator("strong", { hasText: "Partnership ideas" }).count()) === 0) {
    throw new Error("the streamed follow-up's heading is not bold");
  }
  await screenshot("partnership-thread");

  step = "a question in the card's thread streams its answer";
  await type("@persona-bot which ad channels would reach them?", page.locator("#thread-input"));
  const streamed = page.locator("#thread-feed .msg-streamed", { hasText: "Reach them inside" });
  await streamed.waitFor();
  await page.locator("#thread-feed .msg", { has: page.locator(".msg-streamed", { hasText: "Reach them inside" }) })
    .locator(".bk-feedback-up").waitFor();
  if (!/Reach them inside/.test(await streamed.innerText())) throw new Error("the streamed answer is not shown");
  await screenshot("streamed-answer");

  step = "Competitor analysis opens a modal and answers in the thread";
  await card.locator('[data-action-id="persona_competitor"]').click();
  const modal = page.locator(".modal");
  await modal.waitFor();
  await modal.locator('[data-action-id="product_input"]').fill("Protein drink");
  await screenshot("competitor-modal");
  await modal.locator(".modal-submit").click();
  await modal.waitFor({ state: "detached" });
  await page.locator("#thread-feed .msg-streamed", { hasText: "Competitor analysis — Protein drink" }).waitFor();
  await screenshot("competitor-thread");
  await page.locator("#thread-close").click();

  await compareAndSlide(card, modal);

  step = "/persona help offers the picker";
  await type("/persona help");
  const help = page.locator("#feed .msg.msg-ephemeral", { has: page.locator('[data-action-id="persona_open_modal"]') });
  await help.waitFor();
  await help.locator('[data-action-id="persona_open_modal"]').click();
  await modal.waitFor();

  step = "submitting the picker empty shows the app's error in the modal";
  await modal.locator(".modal-submit").click();
  await modal.locator(".bk-error").waitFor();
  await screenshot("picker-error");

  step = "the picker's typeahead loads segments from the app";
  const picker = modal.locator('[data-action-id="segment_picker"] input');
  await picker.click();
  await picker.fill("parent");
  // Options answer the newest query only: wait for the ones that match what was typed.
  const option = modal.locator(".bk-option").first();
  await until("options for the typed text", async () => /parent/i.test(await option.innerText()));
  const chosen = (await option.innerText()).trim();
  await screenshot("picker-options");
  await option.click();
  await until("the picked segment in the input", async () => (await picker.inputValue()) === chosen);
  await modal.locator(".modal-submit").click();
  await modal.waitFor({ state: "detached" });
  const pickedCard = page.locator("#feed .msg.msg-ephemeral", {
    has: page.locator(".bk-header", { hasText: chosen }),
  }).filter({ has: page.locator('[data-action-id="persona_share"]') });
  await pickedCard.waitFor();
  await screenshot("picker-card");

  step = "a mention is answered in the message's thread";
  await type("@persona-bot gamers");
  const said = page.locator("#feed .msg:not(.msg-bot)", { hasText: "@persona-bot gamers" });
  await said.locator(".mk-mention").waitFor();
  await said.locator(".msg-replies").waitFor();
  await said.locator(".msg-replies").click();
  await page.locator("#thread-feed .msg.msg-bot .bk-header").waitFor();
  await screenshot("mention-thread");

  step = "the agent conversation offers suggested prompts and answers one with a card in its thread";
  await page.locator("#thread-close").click();
  await page.locator("#nav-app").click();
  const prompt = page.locator(".agent-prompt").first();
  await prompt.waitFor();
  await screenshot("agent-prompts");
  await prompt.click();
  const asked = page.locator("#feed .msg:not(.msg-bot)").last();
  await asked.locator(".msg-replies").waitFor();
  await asked.locator(".msg-replies").click();
  await page.locator("#thread-feed .msg.msg-bot .bk-chart svg").first().waitFor();
  await until("the thread title", async () => /fitness enthusiasts/.test(await page.locator("#thread-where").innerText()));
  await screenshot("agent-thread");

  step = "App Home";
  await page.locator("#nav-app").click();
  await page.locator("#tab-home").click();
  await page.locator("#home .bk-header").waitFor();
  await screenshot("app-home");

  step = "choosing 繁體中文 on App Home gives a card with every header, label and button in Chinese";
  const homeText = await page.locator("#home").innerText();
  await page.locator('#home select[data-action-id="home_set_lang"]').selectOption("zh-TW");
  await until("App Home redrawn in Chinese", async () => (await page.locator("#home").innerText()) !== homeText);
  await page.locator("#nav-channel").click();
  if (await page.locator("#thread-close").isVisible()) await page.locator("#thread-close").click();
  await type("/persona 台北外送族");
  const zhCard = page.locator("#feed .msg.msg-ephemeral", { has: page.locator(".bk-header", { hasText: "台北外送族" }) });
  await zhCard.locator('[data-action-id="persona_share"]').waitFor();
  const zhText = await zhCard.innerText();
  for (const english of ["Basic attributes", "Hashtags", "Grounded on", "Partnership ideas", "Competitor analysis",
    "Source:", "people", "(TW)", "food_delivery"]) {
    if (zhText.includes(english)) throw new Error(`the zh-TW card says ${JSON.stringify(english)}`);
  }
  if (!zhText.includes("萬人")) throw new Error("the zh-TW card writes its size in 萬");
  await zhCard.locator(".bk-chart").first().scrollIntoViewIfNeeded();
  await screenshot("zh-tw-card");

  step = "the page logged no errors";
  if (problems.length) throw new Error(problems.join("\n"));
}

// Compare with… → the modal's typeahead → a table in the card's thread; /persona compare; the Export menu's slide.
async function compareAndSlide(card, modal) {
  step = "Compare with… opens a picker and answers in the card's thread with a table";
  await card.locator('[data-action-id="persona_compare"]').click();
  await modal.waitFor();
  const picker = modal.locator('[data-action-id="segment_picker"] input');
  await picker.click();
  await picker.fill("gamers");
  const option = modal.locator(".bk-option").first();
  await until("segments for the typed text", async () => /gamers/i.test(await option.innerText()));
  const chosen = (await option.innerText()).trim();
  await option.click();
  await screenshot("compare-modal");
  await modal.locator(".modal-submit").click();
  await modal.waitFor({ state: "detached" });
  await card.locator(".msg-replies").click();
  const table = page.locator("#thread-feed .bk-table");
  await table.waitFor();
  const head = await table.locator("th").allInnerTexts();
  if (!head.some((cell) => cell.trim() === chosen)) throw new Error(`the table's header ${JSON.stringify(head)} lacks ${chosen}`);
  await screenshot("compare-thread");

  step = "the Export menu uploads a PowerPoint slide to the thread";
  await card.locator('select[data-action-id="persona_export"]').selectOption({ label: "PowerPoint slide" });
  await page.locator("#thread-feed", { hasText: /persona-[0-9a-f]+\.pptx/ }).waitFor();
  await screenshot("export-slide");
  await page.locator("#thread-close").click();

  step = "/persona compare answers with a table";
  await type("/persona compare fitness, Mobile gamers in mainland China");
  const answer = page.locator("#feed .msg.msg-ephemeral", { has: page.locator(".bk-table") });
  await answer.locator("th", { hasText: "Mobile gamers in mainland China" }).waitFor();
  await screenshot("compare-command");
}

try {
  await main();
  console.log(`sandbox flow passed: ${shot} screenshots in ${args.out}`);
} catch (err) {
  console.error(`sandbox flow failed at step "${step}": ${err.message}`);
  process.exit(1);
}

// The match review workspace in headless Chromium, worked with the keyboard
// as a reviewer would: j to the first event, c refused until the viewed
// question is answered, y then c confirms; a group of identical hashes
// rejected at once. The page is never wider than the window. Screenshots
// for docs/. Run by web_reviews.sh with NODE_PATH pointing at playwright-core.
const { check, launch, fail } = require("./webtest");

const { BASE, PASSWORD, SHOTS, IMG_EVENT, GROUP } = process.env;

async function notWider(page, what) {
  const w = await page.evaluate(() => [document.documentElement.scrollWidth, window.innerWidth]);
  check(w[0] <= w[1], what + ": the page is no wider than the window (" + w + ")");
}

(async () => {
  const browser = await launch();
  try {
    const ctx = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    const page = await ctx.newPage();
    const errors = [];
    page.on("pageerror", (e) => errors.push(e.message));
    page.on("response", (r) => {
      if (r.status() >= 400 && !r.url().endsWith("/favicon.ico")) errors.push(r.url() + " " + r.status());
    });
    await page.goto(BASE + "/login");
    await page.fill("input[name=user]", "rev");
    await page.fill("input[name=password]", PASSWORD);
    await Promise.all([page.waitForURL(/\/reviews$/), page.click("form.login button")]);

    check((await page.locator("article.ev").count()) === 6, "six events waiting");
    await notWider(page, "the workspace");
    // accessibility (axe-core, when installed beside playwright-core)
    let axeSrc = null;
    try { axeSrc = require("fs").readFileSync(require.resolve("axe-core/axe.min.js"), "utf8"); } catch (e) {}
    if (axeSrc) {
      await page.evaluate(axeSrc);
      const res = await page.evaluate(() => axe.run(document, { resultTypes: ["violations"] }));
      const bad = res.violations.filter((v) => v.impact === "serious" || v.impact === "critical");
      check(bad.length === 0, "axe: " + bad.map((v) => v.id + " " + v.nodes.map((n) => n.target).join(",")).join("; "));
      console.log("axe: no serious or critical violation (" + res.violations.length + " minor)");
    }
    await page.screenshot({ path: SHOTS + "/reviews.png", fullPage: true });

    // the first event (the image, oldest first) is current; c without an
    // answer asks the question instead of sending
    const first = page.locator("article.ev").first();
    check((await first.getAttribute("data-id")) === IMG_EVENT, "the image event first");
    check(await first.evaluate((e) => e.classList.contains("current")), "first is current");
    await page.keyboard.press("j");
    await page.keyboard.press("k");
    await page.keyboard.press("c");
    check(await first.locator("fieldset.viewed.ask").count() === 1, "c asks for the answer");
    check((await page.locator("article.ev").count()) === 6, "nothing sent unanswered");
    await page.keyboard.press("y");
    check(await first.locator("input[name=viewed][value='1']").isChecked(), "y answers yes");
    await Promise.all([page.waitForLoadState("load"), page.waitForURL(/\/reviews/),
                       page.keyboard.press("c")]);
    await page.waitForSelector("article.ev");
    check((await page.locator("#ev-" + IMG_EVENT).count()) === 0, "confirmed and gone");

    // the group of identical hashes: filtered, then rejected at once
    await page.selectOption("form.filters select[name=sort]", "group");
    await Promise.all([page.waitForURL(/sort=group/), page.click("form.filters button")]);
    const bulk = page.locator("form.bulk");
    check((await bulk.count()) === 1, "one bulk form");
    check((await bulk.locator("input[name=ids]").inputValue()) === GROUP, "its events");
    await notWider(page, "the grouped view");
    await page.screenshot({ path: SHOTS + "/reviews-bulk.png", fullPage: false });
    await bulk.locator("input[name=viewed][value='0']").check();
    await Promise.all([page.waitForURL(/sort=group/), bulk.locator("button[value=reject]").click()]);
    check((await page.locator("form.bulk").count()) === 0, "the group is decided");
    check((await page.locator("article.ev").count()) === 2, "two events left");
    check(errors.length === 0, "no script errors: " + errors.join("; "));
    await ctx.close();
    console.log("browser: review workspace checks passed");
  } finally {
    await browser.close();
  }
})().catch(fail);

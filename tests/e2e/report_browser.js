// The public report form in headless Chromium, as a child using only the
// keyboard would: Tab reaches every question and the Send button in order
// and never the hidden honeypot; a mistake comes back with the field marked
// and the message announced (role=alert); the corrected report gets its
// receipt. Each state (form, error, receipt) is checked with axe-core
// (WCAG 2 A and AA rules: labels, names, contrast, landmarks, language)
// when AXE names axe.min.js, with JavaScript off for the page itself.
// Run by report_form.sh with NODE_PATH pointing at playwright-core.
const { check, launch, fail } = require("./webtest");

const { BASE, SHOTS, AXE } = process.env;

async function axe(page, what) {
  if (!AXE) return;
  await page.addScriptTag({ path: AXE });
  const r = await page.evaluate(async () =>
    await window.axe.run(document, { runOnly: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"] }));
  const bad = r.violations.map((v) => `${v.id}: ${v.help} (${v.nodes.map((n) => n.target).join(" ")})`);
  check(bad.length === 0, `axe on ${what}:\n  ${bad.join("\n  ")}`);
  console.log(`axe ${what}: ${r.passes.length} rules passed, 0 violations`);
}

(async () => {
  const browser = await launch();
  try {
    // bypassCSP: the page runs no script of its own (its CSP forbids it); axe
    // is the test's, injected from outside
    const ctx = await browser.newContext({ viewport: { width: 900, height: 1000 },
                                           bypassCSP: true });
    const page = await ctx.newPage();
    await page.goto(BASE + "/report");
    await axe(page, "the form");
    if (SHOTS) await page.screenshot({ path: SHOTS + "/report.png", fullPage: true });

    // the keyboard: every control in order, the honeypot never
    const seen = [];
    for (let i = 0; i < 40; i++) {
      await page.keyboard.press("Tab");
      const id = await page.evaluate(() => {
        const e = document.activeElement;
        return e ? (e.name || e.id || e.tagName) : "";
      });
      seen.push(id);
      if (id === "BUTTON") break;
    }
    check(!seen.includes("website"), "Tab never reaches the honeypot: " + seen);
    for (const n of ["about", "danger", "meeting", "w_asked_images", "w_other", "urls", "who",
                     "description", "age", "contact", "BUTTON"])
      check(seen.includes(n), `Tab reaches ${n}: ${seen}`);

    // answer with the keyboard: a radio by arrow keys, a box by space
    await page.focus("input[name=danger][value=yes]");
    await page.keyboard.press("ArrowDown");      // yes -> no
    check(await page.isChecked("input[name=danger][value=no]"), "arrow keys move the choice");
    await page.focus("input[name=w_sexual_chat]");
    await page.keyboard.press("Space");
    await page.focus("#urls");
    await page.keyboard.type("chat.example.invalid/u/typo");
    await page.focus("#description");
    await page.keyboard.type("Someone kept sending me messages.");
    await page.focus("form.report button");
    await Promise.all([page.waitForNavigation(), page.keyboard.press("Enter")]);
    check((await page.locator("#error[role=alert]").count()) === 1, "the error is announced");
    check(await page.getAttribute("#urls", "aria-invalid") === "true", "the field is marked");
    check((await page.inputValue("#description")).includes("kept sending"), "answers kept");
    check(await page.isChecked("input[name=w_sexual_chat]"), "ticked box kept");
    await axe(page, "the form with an error");

    await page.fill("#urls", "https://chat.example.invalid/u/typo");
    await page.focus("form.report button");
    await Promise.all([page.waitForNavigation(), page.keyboard.press("Enter")]);
    const text = await page.textContent("main");
    check(/R-[0-9A-Z]{5}-[0-9A-Z]{5}-./.test(text), "a receipt number: " + text.slice(0, 300));
    await axe(page, "the receipt");
    if (SHOTS) await page.screenshot({ path: SHOTS + "/report-receipt.png", fullPage: true });
    console.log("browser: keyboard run and receipt ok");
  } finally {
    await browser.close();
  }
})().catch(fail);

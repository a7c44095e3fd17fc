// The exhibit pages in headless Chromium, as an analyst works them: the
// exhibit list with its backlog chart, an exhibit with continuity and
// scans, a queue override with a reason through the form (the exhibit
// moves up the lab's queue and says why), the lab's forecast. Screenshots
// go to $SHOTS. Run by web_exhibits.sh with NODE_PATH at playwright-core.
const { check, launch, fail, login } = require("./webtest");

const { BASE, SHOTS } = process.env;

(async () => {
  const t0 = Date.now();
  const browser = await launch();
  try {
    const { ctx, page } = await login(browser, "nat", { lands: /\/queue$/ });

    await page.click("nav a[href='/exhibits']");
    check((await page.textContent("h1")) === "Exhibits", "exhibit list");
    check((await page.locator("svg").count()) === 1, "backlog chart");
    check((await page.content()).includes("WYP-1"), "a national analyst sees every force");
    await page.screenshot({ path: SHOTS + "/exhibits.png", fullPage: true });

    await page.click("a[href='/exhibit/SWP-1']");
    check((await page.textContent("h1")) === "Exhibit SWP-1", "exhibit page");
    const text = await page.content();
    check(text.includes("scanned") && text.includes("national cat. 1"), "continuity and scans");
    await page.screenshot({ path: SHOTS + "/exhibit.png", fullPage: true });

    await page.goto(BASE + "/exhibit/SWP-2");
    const form = page.locator("form[action$='/prioritise']");
    await form.locator("select[name=band]").selectOption("very-high");
    await form.locator("input[name=reason]").fill("browser: suspect coaches a junior team");
    await Promise.all([page.waitForNavigation(), form.locator("button").click()]);
    check((await page.content()).includes("very-high by nat"), "override shown");

    await page.click("a[href^='/lab/']");
    const rows = await page.locator("table tr td:nth-child(2)").allTextContents();
    check(rows[0] === "SWP-3" && rows[1] === "SWP-2", "override moved SWP-2 up: " + rows);
    check((await page.content()).includes("browser: suspect coaches a junior team"), "says why");
    await page.screenshot({ path: SHOTS + "/lab.png", fullPage: true });
    await ctx.close();
    console.log(`browser checks: ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  } finally {
    await browser.close();
  }
})().catch(fail);

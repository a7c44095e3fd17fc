// The victim-identification series pages in headless Chromium, as a force
// officer of South Wales sees them: the list with another force only as
// "held elsewhere, contact X", the series page with its forms, no image
// anywhere, nothing wider than the window. Screenshots series.png and
// series-page.png. Run by web_scans.sh through wardtest.browser_run.
const { chromium } = require("playwright-core");

const { BASE, PASSWORD, SERIES, SHOTS, CHROMIUM } = process.env;

function check(cond, what) {
  if (!cond) throw new Error("FAIL: " + what);
}

(async () => {
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: ["--no-sandbox"] });
  try {
    const ctx = await browser.newContext({ viewport: { width: 1100, height: 800 } });
    const page = await ctx.newPage();
    await page.goto(BASE + "/login");
    await page.fill("input[name=user]", "swp");
    await page.fill("input[name=password]", PASSWORD);
    await Promise.all([page.waitForURL((u) => !u.pathname.startsWith("/login")),
                       page.click("form.login button")]);

    for (const [path, shot, must] of [
      ["/series", "series.png", "West Yorkshire Police: held elsewhere, contact wyp-vid@example.org"],
      ["/series/" + SERIES, "series-page.png", "do not re-open"],
    ]) {
      const r = await page.goto(BASE + path);
      check(r.status() === 200, path + ": " + r.status());
      const text = await page.textContent("body");
      check(text.includes(must), path + " says: " + must);
      check(!text.includes("WYP-CASE-7"), path + ": nothing of the other force's case");
      check((await page.locator("img").count()) === 0, path + ": no image");
      const wide = await page.evaluate(() => document.documentElement.scrollWidth);
      check(wide <= 1100, path + ": no wider than the window (" + wide + " px)");
      await page.screenshot({ path: SHOTS + "/" + shot, fullPage: true });
      console.log("ok: " + path);
    }
  } finally {
    await browser.close();
  }
})().catch((e) => {
  console.log(String(e));
  process.exit(1);
});

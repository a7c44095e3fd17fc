// The victim-identification series pages in headless Chromium, as a force
// officer of South Wales sees them: the list with another force only as
// "held elsewhere, contact X", the series page with its forms, no image
// anywhere, nothing wider than the window. Screenshots series.png and
// series-page.png. Run by web_scans.sh through wardtest.browser_run.
const { check, launch, fail, login } = require("./webtest");

const { BASE, SERIES, SHOTS } = process.env;

(async () => {
  const browser = await launch();
  try {
    const { page } = await login(browser, "swp", { width: 1100 });

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
})().catch(fail);
